"""Mean-field theory of random tanh networks against direct quadrature and published values."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

import neurodyn as nd
from neurodyn import meanfield


def _gauss_quad(fn):
    return quad(lambda z: fn(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -40, 40, limit=400,
                epsabs=1e-14, epsrel=1e-13)[0]


@pytest.mark.parametrize("g", [1.5, 2.0, 5.0, 10.0, 30.0])
def test_fixed_point_and_chi1_match_adaptive_quadrature(g):
    q = meanfield.q_star(sigma_w2=g * g)
    assert q == pytest.approx(g * g * _gauss_quad(lambda z: math.tanh(math.sqrt(q) * z) ** 2), rel=1e-10)
    chi = g * g * _gauss_quad(lambda z: 1 / np.cosh(min(math.sqrt(q) * abs(z), 150.0)) ** 4)
    assert meanfield.chi1(sigma_w2=g * g) == pytest.approx(chi, rel=1e-8)


def test_published_values():
    assert meanfield.rnn_max_lyapunov(2.0) == pytest.approx(0.1547, abs=5e-5)
    for g in (0.3, 0.5, 0.99):  # the origin is stable and attracting: lambda = ln g exactly
        assert meanfield.rnn_max_lyapunov(g) == pytest.approx(math.log(g), abs=1e-14)
    assert meanfield.rnn_max_lyapunov(0.0) == -math.inf
    # order-to-chaos critical line (Poole et al. 2016; Schoenholz et al. 2017): sigma_w^2 = 1.7610 at sigma_b^2 = 0.05
    assert meanfield.chi1(sigma_w2=1.7610, sigma_b2=0.05) == pytest.approx(1.0, abs=1e-3)
    assert meanfield.chi1(sigma_w2=1.0, sigma_b2=0.0) == pytest.approx(1.0, abs=1e-14)


def test_near_the_transition_q_star_is_small_and_continuous():
    qs = [meanfield.q_star(sigma_w2=1 + eps) for eps in (1e-4, 1e-3, 1e-2)]
    assert 0 < qs[0] < qs[1] < qs[2] < 0.02
    # small-q expansion: E[tanh^2(sqrt(q) z)] = q - 2 q^2 + O(q^3), so q* ~ eps / 2 for sigma_w^2 = 1 + eps
    assert qs[0] == pytest.approx(1e-4 / 2, rel=1e-3)


@pytest.mark.parametrize("bad", [(-1.0, 0.0), (float("nan"), 0.0), (1.0, float("inf"))])
def test_invalid_input(bad):
    with pytest.raises(nd.InvalidInputError):
        meanfield.chi1(sigma_w2=bad[0], sigma_b2=bad[1])


def test_vectorised_inputs_are_refused_clearly():
    with pytest.raises((nd.InvalidInputError, TypeError)):
        meanfield.chi1(sigma_w2=np.array([1.0, 2.0]))


def test_tanh_critical_line_published_values():
    # Poole et al. 2016 / Schoenholz et al. 2017: sigma_w = 1 at sigma_b = 0, sigma_w^2 = 1.7610 at sigma_b^2 = 0.05
    # (at sigma_b = 0, chi1 - 1 = O((sigma_w - 1)^2): the root is conditioned to ~1e-8)
    assert meanfield.critical_sigma_w2(sigma_b2=0.0) == pytest.approx(1.0, abs=2e-7)
    assert meanfield.critical_sigma_w2(sigma_b2=0.05) == pytest.approx(1.7610, abs=5e-5)
    for sw in (0.3, 0.7, 1.0):
        assert meanfield.chi1(sigma_w2=sw * sw, sigma_b2=0.0, activation="tanh") == pytest.approx(sw * sw, abs=1e-14)


def erf_c_map(sw, sb, q, c):
    return (sw * sw * 2 / math.pi * math.asin(2 * q * c / (1 + 2 * q)) + sb * sb) / q


@pytest.mark.parametrize("sw,sb", [(1.0, 0.1), (2.5, 0.3), (4.0, 0.05)])
def test_erf_mean_field_matches_closed_forms(sw, sb):
    # E[erf(u1) erf(u2)] = (2/pi) asin(2 q c / (1 + 2 q)); E[erf'(u1) erf'(u2)] = (4/pi) / sqrt((1+2q)^2 - 4 q^2 c^2)
    from scipy.optimize import brentq

    q = meanfield.q_star(sigma_w2=sw * sw, sigma_b2=sb * sb, activation="erf")
    assert q == pytest.approx(erf_c_map(sw, sb, q, 1.0) * q, rel=1e-12)
    chi = sw * sw * 4 / math.pi / math.sqrt(1 + 4 * q)
    assert meanfield.chi1(sigma_w2=sw * sw, sigma_b2=sb * sb, activation="erf") == pytest.approx(chi, rel=1e-12)
    scales = meanfield.depth_scales(sigma_w2=sw * sw, sigma_b2=sb * sb, activation="erf")
    if chi > 1:
        c_star = brentq(lambda c: erf_c_map(sw, sb, q, c) - c, -1 + 1e-12, 1 - 1e-9, xtol=1e-15)
        assert scales["c_star"] == pytest.approx(c_star, abs=1e-9)
        chi_c = sw * sw * 4 / math.pi / math.sqrt((1 + 2 * q) ** 2 - 4 * q * q * c_star**2)
    else:
        assert scales["c_star"] == 1.0
        chi_c = chi
    assert scales["chi_c"] == pytest.approx(chi_c, rel=1e-9)
    assert scales["xi_c"] == pytest.approx(-1 / math.log(chi_c), rel=1e-8)


def test_relu_closed_forms_and_depth_scales_diverge_at_criticality():
    assert meanfield.chi1(sigma_w2=1.44, sigma_b2=0.09, activation="relu") == pytest.approx(0.72, abs=1e-15)
    q = meanfield.q_star(sigma_w2=1.44, sigma_b2=0.25, activation="relu")
    assert q == pytest.approx(0.25 / (1 - 0.72), rel=1e-14)
    assert meanfield.q_star(sigma_w2=2.25, sigma_b2=0.25, activation="relu") == math.inf
    assert meanfield.critical_sigma_w2(sigma_b2=0.09, activation="relu") == pytest.approx(2.0, abs=1e-15)
    # tanh: xi_c grows without bound as sigma_w approaches the critical line from either side
    crit = math.sqrt(meanfield.critical_sigma_w2(sigma_b2=0.05))
    xs = [meanfield.depth_scales(sigma_w2=(crit * f) ** 2, sigma_b2=0.05)["xi_c"]
          for f in (0.8, 0.95, 0.99, 1.01, 1.05, 1.2)]
    assert xs[0] < xs[1] < xs[2] and xs[3] > xs[4] > xs[5] and min(xs[2], xs[3]) > 20


def test_two_dimensional_quadrature_reduces_to_one_dimensional_at_full_correlation():
    for q in (0.3, 3.0, 16.0):
        one = meanfield.gaussian_mean(lambda a: np.tanh(a) ** 2, q)
        assert meanfield.gaussian_mean2(lambda a, b: np.tanh(a) * np.tanh(b), q, 1.0) == pytest.approx(one, rel=1e-9)
        # E[u^2] = q exactly, and independent variables (c = 0) factorise: E[u1^2 u2^2] = q^2
        assert meanfield.gaussian_mean(lambda a: a**2, q) == pytest.approx(q, rel=1e-12)
        assert meanfield.gaussian_mean2(lambda a, b: a**2 * b**2, q, 0.0) == pytest.approx(q * q, rel=1e-9)


def test_phase_diagram_plot():
    import matplotlib

    matplotlib.use("Agg")
    ax = meanfield.phase_diagram(resolution=8, measured=[(1.5, 0.2, 0.1)])
    assert ax.get_xlabel() == "σ_w²"
    with pytest.raises(nd.InvalidInputError, match="activation"):
        meanfield.chi1(sigma_w2=1.0, sigma_b2=0.0, activation="sigmoid")


def test_depth_scales_special_cases():
    # chaotic with sigma_b = 0 and an odd activation: c* = 0 by symmetry (c = -1 is a repelling fixed point)
    for act in ("erf", "tanh"):
        s = meanfield.depth_scales(sigma_w2=4.0, sigma_b2=0.0, activation=act)
        assert s["c_star"] == pytest.approx(0.0, abs=1e-10) and 0 < s["xi_c"] < math.inf
    # ordered without bias: q* = 0, linear on small signals, correlations kept forever
    s = meanfield.depth_scales(sigma_w2=0.64, sigma_b2=0.0)
    assert s["q_star"] == 0 and math.isnan(s["c_star"]) and s["xi_c"] == math.inf
    assert s["xi_q"] == pytest.approx(-1 / math.log(0.64), rel=1e-12)
    assert meanfield.depth_scales(sigma_w2=0.0, sigma_b2=0.09)["xi_q"] == 0.0


def test_the_arguments_are_variances_and_the_old_standard_deviation_form_warns():
    # chi1(2.5, 0.05) used to mean sigma_w = 2.5 (variance 6.25): the keywords now say what is meant
    new = meanfield.chi1(sigma_w2=2.5, sigma_b2=0.05)
    with pytest.warns(DeprecationWarning, match="sigma_w2=sigma_w"):
        old = meanfield.chi1(math.sqrt(2.5), math.sqrt(0.05))
    assert old == pytest.approx(new, rel=1e-14) and new != meanfield.chi1(sigma_w2=6.25, sigma_b2=0.05)
    with pytest.warns(DeprecationWarning):
        assert meanfield.q_star(sigma_w=1.5, sigma_b=0.3) == meanfield.q_star(sigma_w2=2.25, sigma_b2=0.09)
    with pytest.warns(DeprecationWarning):
        assert meanfield.depth_scales(1.5, 0.3)["xi_c"] == meanfield.depth_scales(sigma_w2=2.25, sigma_b2=0.09)["xi_c"]
    with pytest.warns(DeprecationWarning):
        assert meanfield.critical_sigma_w(math.sqrt(0.05)) ** 2 == pytest.approx(1.7610, abs=5e-5)
    with pytest.raises(nd.InvalidInputError, match="keywords only"):
        meanfield.chi1(1.5, sigma_w2=2.25)
    with pytest.raises(nd.InvalidInputError, match="sigma_w2="):
        meanfield.chi1()
