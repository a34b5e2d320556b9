"""Proven periodic orbits (neurodyn.prove_periodic_orbit): the stable orbit born at a supercritical Hopf point,
refusals of a centre's orbits and of a wrong period, and bad input."""

import numpy as np
import pytest
import torch
from flint import arb, ctx
from scipy.integrate import solve_ivp

import neurodyn as nd

ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)


@pytest.fixture(scope="module")
def supercritical():
    # the leaky rotation tanh((I + 2 J + alpha I) x) - x: a supercritical Hopf point at alpha = 0
    system = nd.tanh_family(torch.eye(2, dtype=torch.float64) + 2.0 * ROT, leak=1.0, value=0.2)
    (h,) = nd.find_hopf_points(system, param="alpha", start=0.2)
    assert h.l1 < 0
    orbit = nd.periodic_orbit(system, h, at=h.value + 0.05, steps_per_period=5000)
    return system, orbit


def test_orbit_born_at_a_supercritical_hopf_point_is_proven_stable(supercritical):
    system, orbit = supercritical
    proof = nd.prove_periodic_orbit(system, orbit)
    assert proof.proved and proof.conclusion == "stable", proof.reason
    lo, hi = proof.bounds["period"]
    assert lo <= orbit.period <= hi and hi - lo < 1e-9
    # the trivial multiplier's disc holds 1; the other is inside the unit circle and holds the float multiplier
    re, im, r = proof.eigenvalues[0]
    assert (re - 1) ** 2 + im**2 <= r**2
    mu_lo, mu_hi = proof.bounds["|mu_1|"]
    assert mu_hi < 1 and mu_lo <= float(orbit.multipliers[1:].abs().max()) <= mu_hi
    e_lo, e_hi = proof.bounds["exponent_1"]
    with ctx.workprec(80):
        assert arb(e_lo) <= arb(mu_lo).log() / arb(hi) and arb(e_hi) >= arb(mu_hi).log() / arb(lo)
    assert e_hi < 0


def test_orbit_born_at_a_subcritical_hopf_point_is_proven_unstable():
    gen = torch.Generator().manual_seed(58)
    A = 1.5 * torch.randn(2, 2, generator=gen, dtype=torch.float64)
    b = torch.randn(2, generator=gen, dtype=torch.float64)
    system = nd.tanh_family(A, b=b)
    h = nd.find_hopf_points(system, param="alpha", start=0.0)[0]
    assert h.l1 > 0  # subcritical: the orbit exists below the Hopf point, around a stable equilibrium
    orbit = nd.periodic_orbit(system, h, at=h.value - 0.002, steps_per_period=2000)
    proof = nd.prove_periodic_orbit(system, orbit)
    assert proof.proved and proof.conclusion == "unstable", proof.reason
    assert proof.bounds["|mu_1|"][0] > 1 and proof.bounds["exponent_1"][0] > 0
    assert proof.bounds["|mu_1|"][0] <= float(orbit.multipliers[1:].abs().max()) <= proof.bounds["|mu_1|"][1]


def test_orbit_in_dimension_16_multipliers_resolved_in_the_transported_eigenbasis():
    # Gershgorin discs of one enclosure of D phi_T over the period (in its float eigenbasis) did not isolate the
    # trivial multiplier here; the segments' enclosures in an eigenbasis carried along the orbit do
    A = torch.randn(16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / 4.0
    system = nd.tanh_family(A)
    h = min(nd.find_hopf_points(system, param="alpha", start=0.0), key=lambda h: abs(h.value + 0.0705))
    assert h.l1 > 0
    orbit = nd.periodic_orbit(system, h, at=h.value - 0.005)  # subcritical (l1 > 0): the orbit lies below
    proof = nd.prove_periodic_orbit(system, orbit)
    assert proof.proved and proof.conclusion == "unstable", proof.reason
    lo, hi = proof.bounds["period"]
    assert hi - lo < 1e-8 and abs(orbit.period - lo) < 1e-8  # the float orbit's RK period is accurate to ~1e-10
    re, im, r = proof.eigenvalues[0]
    assert (re - 1) ** 2 + im**2 <= r**2 and r < 0.1
    mu = orbit.multipliers[1:].abs()
    assert proof.bounds["|mu_1|"][0] > 1 and proof.bounds["|mu_1|"][0] <= float(mu.max()) <= proof.bounds["|mu_1|"][1]
    # every float multiplier's modulus lies in the range proven for some non-trivial multiplier
    ranges = [v for k, v in proof.bounds.items() if k.startswith("|mu_")]
    assert all(any(a <= float(m) <= b for a, b in ranges) for m in mu)


def test_wrong_period_is_refused(supercritical):
    system, orbit = supercritical
    proof = nd.prove_periodic_orbit(system.with_params(alpha=orbit.value), x0=orbit.x0, period=1.05 * orbit.period)
    assert not proof.proved and "Newton" in proof.reason and proof.conclusion == "undecided"


def test_orbits_of_a_centre_are_refused():
    # tanh(1.5 J x) is Hamiltonian (H = log cosh 1.5x + log cosh 1.5y): a family of neutral orbits, none isolated
    system = nd.tanh_family(1.5 * ROT, value=0.0)

    def rhs(t, z):
        return np.tanh(1.5 * ROT.numpy() @ z)

    def crossing(t, z):
        return z[1]

    crossing.direction = 1
    sol = solve_ivp(rhs, (0.0, 50.0), [0.5, 0.0], events=crossing, rtol=1e-12, atol=1e-14)
    period = float(next(t for t in sol.t_events[0] if t > 0.1))
    proof = nd.prove_periodic_orbit(system, x0=[0.5, 0.0], period=period)
    assert not proof.proved and proof.conclusion == "undecided" and proof.reason


def test_bad_input(supercritical):
    system, orbit = supercritical
    with pytest.raises(nd.InvalidInputError):
        nd.prove_periodic_orbit(system)
    with pytest.raises(nd.InvalidInputError):
        nd.prove_periodic_orbit(system, orbit, period=1.0)
    with pytest.raises(nd.InvalidInputError):
        nd.prove_periodic_orbit(system, x0=[0.1, 0.2], period=-1.0)
    with pytest.raises(nd.NonFiniteError):
        nd.prove_periodic_orbit(system, x0=[np.nan, 0.2], period=1.0)
    with pytest.raises(nd.UnsupportedModelError):
        nd.prove_periodic_orbit(nd.lorenz(), x0=[1.0, 1.0, 1.0], period=1.0)
