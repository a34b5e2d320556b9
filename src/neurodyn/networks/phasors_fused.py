"""The Lawson RK4 phasor step of :func:`~neurodyn.networks.simulate_phasors` fused by ``torch.compile``: two
loops over the nodes per step instead of about sixty eager passes.

Each stage's coupling ``w_j`` needs the mean ``Z_j`` of that stage's phasors ``y_j`` over all nodes. ``Z_1`` is
the mean of the state (kept from the previous step) and ``y_2`` depends on it alone; ``y_3`` and ``y_4`` depend
on ``w_2`` and ``w_3``, unknown while the nodes are read, but polynomially, so their means follow from a few
means of products of ``E = e^{i omega h/2}``, ``E s`` and ``y_2^2`` (:func:`_stage_means`). Pass 1 is one
reduction computing those means (and from them ``Z_2 .. Z_4``); pass 2 runs the step itself, writes the new
``z`` in place and returns its mean, the next step's ``Z_1``. Each pass reads ``z`` and the rotation (four
float64 per node), the second writes two: 1.25x the traffic of streaming the phases through memory four times.
The step's arithmetic is :func:`~neurodyn.networks.phasors.lawson_rk4` itself (traced with fresh tensors instead
of buffers), so the fused step agrees with the eager one to rounding (the means summed in another order).

Compiling costs seconds to tens of seconds once per process and per new ``(N, dt, batch shape, dtype,
device)``. Past torch's recompile limit (``torch._dynamo.config.recompile_limit``, 8 compiled shapes per pass by
default) :func:`~neurodyn.networks.simulate_phasors` warns and runs the eager step, as it does where torch cannot
compile at all.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import torch

from neurodyn.networks.phasors import FRESH, Pair, coupling_of_mean, lawson_rk4, node_mean


def _mul(x: Pair, y: Pair) -> Pair:
    """Complex product per element."""
    return x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0]


def _lin(*terms: tuple[float, Pair]) -> Pair:
    """``sum_k c_k x_k`` for real ``c_k``."""
    return sum(c * x[0] for c, x in terms), sum(c * x[1] for c, x in terms)


def _conj(x: Pair) -> Pair:
    return x[0], -x[1]


def _means(a, b, Er, Ei, cw, sw, Z1: Pair, mE: Pair, h: float) -> tuple[Pair, ...]:
    """Pass 1: the stage means ``Z_1 .. Z_4`` (:func:`_stage_means`) from ``Z_2 = mean(y_2)`` and the means over
    the nodes of ``P = E s``, ``Q = y_2^2``, ``E P``, ``E P^2``, ``E Q``, ``E Q^2``, ``E P Q``."""
    s, E = (a, b), (Er, Ei)
    y2 = lawson_rk4(s, E, h, lambda j, _: coupling_of_mean(Z1, cw, sw), FRESH, stage_2=True)
    P, Q = _mul(E, s), _mul(y2, y2)
    EP, EQ = _mul(E, P), _mul(E, Q)
    moments = tuple(node_mean(v) for v in (y2, P, Q, EP, _mul(EP, P), EQ, _mul(EQ, Q), _mul(EP, Q)))
    return _stage_means(Z1, moments, mE, cw, sw, h)


def _stage_means(Z1: Pair, moments: tuple[Pair, ...], mE: Pair, cw, sw, h: float) -> tuple[Pair, ...]:
    """``Z_1 .. Z_4`` from the moments of pass 1 and ``mE = mean(E)``, by expanding :func:`lawson_rk4`'s stages
    in the couplings not known during pass 1: ``y_3 = P + a - b Q`` with ``a = (h/2) w_2``,
    ``b = (h/2) conj(w_2)``, so ``Z_3 = mean(P) + (h/2)(w_2 - conj(w_2) mean(Q))`` and, with ``y_4 = E P + h E k_3``,
    ``Z_4 = mean(E P) + h (w_3 mean(E) - conj(w_3) mean(E y_3^2))``, ``mean(E y_3^2) = mean(E P^2) + a^2 mean(E)
    + b^2 mean(E Q^2) + 2 a mean(E P) - 2 b mean(E P Q) - 2 a b mean(E Q)``."""
    Z2, mP, mQ, mEP, mEP2, mEQ, mEQ2, mEPQ = moments
    w2 = coupling_of_mean(Z2, cw, sw)
    Z3 = _lin((1.0, mP), (h / 2, w2), (-h / 2, _mul(_conj(w2), mQ)))
    w3 = coupling_of_mean(Z3, cw, sw)
    al, be = _lin((h / 2, w2)), _lin((h / 2, _conj(w2)))
    mEy3 = _lin((1.0, mEP2), (1.0, _mul(_mul(al, al), mE)), (1.0, _mul(_mul(be, be), mEQ2)), (2.0, _mul(al, mEP)),
                (-2.0, _mul(be, mEPQ)), (-2.0, _mul(_mul(al, be), mEQ)))
    Z4 = _lin((1.0, mEP), (h, _mul(w3, mE)), (-h, _mul(_conj(w3), mEy3)))
    return Z1, Z2, Z3, Z4


def _advance(a, b, Er, Ei, cw, sw, Z: tuple[Pair, ...], h: float, renormalise: bool) -> Pair:
    """Pass 2: the new state written into ``a``, ``b``; returns its mean (``Z_1`` of the next step)."""
    new = lawson_rk4((a, b), (Er, Ei), h, lambda j, _: coupling_of_mean(Z[j], cw, sw), FRESH,
                     renormalise=renormalise)
    Z1 = node_mean(new)
    a.copy_(new[0])
    b.copy_(new[1])
    return Z1


@dataclass(frozen=True)
class _Passes:
    means: object
    advance: object


@functools.cache
def _passes() -> _Passes:
    """The two passes, compiled once per process (each ``torch.compile``'d function keeps its own cache of
    compiled shapes); ``fullgraph``: a graph break is an error, not a silent eager fallback."""
    from neurodyn.integrate.compiled import compile_quietly

    return _Passes(compile_quietly(_means, fullgraph=True), compile_quietly(_advance, fullgraph=True))


class FusedPhasorStepper:
    """Lawson RK4 on phasors stored as two contiguous ``(..., N)`` tensors, advanced by the compiled passes;
    the same interface as the eager stepper of :mod:`neurodyn.networks.phasors`."""

    def __init__(self, s: torch.Tensor, omega: torch.Tensor, K: torch.Tensor, alpha: float, h: float):
        self.pair = (s[..., 0, :].contiguous(), s[..., 1, :].contiguous())
        self.cw = (K / 2 * math.cos(alpha)).contiguous()  # (K/2) e^{-i alpha} = cw - i sw
        self.sw = (K / 2 * math.sin(alpha)).contiguous()
        self.E = (torch.cos(omega * h / 2).contiguous(), torch.sin(omega * h / 2).contiguous())
        self.Z1 = node_mean(self.pair)
        self.mE = node_mean(self.E)
        self.passes = _passes()

    def step(self, h: float, renormalise: bool) -> None:
        args = (*self.pair, *self.E, self.cw, self.sw)
        Z = self.passes.means(*args, self.Z1, self.mE, h)
        self.Z1 = self.passes.advance(*args, Z, h, renormalise)

    def phases(self) -> torch.Tensor:
        return torch.atan2(self.pair[1], self.pair[0])

    def r(self) -> torch.Tensor:
        Zr, Zi = node_mean(self.pair)
        return torch.hypot(Zr, Zi).squeeze(-1)

    def finite(self) -> bool:
        return bool(torch.isfinite(self.pair[0]).all() and torch.isfinite(self.pair[1]).all())


def fused_stepper(s: torch.Tensor, omega, K, alpha: float, h: float, renormalise: bool):
    """A :class:`FusedPhasorStepper`, its passes compiled by one trial step on a copy of the state; ``None``, with
    a :class:`RuntimeWarning` naming the error, when torch cannot compile them here (no C++ compiler or Triton,
    an unsupported device or dtype)."""
    try:
        FusedPhasorStepper(s.clone(), omega, K, alpha, h).step(h, renormalise)
    except Exception as exc:  # the compiler's errors have no common type
        cause = exc
        while cause.__cause__ is not None:  # the compiler wraps the error that stopped it
            cause = cause.__cause__
        lines = [line for line in str(cause).splitlines() if line.strip()]
        warnings.warn(f"simulate_phasors(compile=True): torch.compile could not compile the phasor step "
                      f"({type(cause).__name__}: {lines[0][:300] if lines else ''}); running the eager step instead",
                      RuntimeWarning, stacklevel=3)
        return None
    return FusedPhasorStepper(s, omega, K, alpha, h)
