"""Proofs of equilibria, stability and Hopf bifurcations: what is proved is true (checked against Arb at high
precision and closed forms), the two backends agree, and what is false or degenerate is not claimed."""

import json
import math

import numpy as np
import pytest
import torch
from flint import acb, acb_mat, arb, arb_mat, ctx

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.validated import prove_equilibrium, prove_hopf, prove_hopf_points, prove_stability

F64 = torch.float64
ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


def random_network(n, gain, seed, bias=0.3):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(n, n, generator=gen, dtype=F64) * gain / n**0.5
    return nd.tanh_field(W, bias * torch.randn(n, generator=gen, dtype=F64), leak=1.0)


def arb_zero(system, x0, prec=512, steps=8):
    """The equilibrium of -x + tanh(W x + b) by Newton in Arb at ``prec`` bits from ``x0`` (midpoints only, then
    a final Arb evaluation of the residual to show it converged)."""
    W = system.tanh_form.W.numpy()
    b = system.tanh_form.b.numpy()
    n = len(x0)
    with ctx.workprec(prec):
        Wa = arb_mat(W.tolist())
        x = arb_mat([[float(v)] for v in x0])
        for _ in range(steps):
            y = Wa * x
            t = [(y[i, 0] + arb(b[i])).tanh() for i in range(n)]
            F = arb_mat([[t[i] - x[i, 0]] for i in range(n)])
            J = arb_mat([[(1 - t[i] ** 2) * Wa[i, j] - (1 if i == j else 0) for j in range(n)] for i in range(n)])
            x = x - J.solve(F)
            x = arb_mat([[x[i, 0].mid()] for i in range(n)])
        return [x[i, 0] for i in range(n)], max(abs(float(F[i, 0].mid())) for i in range(n))


@pytest.mark.parametrize("seed", [0, 1])
def test_equilibrium_proofs_hold_the_true_zero_and_both_backends_agree(seed):
    system = random_network(20, 2.5, seed)
    fp = nd.find_fixed_points(system, n_starts=32, seed=seed)
    assert len(fp.points) >= 1
    for x in fp.points:
        fast, ref = prove_equilibrium(system, x), prove_equilibrium(system, x, backend="arb")
        assert fast.proved and ref.proved and fast.conclusion == "exists"
        # the true zero (Arb Newton at 512 bits) lies within the claimed radius of the centre
        zero, resid = arb_zero(system, x.numpy())
        assert resid < 1e-100
        with ctx.workprec(512):
            dist = max(abs(z - arb(float(c))) for z, c in zip(zero, fast.center.numpy(), strict=True))
            assert bool(dist <= arb(fast.radius)) and bool(dist <= arb(ref.radius))
        # float64 balls cannot be as tight as 256-bit Arb, but within 10x (of the existence radius)
        assert fast.radius <= 10 * ref.radius
        assert fast.uniqueness_radius == pytest.approx(ref.uniqueness_radius, rel=1e-9)
        assert fast.radius < 1e-12 < fast.uniqueness_radius


def test_a_point_that_is_not_an_equilibrium_is_not_proved_and_says_which_bound_failed():
    system = random_network(10, 0.5, 3)
    proof = prove_equilibrium(system, torch.full((10,), 0.5, dtype=F64))
    assert not proof.proved and proof.conclusion == "undecided" and "Y" in proof.reason
    assert "not proved" in repr(proof)


def test_stability_of_the_origin_matches_the_closed_form_spectrum():
    # -x + tanh(W x): the origin is an equilibrium with Jacobian W - I, eigenvalues lambda(W) - 1
    gen = torch.Generator().manual_seed(5)
    for gain, expected in [(0.5, "stable"), (2.0, "unstable")]:
        W = torch.randn(12, 12, generator=gen, dtype=F64) * gain / 12**0.5
        system = nd.tanh_field(W, leak=1.0)
        eq = prove_equilibrium(system, torch.zeros(12, dtype=F64))
        st = prove_stability(system, eq)
        lam = np.linalg.eigvals(W.numpy()) - 1
        assert st.proved and st.conclusion == expected
        # every eigenvalue (rigorous Arb balls of W - I) lies in a disc, without slack; the number of unstable ones
        # is exact
        with ctx.workprec(256):
            exact = acb_mat(arb_mat((W.numpy() - np.eye(12)).tolist())).eig()
            for mu in exact:
                assert any(bool(abs(mu - acb(re, im)) <= arb(r)) for re, im, r in st.eigenvalues)
        if expected == "unstable":
            assert f"exactly {int((lam.real > 0).sum())} eigenvalue" in st.statement
        else:
            assert st.bounds["spectral_abscissa"][1] < 0
            assert st.bounds["spectral_abscissa"][1] >= lam.real.max()


