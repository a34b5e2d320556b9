"""neurodyn.validated.proven_ftle_and_orbit: bad input, and the choice of the Hopf point its orbit is born at (the full
computation runs in the demo's test)."""

import numpy as np
import pytest

import neurodyn as nd


@pytest.mark.parametrize("kwargs, match", [({"grid": 1}, "grid"), ({"grid": 3.5}, "grid"), ({"offset": 0.0}, "offset"),
                                           ({"offset": float("nan")}, "offset")])
def test_bad_grid_or_offset_is_refused(kwargs, match):
    with pytest.raises(nd.InvalidInputError, match=match):
        nd.validated.proven_ftle_and_orbit(None, None, None, **kwargs)


def test_hopf_first_seed_picks_a_coupling_whose_rightmost_eigenvalues_are_a_complex_pair():
    def rightmost_is_complex(seed):
        ev = np.linalg.eigvals(nd.validated.gain_matrix(8, seed).numpy())
        return abs(ev[np.argmax(ev.real)].imag) > 1e-9

    seed = nd.validated.hopf_first_seed(8, 0)
    assert rightmost_is_complex(seed) and not any(rightmost_is_complex(k) for k in range(seed))
    with pytest.raises(nd.InvalidInputError, match="complex pair"):
        nd.validated.hopf_first_seed(1, 0, tries=3)  # a 1 x 1 coupling has real eigenvalues only


def test_first_loss_hopf_only_where_x0_first_loses_stability_at_a_supercritical_hopf_point():
    # seed 0: x = 0 first loses stability at a branch point (a real eigenvalue of W crosses first): no choice
    study = nd.validated.tanh_gain_bifurcations(8, max_cycles=1, seed=0)
    first = min(study.branch.special, key=lambda sp: sp.value)
    assert first.kind == "branch"
    chosen, why = nd.validated.first_loss_hopf(study)
    assert chosen is None and f"at a branch point at g = {first.value:.4g}" in why
    # the first seed with a complex rightmost pair: its first Hopf point, at g = 1 / Re(lambda_max), l1 proven < 0
    seed = nd.validated.hopf_first_seed(10, 0)
    study = nd.validated.tanh_gain_bifurcations(10, max_cycles=1, seed=seed)
    (h, proof), why = nd.validated.first_loss_hopf(study)
    ev = np.linalg.eigvals(nd.validated.gain_matrix(10, seed).numpy())
    assert why == "" and proof.proved and proof.bounds["l1"][1] < 0
    lo, hi = proof.bounds["g"]
    assert lo - 1e-12 <= 1 / ev.real.max() <= hi + 1e-12 and abs(h.value - 1 / ev.real.max()) < 1e-8
