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
    q = meanfield.q_star(g)
    assert q == pytest.approx(g * g * _gauss_quad(lambda z: math.tanh(math.sqrt(q) * z) ** 2), rel=1e-10)
    chi = g * g * _gauss_quad(lambda z: 1 / np.cosh(min(math.sqrt(q) * abs(z), 150.0)) ** 4)
    assert meanfield.chi1(g) == pytest.approx(chi, rel=1e-8)


def test_published_values():
    assert meanfield.rnn_max_lyapunov(2.0) == pytest.approx(0.1547, abs=5e-5)
    for g in (0.3, 0.5, 0.99):  # the origin is stable and attracting: lambda = ln g exactly
        assert meanfield.rnn_max_lyapunov(g) == pytest.approx(math.log(g), abs=1e-14)
    assert meanfield.rnn_max_lyapunov(0.0) == -math.inf
    # order-to-chaos critical line (Poole et al. 2016; Schoenholz et al. 2017): sigma_w^2 = 1.7610 at sigma_b^2 = 0.05
    assert meanfield.chi1(math.sqrt(1.7610), math.sqrt(0.05)) == pytest.approx(1.0, abs=1e-3)
    assert meanfield.chi1(1.0, 0.0) == pytest.approx(1.0, abs=1e-14)


def test_near_the_transition_q_star_is_small_and_continuous():
    qs = [meanfield.q_star(math.sqrt(1 + eps)) for eps in (1e-4, 1e-3, 1e-2)]
    assert 0 < qs[0] < qs[1] < qs[2] < 0.02
    # small-q expansion: E[tanh^2(sqrt(q) z)] = q - 2 q^2 + O(q^3), so q* ~ eps / 2 for sigma_w^2 = 1 + eps
    assert qs[0] == pytest.approx(1e-4 / 2, rel=1e-3)


@pytest.mark.parametrize("bad", [(-1.0, 0.0), (float("nan"), 0.0), (1.0, float("inf"))])
def test_invalid_input(bad):
    with pytest.raises(nd.InvalidInputError):
        meanfield.chi1(*bad)


def test_vectorised_inputs_are_refused_clearly():
    with pytest.raises((nd.InvalidInputError, TypeError)):
        meanfield.chi1(np.array([1.0, 2.0]))