@pytest.mark.parametrize("omega", [0.5, 2.0])
def test_hopf_proof_of_the_leaky_rotation_encloses_the_closed_form_l1(omega):
    system = nd.tanh_family(torch.eye(2, dtype=F64) + omega * ROT, leak=1.0, value=0.2)
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.2)
    for backend in ("fast", "arb"):
        proof = prove_hopf(system, h, backend=backend)
        assert proof.proved and proof.conclusion == "supercritical"
        lo, hi = proof.bounds["l1"]
        assert lo <= -(1 + omega**2) / (2 * omega) <= hi and hi - lo < 1e-12
        assert proof.bounds["alpha"][0] <= 0.0 <= proof.bounds["alpha"][1]
        assert proof.bounds["omega"][0] <= omega <= proof.bounds["omega"][1]


def test_degenerate_hopf_of_a_hamiltonian_rotation_is_refused():
    # tanh((alpha I + omega J) x): at alpha = 0 the rotation is Hamiltonian-like and l1 = 0 exactly
    system = nd.tanh_family(1.5 * ROT, value=0.1)
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.1)
    for backend in ("fast", "arb"):
        proof = prove_hopf(system, h, backend=backend)
        assert not proof.proved and "non-degeneracy" in proof.reason and proof.conclusion == "undecided"
        lo, hi = proof.bounds["l1"]
        assert lo <= 0.0 <= hi


@pytest.mark.parametrize("n", [6, 50])
def test_every_hopf_point_of_a_random_family_is_proven_at_the_exact_eigenvalue(n):
    gen = torch.Generator().manual_seed(n)
    A = torch.randn(n, n, generator=gen, dtype=F64) / n**0.5
    system = nd.tanh_family(A)
    hopf = nd.find_hopf_points(system, param="alpha", start=0.0)
    with ctx.workprec(256):
        exact = [lam for lam in acb_mat(arb_mat(A.numpy().tolist())).eig() if lam.imag > 0]
    assert len(hopf) == len(exact)
    proofs = prove_hopf_points(system, hopf)  # all at once: one eigen-decomposition (the Jacobians are A + alpha I)
    assert isinstance(proofs, nd.validated.Proofs) and len(proofs) == len(hopf)
    for h, proof in zip(hopf, proofs, strict=True):
        assert proof.proved, proof.reason
        assert (proof.conclusion == "supercritical") == (h.l1 < 0)
        # the Hopf point of tanh((A + alpha I) x) is alpha = -Re(lambda), omega = Im(lambda): inside the bounds
        a_lo, a_hi = proof.bounds["alpha"]
        w_lo, w_hi = proof.bounds["omega"]
        with ctx.workprec(256):
            hits = [lam for lam in exact if bool(-lam.real >= arb(a_lo)) and bool(-lam.real <= arb(a_hi))
                    and bool(lam.imag >= arb(w_lo)) and bool(lam.imag <= arb(w_hi))]
        assert len(hits) == 1


def test_hopf_proofs_at_n_200_in_a_window():
    gen = torch.Generator().manual_seed(200)
    A = torch.randn(200, 200, generator=gen, dtype=F64) / 200**0.5
    system = nd.tanh_family(A)
    hopf = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(0.3, 0.5))
    lam = np.linalg.eigvals(A.numpy())
    assert len(hopf) == int(((-lam.real > 0.3) & (-lam.real < 0.5) & (lam.imag > 0)).sum()) >= 3
    for h in hopf:
        proof = prove_hopf(system, h)
        assert proof.proved, proof.reason
        assert (proof.conclusion == "supercritical") == (h.l1 < 0)


