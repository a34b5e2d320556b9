"""The periodic orbit of a limit-cycle attractor: a period estimate from the recorded window's return times,
refined by the continuation package's single-shooting Newton (:func:`neurodyn.continuation.orbits.shoot_at`)."""

from __future__ import annotations

import math

import torch

from neurodyn.attractors.settings import AttractorSettings
from neurodyn.continuation.orbits import PeriodicOrbit, shoot_at, summarise
from neurodyn.results import Status
from neurodyn.systems.protocol import Flow, load_forward_ad

LEAVE = 0.3  # the trajectory must first move this fraction of the cycle's size away from its end point
RETURN = 0.1  # ... and then come back within this fraction for a return to count


def return_time(path: torch.Tensor, spacing: float) -> float | None:
    """The first return time of the recorded window ``path (S, n)`` (points ``spacing`` time units apart) to its
    last point: the first local minimum of ``d(k) = |x(t_end - k spacing) - x(t_end)|`` below ``RETURN`` times the
    window's size after ``d`` has exceeded ``LEAVE`` times it, refined by a parabola through ``d^2`` at the three
    lags around the minimum. ``None`` when the window holds no return (shorter than a period)."""
    end = path[-1]
    d2 = ((path.flip(0) - end) ** 2).sum(-1)
    size2 = float(((path.max(0).values - path.min(0).values) ** 2).sum())
    if not size2 > 0:
        return None
    left = (d2 > LEAVE**2 * size2).nonzero()
    if len(left) == 0:
        return None
    for k in range(int(left[0]) + 1, len(d2) - 1):
        if d2[k] <= d2[k - 1] and d2[k] <= d2[k + 1] and d2[k] < RETURN**2 * size2:
            a, b, c = float(d2[k - 1]), float(d2[k]), float(d2[k + 1])
            curv = a - 2 * b + c
            shift = 0.5 * (a - c) / curv if curv > 0 else 0.0
            return (k + shift) * spacing
    return None


def periodic_orbit_of(system: Flow, path: torch.Tensor, spacing: float, s: AttractorSettings) -> PeriodicOrbit | None:
    """The periodic orbit through the end of the recorded window ``path (S, n)`` of one member, as a
    :class:`~neurodyn.PeriodicOrbit` (``param`` is ``""`` and ``value`` NaN: the orbit is of the system as given),
    with status ``converged`` when shooting met ``orbit_tol`` and ``failed`` otherwise; ``None`` when the window
    holds no return to estimate the period from."""
    T = return_time(path, spacing)
    if T is None:
        return None
    t0 = torch.zeros((), dtype=path.dtype, device=path.device)

    def G(x, a):  # the shooting code's parametrised field; this one has no parameter
        return system.f(x, t0)

    a = torch.zeros((), dtype=path.dtype, device=path.device)
    load_forward_ad()  # the shooting derivatives are forward-mode products
    out = shoot_at(G, path[-1].clone(), T, a, steps=s.steps_per_period, tol=s.orbit_tol, maxiter=s.orbit_maxiter)
    summary = summarise(G, out.shot, a, path.mean(0), tol=s.orbit_tol, maxiter=s.orbit_maxiter)
    return PeriodicOrbit(param="", value=math.nan, x0=out.x0.detach().cpu(), period=out.period,
                         orbit=out.shot.path.detach().cpu(), amplitude=summary.amplitude,
                         multipliers=summary.multipliers.detach().cpu(), stable=summary.stable, residual=out.residual,
                         status=Status.CONVERGED if out.converged else Status.FAILED,
                         settings=dict(steps_per_period=s.steps_per_period, tol=s.orbit_tol, maxiter=s.orbit_maxiter,
                                       period_estimate=T))
