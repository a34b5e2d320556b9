"""The planted tanh network (n = 200, 20 slow modes, fast block scaled by 1/eps): subspace, manifold, reduction."""

import numpy as np
import pytest
import scipy.linalg
import torch

import neurodyn as nd
from neurodyn.results import Status


def _setup(eps: float):
    flow = nd.planted_tanh(200, 20, eps, seed=0)
    fp = nd.find_fixed_points(flow, n_starts=8, seed=0)
    assert len(fp) == 1
    xe = fp.points[0]
    d = torch.randn(4, 200, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    d[:, 20:] *= eps  # near the equilibrium: slow displacements of order 0.5, fast ones O(eps) (unsaturated)
    return flow, xe, torch.cat((xe[None], xe + 0.5 * d))


def test_planted_split_recovers_the_slow_subspace():
    flow, xe, states = _setup(0.01)
    ts = nd.time_scales(flow, states)
    assert ts.status == Status.OK and ts.n_fast == 180
    assert float(ts.eps.max()) < 0.1 and float(ts.eps[0]) == pytest.approx(0.0178, abs=1e-3)
    split = nd.slow_fast(flow, states)
    assert split.status == Status.OK and split.n_slow == 20
    # against the slow eigenvectors of the Jacobian at the equilibrium (numpy's geev, independent of the Schur path)
    w, V = np.linalg.eig(flow.jacobian(xe).numpy())
    slow = V[:, np.argsort(-w.real)[:20]]
    assert scipy.linalg.subspace_angles(slow, split.slow_basis.numpy()).max() < 1e-6
    # and the planted structure: the slow subspace is the first 20 coordinates up to O(eps)
    planted = scipy.linalg.subspace_angles(np.eye(200)[:, :20], split.slow_basis.numpy()).max()
    assert planted < 1.0 * 0.01
    # the manifold condition is solved at every state
    assert bool(split.on_manifold.all()) and float(split.manifold_residual.max()) < 1e-12


def test_planted_fixed_points_of_reduced_are_fixed_points_of_full():
    flow, xe, states = _setup(0.01)
    split = nd.slow_fast(flow, states)
    red = split.reduced()
    fp = nd.find_fixed_points(red, starts=split.slow_coordinates(states[1:]), seed=0)
    assert len(fp) == 1
    X = split.manifold_point(fp.points)
    assert float(torch.linalg.vector_norm(flow.f(X))) < 1e-12
    assert float(torch.linalg.vector_norm(X[0] - xe)) < 1e-12
    # the reduced linearisation is the full one's slow block: same 20 slowest eigenvalues
    full_ev = torch.linalg.eigvals(flow.jacobian(xe))
    full_slow = full_ev[torch.argsort(-full_ev.real)[:20]]
    red_ev = fp.fixed.eigenvalues[0]
    key = lambda v: torch.sort(v.real * 1e3 + v.imag).values  # noqa: E731 - a sort key for complex values
    assert torch.allclose(key(red_ev), key(full_slow), atol=1e-8)


@pytest.mark.slow
def test_planted_reduced_model_error_is_order_eps():
    errors = {}
    for eps in (0.01, 0.005):
        flow, xe, states = _setup(eps)
        split = nd.slow_fast(flow, states)
        err = split.error(2.0, steps=10)
        errors[eps] = err.max_error
        assert err.max_error < 0.01 * eps  # well inside O(eps) for these O(0.5) slow displacements
        # full trajectories approach the slow manifold at about the slowest fast rate (the other fast rates
        # reach 1.6x it here, so the fit over the later half of the decay sits a little above it)
        rates = err.approach_rate[1:]
        assert bool(((rates > split.fast_rate) & (rates < 1.15 * split.fast_rate)).all())
    # halving eps at least halves the error (measured: 4x, since the initial fast offsets scale with eps too)
    assert 0 < errors[0.005] < 0.5 * errors[0.01]
