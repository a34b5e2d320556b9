"""Continuation of periodic orbits from a Hopf point: the amplitude and period laws of the leaky tanh rotation,
the exact cycles, periods and multipliers of normal forms on both sides of a Hopf point, a fold of cycles and a
Neimark–Sacker point at their exact parameter values."""

import json
import math

import matplotlib
import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.continuation import continue_periodic_orbits, find_hopf_points

matplotlib.use("Agg")
F64 = torch.float64
ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


def leaky(omega):
    return nd.Flow(lambda t, x, p: -x + torch.tanh(x @ ((1 + p["alpha"]) * torch.eye(2, dtype=F64) + omega * ROT).T),
                   2, params={"alpha": -0.1})


def bautin(omega):
    """z' = (alpha + i omega) z + beta z |z|^2 - z |z|^4 in real coordinates: r' = r (alpha + beta r^2 - r^4),
    theta' = omega. Cycles where alpha = r^4 - beta r^2, period 2 pi / omega, non-trivial multiplier
    exp(T r d/dr(alpha + beta r^2 - r^4)) = exp(2 T r^2 (beta - 2 r^2)); for beta > 0 a fold of cycles at
    alpha = -beta^2/4, r^2 = beta/2."""

    def field(t, x, p):
        r2 = (x * x).sum(-1, keepdim=True)
        return x @ (p["alpha"] * torch.eye(2, dtype=F64) + omega * ROT).T + p["beta"] * r2 * x - r2 * r2 * x

    return nd.Flow(field, 2, params={"alpha": -0.2, "beta": 1.0})


@pytest.mark.parametrize("omega", [1.0, 2.0])
def test_supercritical_branch_follows_the_amplitude_and_period_laws(omega):
    flow = leaky(omega)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    ob = continue_periodic_orbits(flow, h, stop=0.05, step=0.02)
    assert ob.status == "reached stop" and len(ob.values) >= 6 and bool((ob.values.diff() > 0).all())
    a, r, T = ob.values, ob.amplitudes, ob.periods
    # the normal form: with y = M x, M = (1 + alpha) I + omega J, the resonant part of tanh's cubic term
    # -(y1^3, y2^3)/3 is -|y|^2 y / 4, so z' = (alpha + i omega) z + c1 |z|^2 z with c1 = -|mu|^2 mu / 4,
    # mu = 1 + alpha + i omega: r^2 = -alpha / Re c1 -> 4 alpha / (1 + omega^2), and the frequency
    # omega + Im(c1) r^2 = omega (1 - alpha), i.e. T = 2 pi / omega (1 + alpha) + O(alpha^2)
    law = 2 * torch.sqrt(a / (1 + omega**2))
    err = r / law - 1
    # the next term of r is O(alpha^{3/2}): err = O(alpha), with a coefficient below 1 (~0.2 measured) ...
    assert bool((err.abs() <= a).all())
    # ... and err / alpha settles to a constant (linear convergence to the law, so its leading term is exact);
    # below alpha = 1e-3 Newton's tol 1e-10 on a radially weakly contracting orbit (1 - mu2 ~ 2 alpha T) allows
    # relative amplitude errors ~ tol / (2 alpha T r) that are no longer small next to err
    slope = (err / a)[(a >= 1e-3) & (a <= 0.02)]
    assert len(slope) >= 2 and float(slope.max() - slope.min()) <= 0.05 * float(slope.abs().mean())
    assert bool(((T * omega / (2 * math.pi) - 1 - a).abs() <= a**2).all())  # O(alpha^2) rest, ~0.2 alpha^2 measured
    # Floquet multipliers: the trivial one is 1 to RK4's accuracy ((T/1000)^4 ~ 1e-9, amplified by the
    # near-degenerate pair close to the Hopf point); the other ~ exp(-2 alpha T) (the radial linearisation
    # alpha + 3 Re(c1) r^2 = -2 alpha), with an O(alpha) relative correction in its logarithm
    mult = ob.multipliers
    assert bool(((mult[:, 0] - 1).abs() <= 1e-8).all())
    assert bool((mult[:, 1].abs() < 1).all()) and bool(ob.stable.all()) and ob.special == []
    ratio = torch.log(mult[:, 1].abs()) / (-2 * a * T)
    assert bool(((ratio - 1).abs() <= 2 * a).all())
    json.dumps(ob.to_dict())
    ax = ob.plot()
    assert ax.get_xlabel() == "alpha" and ax.get_ylabel() == "max |x(t) - x_eq|"


def test_subcritical_branch_continues_below_the_hopf_point_with_unstable_cycles():
    # z' = (alpha + i omega) z + z |z|^2: the cycle r^2 = -alpha, exactly circular, with period 2 pi / omega and
    # the radial multiplier exp(T (alpha + 3 r^2)) = exp(-2 alpha T) > 1
    omega = 1.5

    def field(t, x, p):
        r2 = (x * x).sum(-1, keepdim=True)
        return x @ (p["alpha"] * torch.eye(2, dtype=F64) + omega * ROT).T + r2 * x

    flow = nd.Flow(field, 2, params={"alpha": -0.2})
    (h,) = find_hopf_points(flow, param="alpha", start=-0.2)
    ob = continue_periodic_orbits(flow, h, stop=-0.3, step=0.05, steps_per_period=500)
    a, T = ob.values, ob.periods
    assert ob.status == "reached stop" and bool((a < 0).all()) and bool((~ob.stable).all())
    # RK4 with 500 steps per period: (T/500)^4 ~ 5e-9 relative errors of the discrete orbit
    torch.testing.assert_close(ob.amplitudes, torch.sqrt(-a), rtol=1e-8, atol=0)
    torch.testing.assert_close(T, torch.full_like(T, 2 * math.pi / omega), rtol=1e-8, atol=0)
    torch.testing.assert_close(ob.multipliers[:, 1].real, torch.exp(-2 * a * T), rtol=1e-7, atol=0)
    assert bool((ob.multipliers[:, 1].abs() > 1).all()) and ob.special == []


