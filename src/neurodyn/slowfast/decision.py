"""On a chosen time scale ``T``: may the slow part be frozen, and may the fast part be replaced by its statistics?"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status
from neurodyn.slowfast.error import manifold_distance, trajectory

DECISIONS = {
    (True, True): "T lies in the gap: freeze the slow part and replace the fast part by its equilibrium statistics",
    (True, False): "freeze the slow part: on T only the fast part moves, with the slow coordinates as parameters",
    (False, True): "average the fast part: it has equilibrated on the slow manifold; use the reduced system",
    (False, False): "no reduction on T: the slow part moves and the fast part has not equilibrated",
}


@dataclass(frozen=True, eq=False)
class TimeScaleDecision(Result):
    """What a slow/fast split allows on the time scale ``T`` (returned by :meth:`SlowFastSplit.decide`).

    Attributes:
        T: the time scale (time units). tol: the tolerance (relative, see below). scale: the state scale.
        slow_motion: ``(B,)`` measured ``max_{t <= T} |A_s (z(t) - z(0))| / scale`` along full trajectories;
            predicted_slow_motion: ``(B,)`` ``T |A_s dz/dt| / scale`` at the states' slow-manifold points.
        slow_frozen: every ``slow_motion <= tol``.
        fast_relaxation: ``(B,)`` measured distance to the slow manifold at ``T`` over that at 0 (0 for a state
            that starts on it); predicted_fast_relaxation: ``exp(-fast_rate T)``.
        fast_equilibrated: every ``fast_relaxation <= tol`` and ``predicted_fast_relaxation <= tol``.
        fast_mean, fast_std: ``(B, m)`` mean and standard deviation of the fast coordinates over ``[T/2, T]``:
            the statistics that replace the fast part when it is averaged.
        decision: one sentence: what may be frozen or averaged on ``T``.
        status: ``"ok"``.
    """

    T: float
    tol: float
    scale: float
    slow_motion: torch.Tensor
    predicted_slow_motion: torch.Tensor
    slow_frozen: bool
    fast_relaxation: torch.Tensor
    predicted_fast_relaxation: float
    fast_equilibrated: bool
    fast_mean: torch.Tensor
    fast_std: torch.Tensor
    decision: str
    status: Status
    system: str
    settings: dict = field(default_factory=dict)


def decide(split, T: float, *, tol: float = 0.05, states=None, steps: int = 50, rtol: float = 1e-8,
           atol: float = 1e-10) -> TimeScaleDecision:
    """Decide, on the time scale ``T``, whether the slow part may be frozen and the fast part treated as noise.

    The slow part is frozen on ``T`` when full trajectories from the states move their slow coordinates by at
    most ``tol`` times the state scale (the RMS norm of the states, or 1 if they are all zero) within ``T``; the
    fast part may be replaced by its statistics (its equilibrium on the slow manifold, the averaging principle)
    when the distance to the slow manifold has shrunk by the factor ``tol`` by ``T``, both as predicted from the
    slowest fast rate (``exp(-fast_rate T)``) and as measured. Both are measured on one adaptive run of the
    full system over ``[0, T]``.

    Args:
        split: a :class:`SlowFastSplit`. T: the time scale of interest (time units).
        tol: relative tolerance (default 0.05). states: ``(B, n)`` initial states (default: the split's).
        steps: grid intervals of the run. rtol, atol: dopri5 tolerances.

    Returns:
        :class:`TimeScaleDecision`.
    """
    T = positive_float(T, name="T")
    tol = positive_float(tol, name="tol")
    steps = positive_int(steps, name="steps", minimum=2)
    system = split.system
    if system is None:
        raise InvalidInputError("this split has no system attached; recompute it with slow_fast(system, states)")
    x0 = split.states if states is None else state_batch(states, n=system.dim, name="states", dtype=system.dtype,
                                                          device=system.device)
    rms = float(torch.linalg.vector_norm(x0, dim=-1).pow(2).mean().sqrt())
    scale = rms if rms > 0 else 1.0
    xs = trajectory(system, x0, T, steps, rtol=rtol, atol=atol)
    chart = split.chart
    z, w = chart.coords(xs)
    slow_motion = torch.linalg.vector_norm((z - z[0]) @ chart.slow_basis.T, dim=-1).amax(0) / scale
    x_m = split.manifold_point(split.slow_coordinates(x0))
    v_slow = (system.f(x_m) @ split.slow_dual.T) @ chart.slow_basis.T
    predicted_slow = T * torch.linalg.vector_norm(v_slow, dim=-1) / scale
    d = manifold_distance(split, xs[[0, -1]])
    relax = torch.where(d[0] > 1e-12 * scale, d[1] / d[0].clamp_min(1e-300), torch.zeros_like(d[0]))
    predicted_relax = math.exp(-split.fast_rate * T)
    late = w[steps // 2:]
    slow_frozen = bool((slow_motion <= tol).all())
    fast_eq = bool((relax <= tol).all()) and predicted_relax <= tol
    return TimeScaleDecision(
        T=T, tol=tol, scale=scale, slow_motion=slow_motion, predicted_slow_motion=predicted_slow,
        slow_frozen=slow_frozen, fast_relaxation=relax, predicted_fast_relaxation=predicted_relax,
        fast_equilibrated=fast_eq, fast_mean=late.mean(0), fast_std=late.std(0, correction=0),
        decision=DECISIONS[(slow_frozen, fast_eq)], status=Status.OK, system=split.system_name,
        settings={"steps": steps, "rtol": rtol, "atol": atol})
