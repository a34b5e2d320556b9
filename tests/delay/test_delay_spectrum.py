"""Lyapunov spectra of delay flows (the shared QR loop on the discretised history) and characteristic roots, against
the Lambert-W roots of the linear scalar DDE x' = a x + b x(t - tau) and the published Mackey–Glass facts."""

import numpy as np
import pytest
import torch
from scipy.special import lambertw

import neurodyn as nd
from neurodyn.delay import characteristic_roots, delay_equilibria


def lambert_roots(a, b, tau, branches=8):
    """All roots ``a + W_k(b tau exp(-a tau)) / tau`` for ``|k| <= branches``, by decreasing real part."""
    r = np.array([a + lambertw(b * tau * np.exp(-a * tau), k) / tau for k in range(-branches, branches + 1)])
    return r[np.lexsort((-r.imag, -r.real))]


def linear(a, b, tau):
    return nd.DelayFlow(lambda t, x, xd, p: p["a"] * x + p["b"] * xd, 1, tau, params={"a": a, "b": b},
                        name=f"linear(a={a}, b={b}, tau={tau})")


@pytest.mark.parametrize(("a", "b", "tau"), [(-1.0, 0.5, 1.0), (0.2, 0.3, 1.0)])
def test_leading_exponent_is_the_rightmost_real_root(a, b, tau):
    """Real leading root (stable: -0.3149, unstable: +0.4009). RK4 with dt = tau/10 moves the discrete exponent by
    O(dt^4) ~ 1e-5, and the finite-time bias after a 20-time-unit frame alignment is below that."""
    lam = lambert_roots(a, b, tau)[0]
    assert abs(lam.imag) < 1e-12
    res = nd.lyapunov_spectrum(linear(a, b, tau), k=1, dt=tau / 10, steps=1000, tangent_transient=200,
                               x0=torch.tensor([0.5]))
    assert isinstance(res, nd.LyapunovSpectrum) and res.kind == "delay" and res.units == "nats/time"
    assert res.status == nd.Status.CONVERGED
    assert res.maximal == pytest.approx(lam.real, abs=1e-4)


def test_complex_leading_pair_gives_two_equal_exponents():
    """a = 0, b = -1, tau = 2: a complex pair with real part 0.0864 (unstable oscillation); the two leading exponents
    both tend to it, so their mean (the area growth rate, which does not oscillate) matches within 1e-3."""
    lam = lambert_roots(0.0, -1.0, 2.0)
    assert lam[0].real > 0 and abs(lam[0].imag) > 0.5
    res = nd.lyapunov_spectrum(linear(0.0, -1.0, 2.0), k=2, dt=0.2, steps=1000, tangent_transient=100,
                               x0=torch.tensor([0.5]), strict=False)
    assert float(res.exponents.mean()) == pytest.approx(lam[0].real, abs=1e-3)
    assert float(res.exponents[0] - res.exponents[1]) < 0.01


@pytest.mark.parametrize(("a", "b", "tau"), [(-1.0, 0.5, 1.0), (0.0, -1.0, 2.0), (0.2, 0.3, 1.0), (-0.5, -1.0, 1.0)])
def test_characteristic_roots_match_lambert_w(a, b, tau):
    """Chebyshev collocation of the generator converges spectrally: the five rightmost roots to 1e-10."""
    exact = lambert_roots(a, b, tau)[:5]
    eq = delay_equilibria(linear(a, b, tau), n_starts=8)
    assert eq.points.shape == (1, 1) and float(eq.points.abs().max()) < 1e-10
    roots = eq.roots[0]
    assert roots.status == nd.Status.CONVERGED
    assert np.allclose(roots.roots.numpy()[:5], exact, atol=1e-10, rtol=0)
    assert bool(eq.stable[0]) == (exact[0].real < 0) == roots.stable


def test_mackey_glass_equilibria_are_unstable_at_tau_17():
    eq = delay_equilibria(nd.mackey_glass(tau=17.0), n_starts=32)
    pts = sorted(float(p) for p in eq.points[:, 0])
    assert pts == pytest.approx([-1.0, 0.0, 1.0], abs=1e-10)  # beta x / (1 + |x|^n) = gamma x: x = 0, |x| = 1
    assert not bool(eq.stable.any())
    one = characteristic_roots(nd.mackey_glass(tau=2.0), torch.ones(1))
    assert one.stable  # for a short delay the positive equilibrium is stable (before its Hopf point)