def test_a_list_of_hopf_points_shares_one_eigenbasis_and_proves_what_each_alone_proves():
    gen = torch.Generator().manual_seed(7)
    A = torch.randn(30, 30, generator=gen, dtype=F64) / 30**0.5
    system = nd.tanh_family(A)
    hopf = nd.find_hopf_points(system, param="alpha", start=0.0)[:4]
    calls = []
    eig = np.linalg.eig
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(np.linalg, "eig", lambda M: calls.append(1) or eig(M))
        together = prove_hopf_points(system, tuple(hopf))
    assert len(calls) == 1  # the Jacobians are A + alpha I: one eigen-decomposition serves all four
    for h, proof in zip(hopf, together, strict=True):
        alone = prove_hopf(system, h)
        assert proof.proved and alone.proved and proof.conclusion == alone.conclusion
        for key in ("alpha", "omega", "l1", "crossing"):  # the same enclosures up to the rounding of other X
            (lo1, hi1), (lo2, hi2) = proof.bounds[key], alone.bounds[key]
            assert max(lo1, lo2) <= min(hi1, hi2)
    empty = prove_hopf_points(system, [])
    assert len(empty) == 0 and empty.status == "none found"
    assert together.status == "proved" and len(together) == 4 and together[0] is list(together)[0]
    import matplotlib

    matplotlib.use("Agg")
    assert together.plot().get_ylabel() == "omega" and together[0].plot().get_xlabel() == "Re λ"
    assert json.loads(json.dumps(together.to_dict()))["status"] == "proved"


def test_eigenbases_are_reused_only_for_a_shift_of_the_identity():
    from neurodyn.validated.linalg import EigenBases

    M = np.random.default_rng(0).standard_normal((20, 20))
    bases = EigenBases()
    first = bases(M)
    assert bases(M + 0.37 * np.eye(20)) is first
    E = np.zeros((20, 20))
    E[3, 5] = 1e-9
    assert bases(M + E) is not first
    assert bases(M + np.diag(np.linspace(0, 1e-6, 20))) is not bases(M)


@pytest.mark.parametrize("n", [1, 2, 7, 60])
def test_spectral_combinations_by_conjugate_pairs_equal_the_complex_product(n):
    """``X diag(d) R`` from real products over the conjugate eigenvector pairs of a real matrix equals the
    complex product, up to rounding; a basis without that structure takes the complex product."""
    from neurodyn.validated.linalg import Basis, EigenBases, approximate_inverse

    rng = np.random.default_rng(n)
    M = rng.standard_normal((n, n))
    M[0, 0] = 50.0  # a real eigenvalue far from the rest, next to the pairs
    basis, lam = EigenBases().decompose(M)
    assert basis.pairs is not None and len(basis.pairs[0]) == int((lam.imag > 0).sum())
    d = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    ref = (basis.X * d) @ basis.R
    re, im = basis.combine(d)
    scale = np.abs(basis.X).max() * np.abs(d).max() * np.abs(basis.R).sum(0).max()
    assert np.abs(re - ref.real).max() <= 1e-13 * scale and np.abs(im - ref.imag).max() <= 1e-13 * scale
    assert basis.combine(d, imag=False)[1] is None
    inverse = basis.combine(1 / lam, imag=False)[0]
    assert np.abs(inverse @ M - np.eye(n)).max() <= 1e-10
    X = basis.X * np.exp(1j * rng.uniform(0, 6, n))  # eigenvectors with arbitrary phases: no conjugate pairs
    rotated = Basis(X, approximate_inverse(X))
    if np.iscomplex(lam).any():
        assert rotated.pairs is None
    re, im = rotated.combine(d)
    ref = (X * d) @ rotated.R
    assert np.array_equal(re, ref.real) and np.array_equal(im, ref.imag)


