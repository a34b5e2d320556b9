"""Memory capacity K tau: the Lipschitz bound holds, the regime is reported, and in the ODE-like regime every direction
transverse to the special solutions contracts at least at the rate 1/tau the theorem gives."""

import math

import numpy as np
import pytest
import torch

import neurodyn as nd
from neurodyn.delay import NeuralDDE, characteristic_roots, delay_equilibria


def small_capacity_network(tau=0.5, K=0.6):
    """A 1-D non-augmented neural DDE whose Lipschitz bound is scaled to K (K tau e = 0.82 for the defaults)."""
    net = NeuralDDE(1, 8, generator=torch.Generator().manual_seed(0))
    bound = nd.memory_capacity(nd.DelayFlow.from_module(net, tau)).K
    with torch.no_grad():
        net.net[-1].weight.mul_(K / bound)
    return net, nd.DelayFlow.from_module(net, tau)


def test_bound_is_an_upper_bound_of_sampled_difference_quotients():
    net, flow = small_capacity_network()
    mc = nd.memory_capacity(flow)
    assert mc.K == pytest.approx(0.6, rel=1e-9) and mc.ode_like and mc.attraction_rate == pytest.approx(2.0)
    gen = torch.Generator().manual_seed(1)
    x, y, x2, y2 = (4 * torch.randn(4000, 1, generator=gen, dtype=torch.float64) for _ in range(4))
    with torch.no_grad():
        num = (net(0, x, y) - net(0, x2, y2)).norm(dim=-1)
    quotient = num / torch.maximum((x - x2).norm(dim=-1), (y - y2).norm(dim=-1))
    assert float(quotient.max()) <= mc.K
    assert float(quotient.max()) > 0.3 * mc.K  # and not vacuous


def test_regime_flips_at_one_over_e():
    net, flow = small_capacity_network(tau=0.5, K=0.6)
    assert nd.memory_capacity(flow).K_tau * math.e < 1
    big = nd.memory_capacity(nd.DelayFlow.from_module(net, 2.0))  # same field, four times the delay
    assert not big.ode_like and big.attraction_rate is None and big.K_tau == pytest.approx(1.2, rel=1e-9)
    assert nd.memory_capacity(flow, lipschitz=0.1).source == "given"
    with pytest.raises(nd.UnsupportedModelError, match="lipschitz="):
        nd.memory_capacity(nd.mackey_glass())


def test_special_solutions_attract_at_least_at_rate_one_over_tau():
    """K tau e < 1: the 1-D family of special solutions attracts every solution like exp(-t/tau) or faster. Measured
    two ways: the Lyapunov exponents of four histories beyond the first (the direction along the family) are below
    -1/tau, and so are the real parts of all characteristic roots at the equilibrium but the leading one."""
    tau = 0.5
    _, flow = small_capacity_network(tau=tau)
    res = nd.lyapunov_spectrum(flow, k=3, dt=tau / 10, steps=400, tangent_transient=100,
                               x0=torch.tensor([[0.3], [-0.5], [1.0], [2.0]]), strict=False)
    assert bool((res.exponents[1:] + 3 * res.stderr[1:] < -1 / tau).all()), res
    eq = delay_equilibria(flow, n_starts=16)
    roots = characteristic_roots(flow, eq.points[0], nodes=48, count=4)
    assert roots.status == nd.Status.CONVERGED
    assert bool((roots.roots[1:].real < -1 / tau).all()) and abs(float(roots.roots[0].imag)) < 1e-12


def test_trajectories_from_different_histories_join_one_special_solution():
    """The network drifts monotonically (its only equilibrium is near x = -12), so its special solutions are the
    time shifts s(t + c) of one of them, s (taken from a start at x = 3, 40 time units long). Each trajectory x
    from a different constant history is matched to s by the shift c with x(24 tau) = s(24 tau + c); then
    |x(t) - s(t + c)| <= |x(0) - s(c)| exp(-t/tau) + 1e-7 for t >= tau (the theorem's rate; 1e-7 is above the
    floor of 6e-8 that reading s between its nodes by linear interpolation at dt = tau/100 leaves)."""
    tau = 0.5
    _, flow = small_capacity_network(tau=tau)
    dt = tau / 100
    ref = nd.solve_dde(flow, 40.0, dt=dt, history=torch.tensor([3.0]))
    s, ts = ref.x[0, :, 0].numpy(), ref.t.numpy()
    assert bool(np.all(np.diff(s) < 0))  # monotone: its time is a function of its value
    sol = nd.solve_dde(flow, 24 * tau, dt=dt, history=torch.tensor([[-2.0], [-1.0], [0.0], [1.5]]))
    t = sol.t.numpy()
    for x in sol.x[:, :, 0].numpy():
        c = np.interp(-x[-1], -s, ts) - t[-1]
        d = np.abs(x - np.interp(t + c, ts, s))
        late = t >= tau
        assert d[0] > 1e-5  # the constant history is off the special solution (by 1e-4 to 3e-3 here)
        assert bool(np.all(d[late] <= d[0] * np.exp(-t[late] / tau) + 1e-7))
