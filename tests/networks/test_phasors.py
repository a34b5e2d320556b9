"""All-to-all Kuramoto on unit phasors (Lawson RK4, no trigonometry per stage) against RK4 on the phases."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn import networks as nw

N = 300


def _wrap(d):
    return torch.remainder(d + math.pi, 2 * math.pi) - math.pi


def _x0():
    return 2 * math.pi * torch.rand(N, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_phasor_and_phase_integration_converge_to_the_same_solution_at_fourth_order(alpha):
    # Gaussian quantile frequencies (|omega| dt <= 0.2), K = 2, t = 4. Reference: RK4 on the phases at dt/32.
    # Both schemes are fourth order, so each one's error and their difference fall 16x per halving of dt
    # (measured 14.6-16.8x; errors 2e-6, 1.2e-7, 7e-9 at dt = 0.08, 0.04, 0.02).
    net = nw.kuramoto(nw.CompleteGraph(N), nw.Gaussian(1.0).quantiles(N), K=2.0, alpha=alpha)
    ref = nw.simulate(net, _x0(), t_end=4.0, dt=0.0025, every=1600).final
    errors, gaps = [], []
    for dt in (0.08, 0.04, 0.02):
        phases = nw.simulate(net, _x0(), t_end=4.0, dt=dt, every=1000).final
        phasors = nw.simulate_phasors(net, _x0(), t_end=4.0, dt=dt, every=1000).final
        errors.append(float(_wrap(phasors - ref).abs().max()))
        gaps.append(float(_wrap(phasors - phases).abs().max()))
    for e in (errors, gaps):
        assert 12 < e[0] / e[1] < 20 and 12 < e[1] / e[2] < 20
    assert errors[-1] < 1e-8


def test_without_renormalising_the_phasors_stay_on_the_circle_to_rk4_accuracy():
    net = nw.kuramoto(nw.CompleteGraph(N), nw.Gaussian(1.0).quantiles(N), K=2.0)
    run = nw.simulate_phasors(net, _x0(), t_end=4.0, dt=0.02, renormalise=False,
                              observe=lambda x: x[..., :3])
    kept = nw.simulate_phasors(net, _x0(), t_end=4.0, dt=0.02, observe=lambda x: x[..., :3])
    # the drift changes the phases by less than the scheme's own error at this dt (7e-9, previous test)
    assert float(_wrap(run.final - kept.final).abs().max()) < 1e-9


def test_order_parameter_and_batched_couplings_match_the_phase_integration():
    net = nw.kuramoto(nw.CompleteGraph(N), nw.Lorentzian(0.5).quantiles(N), K=2.0)
    K = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    batch = net.with_params(K=K)
    a = nw.simulate(batch, _x0().expand(2, -1).clone(), t_end=1.0, dt=0.01, every=10)
    b = nw.simulate_phasors(batch, _x0(), t_end=1.0, dt=0.01, every=10)
    assert b.values.shape == (11, 2)
    assert float((a.values - b.values).abs().max()) < 1e-9
    assert torch.equal(a.times, b.times)


def test_only_the_all_to_all_kuramoto_model_is_accepted():
    dense = nw.kuramoto(nw.DenseGraph(torch.ones(4, 4, dtype=torch.float64)), torch.zeros(4))
    with pytest.raises(nd.InvalidInputError, match="all-to-all Kuramoto"):
        nw.simulate_phasors(dense, torch.zeros(4), t_end=1.0, dt=0.1)
    rates = nw.rate_network(nw.CompleteGraph(4))
    with pytest.raises(nd.InvalidInputError, match="use simulate"):
        nw.simulate_phasors(rates, torch.zeros(4), t_end=1.0, dt=0.1)
    net = nw.kuramoto(nw.CompleteGraph(4), torch.zeros(4))
    with pytest.raises(nd.InvalidInputError, match="N = 4"):
        nw.simulate_phasors(net, torch.zeros(5), t_end=1.0, dt=0.1)
    with pytest.raises(nd.InvalidInputError, match="whole number"):
        nw.simulate_phasors(net, torch.zeros(4), t_end=1.05, dt=0.1)
