"""Mean-field theory of wide random tanh networks (Poole et al. 2016; Schoenholz et al. 2017).

For ``h[t+1] = tanh(W h[t] + b)`` with ``W_ij ~ N(0, sigma_w^2/n)`` and ``b_i ~ N(0, sigma_b^2)``, the
pre-activation variance ``q`` settles at the fixed point of

    q = sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2,     z ~ N(0, 1),

and a small perturbation grows per step by ``chi1 = sigma_w^2 E[sech^4(sqrt(q*) z)]`` in squared norm,
so the maximal Lyapunov exponent is ``0.5 ln chi1`` nats per step. The expectations are computed with
200-node Gauss–Hermite quadrature (probabilists' weights), exact to well below 1e-10 here.
"""

from __future__ import annotations

import math

import numpy as np

from neurodyn.errors import ConvergenceWarning, InvalidInputError

_Z, _W = np.polynomial.hermite_e.hermegauss(200)
_W = _W / _W.sum()


def _gauss(fn, q: float) -> float:
    return float(np.sum(_W * fn(math.sqrt(q) * _Z)))


def q_star(sigma_w: float, sigma_b: float = 0.0, *, tol: float = 1e-14, max_iter: int = 100_000) -> float:
    """The fixed-point pre-activation variance ``q*`` of a wide random tanh network (0 when it is stable
    at 0, i.e. ``sigma_b = 0`` and ``sigma_w <= 1``)."""
    if sigma_w < 0 or sigma_b < 0:
        raise InvalidInputError(f"sigma_w and sigma_b must be >= 0, got {sigma_w}, {sigma_b}")
    sw2, sb2 = sigma_w**2, sigma_b**2
    if sb2 == 0 and sw2 <= 1:
        return 0.0
    q = max(sw2, 1.0)
    for _ in range(max_iter):
        new = sw2 * _gauss(lambda a: np.tanh(a) ** 2, q) + sb2
        if abs(new - q) <= tol * max(1.0, q):
            return new
        q = new
    import warnings

    warnings.warn(f"q* iteration did not settle for sigma_w={sigma_w}, sigma_b={sigma_b}", ConvergenceWarning,
                  stacklevel=2)
    return q


def chi1(sigma_w: float, sigma_b: float = 0.0) -> float:
    """``chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]`` for ``phi = tanh``: the mean squared-norm growth of a
    perturbation per layer/step. ``chi1 = 1`` is the order-to-chaos transition."""
    q = q_star(sigma_w, sigma_b)
    return sigma_w**2 * _gauss(lambda a: np.cosh(a) ** -4, q)


def rnn_max_lyapunov(g: float, sigma_b: float = 0.0) -> float:
    """Mean-field maximal Lyapunov exponent ``0.5 ln chi1`` (nats/step) of ``h[t+1] = tanh(W h[t] + b)``
    with ``W_ij ~ N(0, g^2/n)`` in the limit of large ``n`` (e.g. 0.1547 at ``g = 2``; ``ln g`` for
    ``g <= 1`` without bias)."""
    return 0.5 * math.log(chi1(g, sigma_b))