@pytest.mark.parametrize("n", [1, 2, 9, 80])
def test_spectrum_products_by_conjugate_pairs_equal_the_complex_product(n):
    """``R (J X)`` from the pairs' two real products equals the real-form product up to the order BLAS sums in."""
    from neurodyn.validated.linalg import EigenBases, pair_products

    M = np.random.default_rng(n).standard_normal((n, n))
    basis, _ = EigenBases().decompose(M)
    Xr, Xi, Rr, Ri = basis.parts
    Pr, Pi = M @ Xr, M @ Xi
    Cr, Ci, absP = pair_products(M, basis)
    scale = (np.abs(Rr) + np.abs(Ri)) @ (np.abs(Pr) + np.abs(Pi))
    assert np.all(np.abs(Cr - (Rr @ Pr - Ri @ Pi)) <= 1e-13 * scale)
    assert np.all(np.abs(Ci - (Ri @ Pr + Rr @ Pi)) <= 1e-13 * scale)
    exact = (np.abs(Pr) + np.abs(Pi)).sum(1)
    assert np.all(absP >= exact) and np.all(absP <= exact * (1 + 1e-12))


def test_bordered_inverse_of_the_left_eigenvector_system_is_accurate():
    from neurodyn.validated.balls import Ball
    from neurodyn.validated.blocks import defect_norm_upper
    from neurodyn.validated.inverses import Inverses, bordered_inverse
    from neurodyn.validated.linalg import EigenBases

    rng = np.random.default_rng(1)
    n = 25
    J0 = rng.standard_normal((n, n)) / n**0.5
    lam, vecs = np.linalg.eig(J0)
    k = int(np.argmax(lam.imag))
    J = J0 - lam[k].real * np.eye(n)  # the pair +-i omega on the axis
    w, q = lam[k].imag, vecs[:, k]
    basis, lam_float = EigenBases().decompose(J)
    C = bordered_inverse(Inverses.of(basis, lam_float, w), q)
    Mc = np.block([[J.T + 1j * w * np.eye(n), q[:, None]], [q.conj()[None, :], np.zeros((1, 1))]])
    M = np.block([[Mc.real, -Mc.imag], [Mc.imag, Mc.real]])
    assert defect_norm_upper(C, Ball(M)) < 1e-10


def biased_family(n: int, seed: int):
    """``tanh((A + alpha I) x + b)``: its Hopf points sit on equilibria away from 0 (tanh'' != 0 there)."""
    gen = torch.Generator().manual_seed(seed)
    A = 1.5 * torch.randn(n, n, generator=gen, dtype=F64) / n**0.5
    return nd.tanh_family(A, b=0.1 * torch.randn(n, generator=gen, dtype=F64), leak=1.0)


@pytest.mark.parametrize("n, seed", [(20, 4), pytest.param(50, 5, marks=pytest.mark.slow)])
def test_extended_inverse_from_the_eigenbasis_is_accurate_off_the_origin(n, seed):
    from neurodyn.validated.backend import FastBackend
    from neurodyn.validated.balls import Ball
    from neurodyn.validated.blocks import defect_norm_upper
    from neurodyn.validated.field import TanhNetwork
    from neurodyn.validated.hopf_system import Unknowns, jacobian, mid_part
    from neurodyn.validated.inverses import extended_inverse
    from neurodyn.validated.linalg import EigenBases

    system = biased_family(n, seed)
    points = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(-1.5, 1.5))
    assert len(points) >= 3
    bk = FastBackend()
    for h in points:
        assert float(h.x.abs().max()) > 0.1  # H = d(Jv)/dx is not zero: the Schur complement is exercised
        net = TanhNetwork.of(system, "test", {"alpha": h.value})
        q = h.q.numpy()
        z = np.concatenate([h.x.numpy(), [h.value], q.real, q.imag, [h.omega]])
        DG = jacobian(net, bk, Unknowns(bk, z, n), n, q / np.vdot(q, q).real)
        M = DG.mid
        assert np.abs(M[n:3 * n, :n]).max() > 1e-3
        basis, lam = EigenBases().decompose(M[:n, :n])
        inv = extended_inverse(mid_part(bk, DG, n), basis, lam, n, h.omega)
        # A is the exact inverse of M with the critical eigenvalue's remainder mu_k = lam_k - i omega (the float
        # Hopf point's own error) set to 0: I - A M = A (mu_k x_k r_k in real form), on top of rounding
        mu_k = abs(lam[inv.k] - 1j * h.omega)
        perturbation = 2 * mu_k * np.abs(inv.X[:, inv.k]).max() * np.abs(inv.R[inv.k]).sum()
        dense = defect_norm_upper(np.linalg.inv(M), Ball(M))
        assert defect_norm_upper(inv.A, Ball(M)) <= 10 * dense + np.abs(inv.A).sum(1).max() * perturbation
        assert defect_norm_upper(inv.Ji, Ball(M[:n, :n])) <= 10 * defect_norm_upper(np.linalg.inv(M[:n, :n]),
                                                                                     Ball(M[:n, :n]))


