"""tanh_gain_bifurcations: every Hopf point of -x + tanh(g W x) on x = 0 is proven at the exact g = 1 / Re(lambda)."""

import neurodyn as nd


def test_every_hopf_point_is_proven_at_the_exact_gain():
    study = nd.validated.tanh_gain_bifurcations(8, max_cycles=4, seed=0)
    assert len(study.hopf) == len(study.exact_hopf_g) == len(study.proofs) > 0
    assert study.proved == len(study.proofs) and study.status == "ok"
    for proof, g in zip(study.proofs, study.exact_hopf_g, strict=True):
        lo, hi = proof.bounds["g"]
        assert lo <= g <= hi  # the exact crossing lies in the proven interval, without slack
    d = study.to_dict()
    assert set(d) == {"branch", "hopf_proofs", "cycles", "exact_hopf_g"}


def test_the_branch_says_where_stability_is_first_lost():
    study = nd.validated.tanh_gain_bifurcations(8, max_cycles=4, seed=0)
    branch = study.branch
    change = branch.first_loss_of_stability()
    n = branch.n_unstable.tolist()
    i = next(i for i in range(len(n) - 1) if n[i + 1] > n[i])  # recomputed from the eigenvalue counts
    assert (change.left, change.right, change.before, change.after) == (
        branch.values[i].item(), branch.values[i + 1].item(), n[i], n[i + 1])
    assert change.point is not None and change.point.index == i
    # x = 0 of -x + tanh(g W x) is stable until g = 1 / max Re(lambda(W)) over the eigenvalues with Re > 0
    assert change.left <= min(study.exact_hopf_g + (float("inf"),)) or change.point.kind != "hopf"
    for ob in study.orbits:
        st = ob.stable.tolist()
        assert ob.stability == ("stable" if all(st) else "unstable" if not any(st) else "mixed")
