"""slow_fast: bases, slow manifold orders on Davis–Skodje, the exact linear reduction, fixed points, bad input."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

import neurodyn as nd
from neurodyn.results import Status

GAMMAS = (10.0, 20.0, 40.0, 80.0, 160.0)
Y1 = torch.tensor([0.0, 0.25, 0.5, 1.0, 2.0], dtype=torch.float64)


def _davis_skodje_manifold_error(gamma: float, order: int) -> torch.Tensor:
    """Computed minus exact slow manifold y2 = y1 / (1 + y1), at the y1 of Y1 (chart origin at the equilibrium)."""
    states = torch.stack((Y1, torch.zeros_like(Y1)), -1)
    split = nd.slow_fast(nd.davis_skodje(gamma), states, order=order)
    assert split.status == Status.OK and split.n_fast == 1
    y1, y2 = split.manifold.unbind(-1)
    assert torch.allclose(y1, Y1, atol=1e-14)  # the fast fibre is vertical: y1 is kept
    return y2 - y1 / (1 + y1)


def test_davis_skodje_zeroth_order_is_the_linear_csp_manifold_error_order_one_over_gamma():
    # with the basis frozen at the origin the condition is f2 - f1 = 0, i.e.
    # y2 = y1/(1+y1) + (y1 - y1/(1+y1)^2) / gamma exactly: the error is O(1/gamma)
    errors = []
    for gamma in GAMMAS:
        err = _davis_skodje_manifold_error(gamma, 0)
        assert torch.allclose(err, (Y1 - Y1 / (1 + Y1) ** 2) / gamma, rtol=1e-12, atol=1e-15)
        errors.append(float(err.abs().max()))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.allclose(ratios, 2.0, rtol=1e-9)  # halving 1/gamma halves the error: order 1 in 1/gamma


def test_davis_skodje_first_order_error_order_one_over_gamma_squared():
    # ILDM/CSP-refined basis: y2 = h - y1^2 h'' / (gamma (gamma - 1)), h = y1/(1+y1), h'' = -2/(1+y1)^3
    errors = []
    for gamma in GAMMAS:
        err = _davis_skodje_manifold_error(gamma, 1)
        exact_err = 2 * Y1**2 / (1 + Y1) ** 3 / (gamma * (gamma - 1))
        assert torch.allclose(err, exact_err, rtol=1e-9, atol=1e-15)
        errors.append(float(err.abs().max()))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all(ratios > 3.9) and np.all(ratios < 4.3)  # gamma(gamma-1) ratios: 4.22, 4.11, 4.05, 4.03
    assert ratios[-1] == pytest.approx(2 * 159 / 79, rel=1e-6)  # (160 * 159) / (80 * 79)


def test_linear_system_split_is_exact(linear4):
    flow, S = linear4
    gen = torch.Generator().manual_seed(5)
    states = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    split = nd.slow_fast(flow, states)
    assert split.status == Status.OK
    assert split.n_fast == 2 and split.n_slow == 2
    assert torch.allclose(split.eps, torch.full((6,), 1 / 50, dtype=torch.float64), rtol=1e-10)
    assert split.fast_rate == pytest.approx(100.0, rel=1e-12)
    # the slow subspace: spanned by the eigenvectors of -1 and -2 (columns of S)
    angles = scipy.linalg.subspace_angles(S[:, :2].numpy(), split.slow_basis.numpy())
    assert angles.max() < 1e-10
    angles_fast = scipy.linalg.subspace_angles(S[:, 2:].numpy(), split.fast_basis.numpy())
    assert angles_fast.max() < 1e-10
    # the slow manifold of a linear flow is the slow subspace through 0: its points lie in span S[:, :2]
    resid = split.manifold - split.manifold @ torch.linalg.pinv(S[:, :2]).T @ S[:, :2].T
    assert float(resid.abs().max()) < 1e-12


def test_linear_reduced_system_is_exact(linear4):
    flow, S = linear4
    states = torch.randn(3, 4, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    split = nd.slow_fast(flow, states)
    red = split.reduced()
    assert isinstance(red, nd.Flow) and red.dim == 2
    z = torch.randn(7, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    # on the slow subspace x = origin + A_s z + A_f w*(z) equals A_s (z + B_s origin): dz/dt = R (z + B_s origin)
    A = flow.jacobian(torch.zeros(4, dtype=torch.float64))
    R = split.slow_dual @ A @ split.slow_basis
    shift = split.slow_dual @ split.origin
    assert torch.allclose(red.f(z), (z + shift) @ R.T, rtol=1e-11, atol=1e-11)
    ev = torch.sort(torch.linalg.eigvals(red.jacobian(z)[0]).real).values
    assert torch.allclose(ev, torch.tensor([-2.0, -1.0], dtype=torch.float64), rtol=1e-10)
    # and it tracks the full system: slow coordinates agree to the integration tolerance at all times
    err = split.error(0.5, steps=50)
    assert float(err.slow_error.max()) < 1e-7
    # after the initial layer, full states are on the manifold: only e^{-100 t} of the fast transient is left
    late = err.times >= 0.3
    fast0 = float(torch.linalg.vector_norm((states - split.manifold), dim=-1).max())
    assert float(err.distance[late].max()) < 1e-7 + 3 * fast0 * math.exp(-100 * 0.3)
    # the approach rate to the manifold is the slowest fast rate, 100 (the fit over the later half of the decay
    # keeps a trace of the -200 mode and of the integration's floor: within 1%)
    assert torch.allclose(err.approach_rate, torch.full((3,), 100.0, dtype=torch.float64), rtol=1e-2)


def test_reduced_fixed_points_are_full_fixed_points():
    flow = nd.davis_skodje(30.0)
    y1 = torch.tensor([0.5, 0.0, 1.0], dtype=torch.float64)
    split = nd.slow_fast(flow, torch.stack((y1, y1 / (1 + y1)), -1))
    red = split.reduced()
    fp = nd.find_fixed_points(red, starts=split.slow_coordinates(split.states), seed=0)
    assert len(fp) == 1
    X = split.manifold_point(fp.points)
    assert float(flow.f(X).abs().max()) < 1e-12
    assert float(X.abs().max()) < 1e-12  # the only equilibrium, the origin
    # the reduced linearisation there is the slow eigenvalue of the full one, -1
    assert float(fp.fixed.eigenvalues[0, 0].real) == pytest.approx(-1.0, abs=1e-10)


def test_reduced_flow_works_with_lyapunov_and_continuation():
    flow = nd.davis_skodje(20.0)
    y1 = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    split = nd.slow_fast(flow, torch.stack((y1, y1 / (1 + y1)), -1))
    red = split.reduced()
    assert red.params is not None and "gamma" in red.params
    # y1' = -y1 exactly on any manifold, so the one exponent is -1
    spec = nd.lyapunov_spectrum(red, steps=100, dt=0.05, x0=torch.tensor([[0.3]], dtype=torch.float64),
                                strict=False)
    assert float(spec.exponents[0]) == pytest.approx(-1.0, abs=1e-6)
    branch = nd.continue_equilibria(red, param="gamma", start=20.0, stop=22.0,
                                    x0=split.slow_coordinates(torch.zeros(2, dtype=torch.float64)), max_points=20)
    # the origin stays the equilibrium for every gamma, with the slow eigenvalue -1: no bifurcation on the way
    assert float(branch.values.max()) >= 22.0 - 1e-9
    assert float(branch.states.abs().max()) < 1e-10
    assert torch.allclose(branch.eigenvalues.real, torch.full_like(branch.eigenvalues.real, -1.0), atol=1e-9)
    assert branch.special == []


def test_no_gap_is_refused(make_linear):
    flow, _ = make_linear([-1.0, -1.5, -2.0, -3.0])
    with pytest.raises(nd.InvalidInputError, match="no spectral gap"):
        nd.slow_fast(flow, torch.zeros(1, 4, dtype=torch.float64))


def test_forced_split_without_separation_is_refused(linear4):
    flow, _ = linear4
    # n_fast = 3 leaves only -1 slow: eps = 1/2; n_fast = 1 keeps -100 among the slow modes: eps = 100/200
    for n_fast in (3, 1):
        with pytest.raises(nd.InvalidInputError, match="not separated .*eps = 0.5 > max_eps"):
            nd.slow_fast(flow, torch.zeros(1, 4, dtype=torch.float64), n_fast=n_fast)


def test_pair_straddling_requested_split_is_refused(make_linear):
    flow, _ = make_linear([-1.0, (-100.0, 50.0), -200.0])
    with pytest.raises(nd.InvalidInputError, match="complex-conjugate pair"):
        nd.slow_fast(flow, torch.zeros(1, 4, dtype=torch.float64), n_fast=2)
    split = nd.slow_fast(flow, torch.zeros(1, 4, dtype=torch.float64))
    assert split.n_fast == 3  # the pair stays among the fast modes


@pytest.mark.parametrize("kwargs, match", [({"n_fast": 0}, "n_fast"), ({"n_fast": 4}, "n_fast"),
                                           ({"order": 2}, "order"), ({"max_eps": -1.0}, "max_eps")])
def test_bad_arguments(linear4, kwargs, match):
    flow, _ = linear4
    with pytest.raises(nd.InvalidInputError, match=match):
        nd.slow_fast(flow, torch.zeros(1, 4, dtype=torch.float64), **kwargs)


def test_non_finite_states(linear4):
    flow, _ = linear4
    with pytest.raises(nd.NonFiniteError, match="states"):
        nd.slow_fast(flow, torch.tensor([[0.0, math.inf, 0.0, 0.0]], dtype=torch.float64))


def test_split_serialises_and_plots(tmp_path):
    import json

    import matplotlib

    matplotlib.use("Agg")
    y1 = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    split = nd.slow_fast(nd.davis_skodje(20.0), torch.stack((y1, 0 * y1), -1))
    data = json.loads(split.save_json(tmp_path / "split.json").read_text())
    assert data["n_fast"] == 1 and data["n_slow"] == 1 and data["system_name"].startswith("davis_skodje")
    assert "system" not in data
    split.plot()


@pytest.mark.parametrize("T, frozen, equilibrated", [(0.001, True, False), (0.03, True, True), (0.5, False, True),
                                                     (0.01, True, False)])
def test_frozen_slow_and_fast_as_noise_decision(linear4, T, frozen, equilibrated):
    # rates {1, 2} and {100, 200}: with tol 0.1 the slow part moves < 0.1 for T < ~0.05 and the fast part has
    # relaxed by exp(-100 T) < 0.1 for T > 0.023
    flow, _ = linear4
    states = torch.randn(4, 4, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    split = nd.slow_fast(flow, states)
    dec = split.decide(T, tol=0.1)
    assert dec.status == Status.OK
    assert dec.slow_frozen is frozen and dec.fast_equilibrated is equilibrated
    assert dec.predicted_fast_relaxation == pytest.approx(math.exp(-100 * T), rel=1e-12)
    # the measured relaxation of the distance to the manifold lies between exp(-200 T) and a constant (the
    # fast basis' conditioning) times exp(-100 T), down to the integration's error (rtol 1e-8)
    assert bool((dec.fast_relaxation <= 10 * math.exp(-100 * T) + 1e-8).all())
    # the first-order prediction of the slow motion is within a factor 1 +- T * 2 of the measurement
    ratio = dec.slow_motion / dec.predicted_slow_motion
    assert bool(((ratio > 1 - 2.5 * T) & (ratio < 1 + 1e-6)).all())
    assert dec.decision
    assert dec.fast_mean.shape == (4, 2) and dec.fast_std.shape == (4, 2)
    dec.to_dict()


def test_davis_skodje_approach_rate_is_gamma():
    # full trajectories from y2 = 0 approach the slow manifold at the rate gamma; the computed (order-1) manifold
    # is O(1/gamma^2) off, which the fit stays well above
    gamma = 40.0
    y1 = torch.tensor([0.0, 0.5, 1.0, 2.0], dtype=torch.float64)
    split = nd.slow_fast(nd.davis_skodje(gamma), torch.stack((y1, 0 * y1), -1))
    err = split.error(1.0, steps=20)
    assert split.fast_rate == gamma
    assert math.isnan(float(err.approach_rate[0]))  # the origin is on the manifold: no approach to measure
    assert torch.allclose(err.approach_rate[1:], torch.full((3,), gamma, dtype=torch.float64), rtol=0.03)
    # after the layer the full state is within O(1/gamma^2) of the reduced state lifted onto the manifold
    assert err.max_error < 2 / gamma**2
    import matplotlib

    matplotlib.use("Agg")
    assert len(err.plot()) == 3


def test_gap_closing_along_the_states_is_flagged(closing_gap):
    x = torch.linspace(2.0, 0.0, 9, dtype=torch.float64)
    split = nd.slow_fast(closing_gap, torch.stack((x, torch.ones_like(x)), -1))
    assert split.status == Status.GAP_CLOSES and split.status.ok
    assert torch.equal(split.separated, 0.5 / (1 + 100 * x * x) <= 0.1)
    # started where the gap is closed, there is no split to make
    with pytest.raises(nd.InvalidInputError, match="not separated at the first state"):
        nd.slow_fast(closing_gap, torch.stack((x.flip(0), torch.ones_like(x)), -1))