def test_spectrum_bad_input_is_named():
    flow = linear(-1.0, 0.5, 1.0)
    with pytest.raises(nd.InvalidInputError, match="pass k"):
        nd.lyapunov_spectrum(flow, dt=0.1, steps=10)
    with pytest.raises(nd.InvalidInputError, match="dt=0.3 does not divide"):
        nd.lyapunov_spectrum(flow, k=1, dt=0.3, steps=10)
    with pytest.raises(nd.InvalidInputError, match="pass dt"):
        nd.lyapunov_spectrum(flow, k=1, steps=10)
    with pytest.raises(nd.InvalidInputError, match="x0"):
        nd.lyapunov_spectrum(flow, k=1, dt=0.1, steps=10, x0=torch.ones(2, 3))
    with pytest.raises(nd.DivergenceError):
        nd.lyapunov_spectrum(nd.DelayFlow(lambda t, x, xd: x * x + xd, 1, 0.5), k=1, dt=0.25, steps=400,
                             x0=torch.full((1,), 3.0))


@pytest.mark.slow
def test_mackey_glass_tau_17_has_exactly_one_positive_exponent():
    """Farmer (1982): one positive exponent (~0.007/time) at tau = 17; the second is the flow's zero exponent.
    dt = 1 (17 nodes) over T = 3000 and 8 histories: lambda_1 = 0.0051 +- 0.0002, lambda_2 = -0.0002 +- 0.0001."""
    res = nd.lyapunov_spectrum(nd.mackey_glass(tau=17.0), k=4, dt=1.0, steps=3000, transient=300,
                               tangent_transient=200, batch=8)
    lam, se = res.exponents, res.stderr
    assert res.status == nd.Status.CONVERGED
    assert lam[0] > 5 * se[0] and lam[0] > 0.003
    assert abs(float(lam[1])) < max(3 * float(se[1]), 5e-4)
    assert lam[2] < -10 * se[2]
    assert 2.0 < res.kaplan_yorke_dimension() < 2.3


@pytest.mark.slow
def test_mackey_glass_tau_30_has_more_than_one_positive_exponent():
    """Farmer (1982): two positive exponents at tau = 30. dt = 1, T = 3000, 8 histories: 0.0074 +- 0.0004 and
    0.0032 +- 0.0004, then the zero exponent."""
    res = nd.lyapunov_spectrum(nd.mackey_glass(tau=30.0), k=4, dt=1.0, steps=3000, transient=300,
                               tangent_transient=200, batch=8)
    lam, se = res.exponents, res.stderr
    assert res.status == nd.Status.CONVERGED
    assert lam[0] > 5 * se[0] and lam[1] > 4 * se[1]
    assert abs(float(lam[2])) < max(3 * float(se[2]), 5e-4)
    assert res.kaplan_yorke_dimension() > 3


def test_analytic_jacobian_of_mackey_glass_matches_autodiff():
    """The reference's analytic Jacobian and reverse-mode autodiff give the same tangent steps (to rounding)."""
    mg = nd.mackey_glass(tau=17.0)
    plain = nd.DelayFlow(mg.fn, 1, 17.0, params={k: float(v) for k, v in mg.params.items()})
    a, b = (nd.lyapunov_spectrum(f, k=3, dt=1.0, steps=200, x0=torch.tensor([[0.9], [1.2]]), strict=False)
            for f in (mg, plain))
    assert torch.allclose(a.per_sample, b.per_sample, atol=1e-12, rtol=0)


def test_max_lyapunov_of_a_delay_flow_agrees_with_the_qr_spectrum():
    """The one-vector run (k = 1) goes through the same plan: its exponent is the leading root too."""
    lam = lambert_roots(0.2, 0.3, 1.0)[0].real
    top = nd.max_lyapunov(linear(0.2, 0.3, 1.0), dt=0.1, steps=1000, tangent_transient=200, x0=torch.tensor([0.5]))
    assert top.maximal == pytest.approx(lam, abs=1e-4) and top.method == "jvp"


def test_a_run_that_cannot_fit_in_memory_is_refused():
    with pytest.raises(nd.InvalidInputError, match="lower k, the batch of histories, or raise dt"):
        nd.lyapunov_spectrum(linear(-1.0, 0.5, 1.0), k=2000, dt=1e-4, steps=10, batch=10 ** 6)


def test_compile_is_refused_for_adaptive_flows():
    with pytest.raises(nd.InvalidInputError, match="compile"):
        nd.lyapunov_spectrum(nd.lorenz(), steps=10, dt=0.01, method="dopri5", compile=True)


@pytest.mark.slow
def test_compiled_delay_step_gives_the_eager_exponents():
    """torch.compile fuses the same operations: the exponents agree to rounding (1e-9 over 300 steps, where the
    chaotic state amplifies differences of 1e-16 by at most exp(0.02 * 300))."""
    mg = nd.mackey_glass(tau=17.0)
    x0 = torch.tensor([[0.9], [1.2]], dtype=torch.float64)
    eager, fused = (nd.lyapunov_spectrum(mg, k=4, dt=1.0, steps=300, transient=50, x0=x0, qr_every="auto",
                                         strict=False, compile=c) for c in (False, True))
    assert fused.settings["compile"] and not eager.settings["compile"]
    assert torch.allclose(fused.per_sample, eager.per_sample, atol=1e-9, rtol=0)
