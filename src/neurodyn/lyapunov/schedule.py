"""How often to re-orthonormalise: the rounding loss of a QR interval and the ``"auto"`` schedule built on it.

Between two re-orthonormalisations ``q`` steps apart the frame is pushed as ``A = J_q ... J_1 Q``; its columns
grow apart by the spread ``s = max_i log R_ii - min_i log R_ii`` (about ``q (lambda_1 - lambda_k)``), so ``A``
has condition number about ``e^s``. Householder QR is backward stable: the computed ``R`` is that of
``A + dA`` with ``|dA| <~ sqrt(m) u |A|`` (``u`` the unit roundoff, ``m`` the tangent dimension; the root of
``m`` for ``m`` roundings of random sign), so the weakest diagonal entry carries a relative error of about

    delta(q) = sqrt(m) u e^s,

and ``log R_kk`` the same absolute error. The new frame ``Q = A R^-1`` (a triangular solve, see
:func:`~neurodyn.lyapunov.loop.renormalise`) is orthonormal to the same order, ``u e^s``, which changes the next
interval's growth by as much again (its columns' norms differ from 1 by that much; their directions' errors
within the span of the stronger columns change nothing, those along weaker ones decay), so an interval costs
at most ``2 delta(q)``. Spread over the interval's ``q`` steps of ``tau`` time units each, a
re-orthonormalisation interval ``q`` costs the exponents an error of at most

    eps(q) = 2 sqrt(m) u e^(q * spread_rate) / (q tau)      (nats per step for maps, per time unit for flows)

where ``spread_rate = s / q`` is the spread per step. In exact arithmetic the interval changes nothing
(``diag(R_2 R_1) = diag(R_2) diag(R_1)``: the summed ``log R_ii`` telescope), so ``eps(q)`` is the whole
difference from ``qr_every=1``. The model is conservative: with ``"auto"`` it predicted 8.6e-5, 5.8e-5 and
7.1e-5 for the Hénon map, the towel map and an LSTM-32 (``m = 64``) where the spectra differed from ``qr_every=1``
by 1.8e-6, 1.9e-8 and 9.4e-7 (3000, 3000 and 300 steps). At ``s ~ -ln u`` (36 nats in float64) the weakest
directions are lost entirely.

The ``"auto"`` schedule starts at ``q = 1``, measures the spread of every interval, and takes as the next interval
the longest ``q' <= min(2 q, AUTO_MAX_INTERVAL, steps // MIN_INTERVALS)`` with ``eps(q') <= AUTO_TOL`` at the
measured rate (the bound by the measured ``steps`` leaves the convergence diagnostic its ten intervals: a short
run is never "too short" because of the schedule). An interval
whose realised loss exceeded ``OVERSHOOT * AUTO_TOL`` (the spread rate jumped) is redone one step at a time, so
the realised loss, reported as the result's ``settings["qr_loss"]``, stays below ``AUTO_TOL`` up to such jumps.
``AUTO_TOL = 1e-4`` lies well under the statistical standard error of any run long enough to be ``converged``
(1e-3 and above in practice: the standard error falls as ``1/sqrt(T)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

AUTO_TOL = 1e-4  # nats per step (maps) or per time unit (flows)
AUTO_MAX_INTERVAL = 16
MIN_INTERVALS = 10  # re-orthonormalisations a single trajectory's convergence diagnostic needs (one per time block)
OVERSHOOT = 10.0


def longest_interval(steps: int) -> int:
    """The longest interval ``"auto"`` takes in a run of ``steps`` measured steps: ``min(16, steps // 10)``, at
    least 1."""
    return max(1, min(AUTO_MAX_INTERVAL, steps // MIN_INTERVALS))


def growth_spread(growth: torch.Tensor) -> float:
    """``max_batch (max_i - min_i) log|R_ii|`` over one interval (0 for a single vector)."""
    if growth.shape[-1] == 1:
        return 0.0
    return float((growth.max(-1).values - growth.min(-1).values).max())


@dataclass(frozen=True)
class QRLoss:
    """The rounding loss model ``eps(q) = 2 sqrt(m) u e^s / (q tau)`` for an ``m``-dimensional tangent space."""

    tangent_dim: int
    unit_roundoff: float
    time_per_step: float

    @classmethod
    def for_run(cls, tangent_dim: int, dtype: torch.dtype, time_per_step: float) -> QRLoss:
        return cls(tangent_dim, torch.finfo(dtype).eps / 2, time_per_step)

    def loss(self, spread: float, steps: int) -> float:
        """Error (nats per step or time unit) of one interval of ``steps`` steps whose growth spread was
        ``spread`` nats."""
        if spread > 700:  # e^spread overflows: the frame has certainly collapsed
            return math.inf
        return 2 * math.sqrt(self.tangent_dim) * self.unit_roundoff * math.exp(spread) / (steps * self.time_per_step)

    def next_interval(self, spread: float, steps: int, interval: int, tol: float = AUTO_TOL,
                      longest: int = AUTO_MAX_INTERVAL) -> int:
        """The longest interval up to ``min(2 * interval, longest)`` whose predicted loss at the spread rate of the
        last interval (``spread`` over ``steps`` steps) stays below ``tol``; at least 1."""
        rate = spread / steps
        for q in range(min(2 * interval, longest), 1, -1):
            if self.loss(q * rate, q) <= tol:
                return q
        return 1