def test_hopf_points_off_the_origin_are_proven_and_the_backends_agree():
    system = biased_family(6, 10)
    points = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(-1.5, 1.5))
    assert len(points) == 3
    fast = prove_hopf_points(system, points)
    for h, proof in zip(points, fast, strict=True):
        assert proof.proved, proof.reason
        assert (proof.conclusion == "supercritical") == (h.l1 < 0)
    ref = prove_hopf(system, points[0], backend="arb")
    assert ref.proved and ref.conclusion == fast[0].conclusion
    for name in ("alpha", "omega", "l1", "crossing"):  # both enclose the same true values
        (lo, hi), (rlo, rhi) = fast[0].bounds[name], ref.bounds[name]
        assert lo <= rhi and rlo <= hi, name
    assert fast[0].radius <= 10 * ref.radius


def test_proofs_serialise_bounds_as_outward_rounded_decimals():
    system = nd.tanh_family(torch.eye(2, dtype=F64) + 2.0 * ROT, leak=1.0, value=0.2)
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.2)
    proof = prove_hopf(system, h)
    data = json.loads(json.dumps(proof.to_dict()))
    assert data["proved"] is True and data["kind"] == "hopf"
    for name, (lo, hi) in proof.bounds.items():
        assert isinstance(data["bounds"][name]["lower"], str)
        decimal = data["bounds"][name]
        with ctx.workprec(256):  # the decimal interval contains the float interval
            assert bool(arb(decimal["lower"]) <= arb(lo)) and bool(arb(decimal["upper"]) >= arb(hi))
    with ctx.workprec(256):
        assert bool(arb(data["radius"]) >= arb(proof.radius))


def test_bad_input_is_refused_with_what_to_do():
    with pytest.raises(InvalidInputError, match="tanh_field"):
        prove_equilibrium(nd.lorenz(), torch.zeros(3, dtype=F64))
    system = random_network(4, 0.5, 0)
    with pytest.raises(InvalidInputError, match="shape"):
        prove_equilibrium(system, torch.zeros(5, dtype=F64))
    with pytest.raises(InvalidInputError, match="non-finite"):
        prove_equilibrium(system, torch.tensor([0.0, float("nan"), 0.0, 0.0], dtype=F64))
    with pytest.raises(InvalidInputError, match="backend"):
        prove_equilibrium(system, torch.zeros(4, dtype=F64), backend="double")
    failed = prove_equilibrium(system, torch.full((4,), 3.0, dtype=F64))
    with pytest.raises(InvalidInputError, match="not proved"):
        prove_stability(system, failed)
    origin = nd.tanh_field(0.5 * torch.eye(4, dtype=F64), leak=1.0)  # -x + tanh(x / 2): x = 0
    proved = prove_equilibrium(origin, torch.zeros(4, dtype=F64))
    assert proved.proved
    with pytest.raises(InvalidInputError, match="another field"):  # same size, other weights
        prove_stability(nd.tanh_field(0.4 * torch.eye(4, dtype=F64), leak=1.0), proved)
    with pytest.raises(InvalidInputError, match="HopfPoint"):
        prove_hopf(system, failed)
    with pytest.raises(InvalidInputError, match="prove_hopf_points needs a sequence"):
        prove_hopf_points(system, failed)


