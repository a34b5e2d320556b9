"""Periodic orbits born at Hopf points: the amplitude law, the trivial Floquet multiplier, Liouville's formula
for the other, and stability against the sign of l1."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.continuation import find_hopf_points, periodic_orbit

F64 = torch.float64
ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


def leaky(omega):
    return nd.Flow(lambda t, x, p: -x + torch.tanh(x @ ((1 + p["alpha"]) * torch.eye(2, dtype=F64) + omega * ROT).T),
                   2, params={"alpha": -0.1})


@pytest.mark.parametrize("omega", [1.0, 2.0])
def test_supercritical_cycle_amplitude_law_and_multipliers(omega):
    flow = leaky(omega)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    ratios = []
    for a in (0.001, 0.002):
        po = periodic_orbit(flow, h, at=a)
        ratios.append(po.amplitude**2 / a)
        # the trivial multiplier is 1 to the scheme's accuracy (RK4, 1000 steps per period: (T/1000)^4 ~ 1e-9)
        assert abs(complex(po.multipliers[0]) - 1) < 1e-8
        # in the plane the other multiplier is det M = exp(integral of tr J over one period) (Liouville);
        # Simpson's rule on the 1000-step orbit is accurate to ~1e-10
        J = torch.stack([flow.with_params(alpha=a).jacobian(x, 0.0) for x in po.orbit.to(F64)])
        tr = J.diagonal(dim1=-2, dim2=-1).sum(-1)
        dt = po.period / (len(tr) - 1)
        integral = dt / 3 * (tr[0] + tr[-1] + 4 * tr[1:-1:2].sum() + 2 * tr[2:-1:2].sum())
        assert abs(complex(po.multipliers[1]) - float(torch.exp(integral))) < 1e-8
        assert po.stable and h.kind == "supercritical" and po.residual <= 1e-10
    # amplitude r ~ 2 sqrt(alpha / (1 + omega^2)): r^2/alpha -> 4/(1 + omega^2) with an O(alpha) correction
    limit = 4 / (1 + omega**2)
    assert abs(ratios[0] - limit) < 2e-3 * limit
    assert abs(ratios[1] - limit) == pytest.approx(2 * abs(ratios[0] - limit), rel=0.1)


def test_subcritical_cycle_is_unstable():
    omega = 1.5

    def field(t, x, p):
        r2 = (x * x).sum(-1, keepdim=True)
        return x @ (p["alpha"] * torch.eye(2, dtype=F64) + omega * ROT).T + r2 * x

    flow = nd.Flow(field, 2, params={"alpha": -0.2})
    (h,) = find_hopf_points(flow, param="alpha", start=-0.2)
    po = periodic_orbit(flow, h, at=-0.01)  # the cycle r^2 = -alpha exists below the Hopf point
    assert not po.stable and abs(complex(po.multipliers[1])) > 1
    assert po.amplitude == pytest.approx(0.1, rel=1e-6) and po.period == pytest.approx(2 * 3.141592653589793 / omega,
                                                                                          rel=1e-8)
    with pytest.raises(InvalidInputError, match="other side"):
        periodic_orbit(flow, h, at=0.01)
    assert po.plot().get_xlabel() == "x1"


def simulated_amplitude(flow, alpha: float, omega: float) -> float:
    """``max |x(t)|`` over one period of the attracting cycle, by an independent integrator (scipy's DOP853):
    integrate long enough for the radial contraction ``exp(-2 alpha t)`` to reach 1e-12, then sample a period."""
    from scipy.integrate import solve_ivp

    def rhs(t, x):
        return flow.with_params(alpha=alpha).f(torch.tensor(x, dtype=F64), t).numpy()

    settle = 14 / alpha
    period = 2 * math.pi / omega
    sol = solve_ivp(rhs, (0.0, settle + period), [0.05, 0.0], method="DOP853", rtol=1e-12, atol=1e-14,
                    dense_output=True)
    ts = torch.linspace(settle, settle + period, 4001, dtype=F64).numpy()
    return float(torch.linalg.vector_norm(torch.tensor(sol.sol(ts)), dim=0).max())


@pytest.mark.parametrize("omega, alpha", [(1.0, 0.2), (3.0, 0.2), pytest.param(8.0, 0.05, marks=pytest.mark.slow)])
def test_orbit_amplitude_matches_the_simulated_cycle_at_any_frequency(omega, alpha):
    # the normal-form radius is rho^2 = -crossing alpha / (omega l1) in Kuznetsov's normalisation l1 = Re c1 / omega;
    # a predictor without the 1/omega misses the cycle by sqrt(omega), and shooting then fails for omega >~ 3
    flow = leaky(omega)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    assert h.omega == pytest.approx(omega, rel=1e-12)
    po = periodic_orbit(flow, h, at=alpha)
    assert po.status == "converged" and po.residual <= 1e-10
    # one turn, not several: the frequency on the cycle is omega (1 - alpha) + O(alpha^2) (test_cycles.py)
    assert abs(po.period * omega * (1 - alpha) / (2 * math.pi) - 1) < 0.05
    # RK4 with 1000 steps per period against DOP853 at rtol 1e-12, and max over 4001 samples of a smooth curve
    # (relative error ~ (pi / 4000)^2 / 2 ~ 3e-7): agreement to 1e-6
    assert po.amplitude == pytest.approx(simulated_amplitude(flow, alpha, omega), rel=1e-6)


def test_a_failed_orbit_says_so_and_raises_under_strict():
    flow = leaky(1.0)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    po = periodic_orbit(flow, h, at=0.2, maxiter=1, strict=False)  # one Newton step cannot reach 1e-10
    assert po.status == "failed" and not po.status.ok and po.residual > 1e-10
    with pytest.raises(nd.ConvergenceError, match="periodic orbit") as info:
        periodic_orbit(flow, h, at=0.2, maxiter=1)
    assert info.value.result.status == "failed"


def test_steps_per_period_and_its_deprecated_old_name():
    flow = leaky(1.0)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    new = periodic_orbit(flow, h, at=0.01, steps_per_period=200)
    assert len(new.orbit) == 201 and new.settings["steps_per_period"] == 200
    with pytest.warns(DeprecationWarning, match="steps_per_period="):
        old = periodic_orbit(flow, h, at=0.01, steps=200)
    assert torch.equal(old.orbit, new.orbit)
    with pytest.raises(InvalidInputError, match="pass steps_per_period= only"):
        periodic_orbit(flow, h, at=0.01, steps=200, steps_per_period=200)