def test_fold_of_cycles_is_located_exactly_and_stability_changes_there():
    omega, beta = 1.5, 1.0
    flow = bautin(omega)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.2)
    assert h.kind == "subcritical"
    ob = continue_periodic_orbits(flow, h, stop=-0.5, step=0.05, steps_per_period=500)
    (fold,) = ob.special
    # located where the tangent's parameter component vanishes, to RK4's (T/500)^4 ~ 5e-9
    assert fold.kind == "fold" and fold.value == pytest.approx(-beta**2 / 4, abs=1e-8)
    assert fold.amplitude**2 == pytest.approx(beta / 2, rel=1e-7)
    assert abs(complex(fold.multipliers[1]) - 1) < 1e-6  # the non-trivial multiplier passes +1 there
    # the branch turns back at the fold onto the stable large cycles and leaves the interval past alpha = 0
    assert ob.status == "left interval" and float(ob.values.min()) >= -beta**2 / 4 - 1e-9
    r2 = ob.amplitudes**2
    torch.testing.assert_close(ob.values, r2**2 - beta * r2, rtol=0, atol=1e-8)
    torch.testing.assert_close(ob.multipliers[:, 1].real, torch.exp(2 * ob.periods * r2 * (beta - 2 * r2)),
                               rtol=1e-6, atol=1e-12)
    small = r2 < beta / 2
    assert bool((~ob.stable[small]).all()) and bool(ob.stable[~small].all())
    assert fold.index == int(torch.nonzero(small).max())


def test_neimark_sacker_point_at_its_exact_parameter_value():
    # z' = (alpha + i) z - z |z|^2 (a stable cycle r^2 = alpha, T = 2 pi) times w' = (alpha - c + i nu) w: on the
    # cycle the w-plane contributes the multipliers exp((alpha - c) T +- i nu T), a complex pair leaving the unit
    # circle at alpha = c exactly
    c, nu = 0.1, 0.7

    def field(t, x, p):
        a = p["alpha"]
        z, w = x[..., :2], x[..., 2:]
        r2 = (z * z).sum(-1, keepdim=True)
        return torch.cat([z @ (a * torch.eye(2, dtype=F64) + ROT).T - r2 * z,
                          w @ ((a - c) * torch.eye(2, dtype=F64) + nu * ROT).T], -1)

    flow = nd.Flow(field, 4, params={"alpha": -0.05})
    h = next(h for h in find_hopf_points(flow, param="alpha", start=-0.05) if abs(h.omega - 1) < 1e-9)
    ob = continue_periodic_orbits(flow, h, stop=0.15, step=0.1, steps_per_period=400)
    (ns,) = ob.special
    # located where the pair's modulus is 1; T/400 RK4 steps: relative errors ~ (2 pi / 400)^4 ~ 6e-8
    assert ns.kind == "neimark-sacker" and ns.value == pytest.approx(c, abs=1e-7)
    pair = ns.multipliers[1:3]
    torch.testing.assert_close(pair.abs(), torch.ones(2, dtype=F64), rtol=0, atol=1e-7)
    assert float(pair[0].angle().abs()) == pytest.approx(abs(math.remainder(nu * 2 * math.pi, 2 * math.pi)), abs=1e-6)
    assert bool((ob.stable == (ob.values < c)).all())
    ax = nd.continue_equilibria(flow, param="alpha", start=-0.05, stop=0.15).plot(orbits=[ob])
    assert "cycles" in ax.get_ylabel()


def test_bad_input():
    omega = 1.0
    flow = leaky(omega)
    (h,) = find_hopf_points(flow, param="alpha", start=-0.1)
    with pytest.raises(InvalidInputError, match="found in the parameter 'alpha', not 'beta'"):
        continue_periodic_orbits(flow, h, param="beta", stop=0.1)
    with pytest.raises(InvalidInputError, match="exist for alpha > "):
        continue_periodic_orbits(flow, h, stop=-0.1)
    with pytest.raises(InvalidInputError, match="not a Hopf point of"):
        continue_periodic_orbits(leaky(2.0), h, stop=0.1)  # omega differs: J q != i omega q
    with pytest.raises(InvalidInputError, match="must be a HopfPoint"):
        continue_periodic_orbits(flow, 0.0, stop=0.1)
    with pytest.raises(InvalidInputError, match="needs a Flow"):
        continue_periodic_orbits(nd.henon(), h, stop=0.1)
    with pytest.raises(InvalidInputError, match="step must be"):
        continue_periodic_orbits(flow, h, stop=0.1, step=-1.0)