def test_one_result_type_strict_and_the_deprecated_spellings():
    system = nd.tanh_family(1.5 * ROT, value=0.1)  # a Hamiltonian rotation: l1 = 0, never proved
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.1)
    proof = prove_hopf(system, h)
    assert isinstance(proof, nd.Proof) and proof.status == "not proved" and not proof.status.ok
    assert proof.to_dict()["status"] == "not proved"
    with pytest.raises(nd.ConvergenceError, match="not proved") as info:
        prove_hopf(system, h, strict=True)
    assert info.value.result.reason == proof.reason
    with pytest.raises(nd.ConvergenceError):
        prove_hopf_points(system, [h], strict=True)
    with pytest.warns(DeprecationWarning, match="hopf="):
        assert prove_hopf(system, hopf_point=h).reason == proof.reason
    with pytest.warns(DeprecationWarning, match="prove_hopf_points"):
        old = prove_hopf(system, [h])  # the old return type for one release: a list
        assert isinstance(old, list) and old[0].reason == proof.reason
    with pytest.warns(DeprecationWarning, match="start="):
        assert nd.find_hopf_points(system, param="alpha", at=0.1)[0].value == h.value


def test_disc_components_join_exactly_the_discs_that_touch():
    """The sweep over real parts finds the same groups as comparing every pair of discs (ties, one huge disc)."""
    from scipy.sparse.csgraph import connected_components

    from neurodyn.validated.linalg import disc_components

    rng = np.random.default_rng(0)
    for t in range(200):
        n = int(rng.integers(0, 30))
        c = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        c = np.round(c, 1) if t % 3 == 0 else c
        r = np.abs(rng.standard_normal(n)) * rng.choice([1e-3, 0.1, 1.0])
        if n and t % 5 == 0:
            r[0] = 5.0
        touching = np.abs(c[:, None] - c[None, :]) <= (r[:, None] + r[None, :]) * (1 + 1e-12) + 1e-300
        expected = connected_components(touching, directed=False)[1]
        got = disc_components(c, r)
        assert all(len(set(got[expected == k])) == 1 for k in set(expected))
        assert all(len(set(expected[got == k])) == 1 for k in set(got))


def test_hopf_proofs_fall_back_to_dense_solves_when_the_spectral_ones_do_not_decide(monkeypatch):
    """Spectral enclosures too wide to decide the signs (inflated here) are followed by the dense solves, whose
    bounds the proof then reports (intersected with the first ones); without any spectral solve, the same."""
    from neurodyn.validated import Ball, FastBackend

    class Wide(FastBackend):  # the spectral enclosures inflated until they decide nothing
        def spectral_solve(self, *args, **kwargs):
            out = super().spectral_solve(*args, **kwargs)
            return None if out is None else tuple(Ball(b.mid, b.rad + 1e6) for b in out)

    class Dense(FastBackend):  # no spectral route at all
        def spectral_solve(self, *args, **kwargs):
            return None

    system = biased_family(6, 10)
    points = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(-1.5, 1.5))
    sharp = prove_hopf(system, points[0])
    fallback = prove_hopf(system, points[0], backend=Wide())
    dense = prove_hopf(system, points[0], backend=Dense())
    assert sharp.proved and fallback.proved and dense.proved
    assert fallback.conclusion == dense.conclusion == sharp.conclusion
    for name in ("crossing", "l1"):
        assert fallback.bounds[name] == dense.bounds[name]


def rotation_family(u: float, w: float):
    """``-x + tanh((A + alpha I) x + b)`` with ``A = I / s + w R`` (``s = 1 - u^2``) and ``b`` chosen so that
    ``x* = (u, u)`` is the equilibrium at ``alpha = 0``: there ``J = s w R``, a Hopf point away from the origin
    (``tanh'' != 0``) with ``omega = s w``."""
    s = 1 - u * u
    A = torch.eye(2, dtype=F64) / s + w * ROT
    x = torch.tensor([u, u], dtype=F64)
    return nd.tanh_family(A, b=torch.full((2,), math.atanh(u), dtype=F64) - A @ x, leak=1.0, value=0.1), x


