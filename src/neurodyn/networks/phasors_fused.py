"""The Lawson RK4 phasor step of :func:`~neurodyn.networks.simulate_phasors` fused by ``torch.compile``: four
passes over the nodes per step instead of about sixty.

Each stage's coupling ``w_j`` needs the mean ``Z_j`` of that stage's phasors ``y_j`` over all nodes, so a step
cannot be one loop. Here it is four compiled loops, each a reduction that recomputes the earlier stages from
``z`` and ``e^{i omega h/2}`` instead of storing them: pass ``j = 1, 2, 3`` gives ``Z_{j+1}`` from ``Z_1..Z_j``;
the last pass writes the new ``z`` in place and the mean of the written values, ``Z_1`` of the next step. Each pass
reads ``z`` and the rotation (four float64 per node) and only the last writes (two): about 2.25x the traffic of
streaming the phases through memory four times, for about 2.5x the arithmetic of the eager step. The arithmetic
is :func:`~neurodyn.networks.phasors.lawson_rk4` itself, traced with fresh tensors instead of buffers, so the
fused step agrees with the eager one to rounding (reductions summed in another order).

Compiling costs seconds to tens of seconds once per process and per new ``(N, dt, batch shape, dtype,
device)``; torch falls back to eager execution (correct, not faster) once its recompile limit
(``torch._dynamo.config.recompile_limit``, 8 by default) is reached.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import torch

from neurodyn.networks.phasors import FRESH, Pair, coupling_of_mean, lawson_rk4, node_mean


def _stage_mean(stop: int, a, b, Er, Ei, cw, sw, Z: tuple[Pair, ...], h: float) -> Pair:
    """``Z_{stop+1}``, the mean of the stage phasors ``y_{stop+1}``, from the earlier means ``Z``."""
    y = lawson_rk4((a, b), (Er, Ei), h, lambda j, _: coupling_of_mean(Z[j], cw, sw), FRESH, stop=stop)
    return node_mean(y)


def _mean_2(a, b, Er, Ei, cw, sw, Z, h):
    return _stage_mean(1, a, b, Er, Ei, cw, sw, Z, h)


def _mean_3(a, b, Er, Ei, cw, sw, Z, h):
    return _stage_mean(2, a, b, Er, Ei, cw, sw, Z, h)


def _mean_4(a, b, Er, Ei, cw, sw, Z, h):
    return _stage_mean(3, a, b, Er, Ei, cw, sw, Z, h)


def _advance(a, b, Er, Ei, cw, sw, Z, h, renormalise: bool) -> Pair:
    """The new state written into ``a``, ``b``; returns its mean (``Z_1`` of the next step)."""
    new = lawson_rk4((a, b), (Er, Ei), h, lambda j, _: coupling_of_mean(Z[j], cw, sw), FRESH,
                     renormalise=renormalise)
    a.copy_(new[0])
    b.copy_(new[1])
    return node_mean(new)


@dataclass(frozen=True)
class _Passes:
    means: tuple
    advance: object


@functools.cache
def _passes() -> _Passes:
    """The four passes, compiled once per process (each ``torch.compile``'d function keeps its own cache of
    compiled shapes); ``fullgraph``: a graph break is an error, not a silent eager fallback."""
    from neurodyn.integrate.compiled import compile_quietly

    return _Passes(tuple(compile_quietly(f, fullgraph=True) for f in (_mean_2, _mean_3, _mean_4)),
                   compile_quietly(_advance, fullgraph=True))


class FusedPhasorStepper:
    """Lawson RK4 on phasors stored as two contiguous ``(..., N)`` tensors, advanced by the compiled passes;
    the same interface as the eager stepper of :mod:`neurodyn.networks.phasors`."""

    def __init__(self, s: torch.Tensor, omega: torch.Tensor, K: torch.Tensor, alpha: float, h: float):
        self.pair = (s[..., 0, :].contiguous(), s[..., 1, :].contiguous())
        self.cw = (K / 2 * math.cos(alpha)).contiguous()  # (K/2) e^{-i alpha} = cw - i sw
        self.sw = (K / 2 * math.sin(alpha)).contiguous()
        self.E = (torch.cos(omega * h / 2).contiguous(), torch.sin(omega * h / 2).contiguous())
        self.Z1 = node_mean(self.pair)
        self.passes = _passes()

    def step(self, h: float, renormalise: bool) -> None:
        args = (*self.pair, *self.E, self.cw, self.sw)
        Z = (self.Z1,)
        for mean in self.passes.means:
            Z = (*Z, mean(*args, Z, h))
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
        warnings.warn(f"simulate_phasors(compile=True): torch.compile could not compile the phasor step "
                      f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); running the eager "
                      "step instead", RuntimeWarning, stacklevel=3)
        return None
    return FusedPhasorStepper(s, omega, K, alpha, h)