def closed_form_l1(u: float, w: float) -> arb:
    """Kuznetsov's l1 at the Hopf point of :func:`rotation_family`, worked out by hand in Arb: with ``mu = 1/s + i w``
    (``M q = mu q`` for ``q = (1, -i)/sqrt 2 = p``), ``tanh''`` and ``tanh'''`` at the equilibrium ``s2 = -2 u s``,
    ``s3 = -2 s (1 - 3 u^2)``: ``p^H C(q,q,q̄) = s3 |mu|^2 mu / 2``, ``p^H B(q, J^-1 B(q,q̄)) = s2^2 |mu|^2 mu w / (2
    omega)``, ``p^H B(q̄, (2 i omega - J)^-1 B(q,q)) = s2^2 |mu|^2 mu (mu / 2 + conj(mu) / 6) / (2 i omega)``."""
    with ctx.workprec(200):
        U, W = arb(u), arb(w)
        S = 1 - U * U
        omega, s2, s3 = S * W, -2 * U * S, -2 * S * (1 - 3 * U * U)
        mu, mod2 = acb(1 / S, W), 1 / (S * S) + W * W
        term = (s3 * mod2 * mu / 2 - s2 * s2 * mod2 * mu * W / omega
                + s2 * s2 * mod2 * mu / (2 * acb(0, omega)) * (mu / 2 + mu.conjugate() / 6))
        return term.real / (2 * omega)


@pytest.mark.parametrize("u, w", [(0.3, 1.5), (0.6, 0.8)])
def test_hopf_proof_at_a_biased_point_encloses_the_closed_form_l1_and_crossing(u, w):
    system, x = rotation_family(u, w)
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.1, x0=x)
    exact = closed_form_l1(u, w)
    # the crossing speed is s = 1 - u^2 exactly (p^H dJ/dalpha q = s: the tanh'' term averages to 0 over q)
    with ctx.workprec(200):
        crossing = 1 - arb(u) ** 2
    for backend in ("fast", "arb"):
        proof = prove_hopf(system, h, backend=backend)
        assert proof.proved and proof.conclusion == "supercritical", proof.reason
        (lo, hi), (clo, chi) = proof.bounds["l1"], proof.bounds["crossing"]
        with ctx.workprec(200):  # Arb balls inside the rigorous intervals: no float slack
            assert bool(arb(lo) <= exact) and bool(exact <= arb(hi)), (backend, lo, hi, exact)
            assert bool(arb(clo) <= crossing) and bool(crossing <= arb(chi)), (backend, clo, chi)
        assert hi - lo < 1e-6 and chi - clo < 1e-6


def float_l1_and_crossing(system, h) -> tuple[float, float]:
    """``l1`` from Kuznetsov's formula with numpy (explicit tanh derivatives, ``numpy.linalg.eig`` for ``q`` and
    ``p``), and the crossing speed from Richardson-extrapolated central differences of ``Re mu(alpha)`` along the
    branch (equilibria by Newton): independent of the library's autodiff and of the interval code."""
    form = system.tanh_form
    A, b = form.W.numpy(), form.b.numpy()
    n = len(b)

    def parts(x, a):
        M = A + a * np.eye(n)
        t = np.tanh(M @ x + b)
        return M, t, 1 - t * t

    def equilibrium(a, x):
        for _ in range(50):
            M, t, s = parts(x, a)
            x = x - np.linalg.solve(-np.eye(n) + s[:, None] * M, t - x)
        return x

    def critical(a, x):
        M, t, s = parts(x, a)
        lam = np.linalg.eigvals(-np.eye(n) + s[:, None] * M)
        return lam[np.argmin(np.abs(lam - 1j * h.omega))]

    x, a, w = h.x.numpy(), h.value, h.omega
    M, t, s1 = parts(x, a)
    s2, s3 = -2 * t * s1, -2 * s1 * (1 - 3 * t * t)
    J = -np.eye(n) + s1[:, None] * M
    lam, V = np.linalg.eig(J)
    q = V[:, np.argmin(np.abs(lam - 1j * w))]
    q = q / np.linalg.norm(q)
    lamT, U = np.linalg.eig(J.T)
    p = U[:, np.argmin(np.abs(lamT + 1j * w))]
    p = p / np.vdot(p, q).conj()

    def B(u, v):
        return s2 * (M @ u) * (M @ v)

    h11 = np.linalg.solve(J, B(q, q.conj()))
    h20 = np.linalg.solve(2j * w * np.eye(n) - J, B(q, q))
    term = (np.vdot(p, s3 * (M @ q) ** 2 * (M @ q.conj())) - 2 * np.vdot(p, B(q, h11))
            + np.vdot(p, B(q.conj(), h20)))
    d = [(critical(a + k, equilibrium(a + k, x)) - critical(a - k, equilibrium(a - k, x))).real / (2 * k)
         for k in (2e-3, 1e-3)]
    return term.real / (2 * w), (4 * d[1] - d[0]) / 3


def test_hopf_proofs_off_the_origin_enclose_an_independent_l1_and_crossing_speed():
    system = biased_family(6, 10)
    points = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(-1.5, 1.5))
    proofs = prove_hopf_points(system, points)
    assert proofs.status == "proved"
    for h, proof in zip(points, proofs, strict=True):
        assert float(h.x.abs().max()) > 0.05  # away from the origin: the quadratic terms enter l1
        l1, crossing = float_l1_and_crossing(system, h)
        # float errors of the independent values: ~1e-13 (l1) and ~1e-11 (h^4 and 1e-16 / h of the differences),
        # far inside the proven widths checked here
        (lo, hi), (clo, chi) = proof.bounds["l1"], proof.bounds["crossing"]
        assert lo <= l1 <= hi and clo <= crossing <= chi, (l1, lo, hi, crossing, clo, chi)
        assert hi - lo > 1e-11 and chi - clo > 1e-10


@pytest.mark.parametrize("backend", ["fast", "arb"])
def test_the_proof_encloses_the_extended_system_the_float_search_solves(backend):
    """One definition of the extended Hopf system: at points near and away from a Hopf point, the proof's interval
    residual (``neurodyn.validated.hopf_system``) contains the float residual of
    ``neurodyn.continuation.residuals.hopf_residual`` up to the float evaluation's own rounding."""
    from neurodyn.continuation.residuals import hopf_residual
    from neurodyn.validated import get_backend
    from neurodyn.validated.field import TanhNetwork
    from neurodyn.validated.hopf_system import residual

    system = biased_family(6, 10)
    h = nd.find_hopf_points(system, param="alpha", start=0.0, interval=(-1.5, 1.5))[0]
    q = h.q.to(torch.complex128)
    z0 = torch.cat([h.x, torch.tensor([h.value], dtype=F64), q.real, q.imag, torch.tensor([h.omega], dtype=F64)])
    gen = torch.Generator().manual_seed(3)
    t0 = torch.zeros((), dtype=F64)
    bk = get_backend(backend)
    for scale in (0.0, 1e-3, 0.1):
        z = z0 + scale * torch.randn(len(z0), generator=gen, dtype=F64)
        c = q / torch.vdot(q, q).real
        R = hopf_residual(lambda x, a: system.fn(t0, x, {"alpha": a}), z, c, 1).numpy()
        net = TanhNetwork.of(system, "test", {"alpha": float(z[6])})
        enclosure = residual(net, bk, z.numpy(), 6, c.numpy())
        mid, rad = np.asarray(enclosure.mid, dtype=np.float64), np.asarray(enclosure.upper() - enclosure.mid)
        # the float residual rounds a few dozen operations on O(1) numbers: within 1e-14 of the exact value
        assert np.all(np.abs(R - mid) <= rad + 1e-14), (scale, np.abs(R - mid).max())
        assert scale == 0.0 or np.abs(R).max() > 1e-4  # away from the zero the comparison is not vacuous
