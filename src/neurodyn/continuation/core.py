"""One pseudo-arclength continuation loop for every kind of branch (Keller 1977; Allgower & Georg 1990).

A *problem* (equilibria in one parameter, Hopf or fold curves in two, periodic orbits) supplies what differs:
the equations and their Jacobian given the previous point (:class:`Corrector`), what is kept at each point
(tangent and data such as eigenvalues or test-function values), the events between two points and when to
stop. The loop is the same for all: predict ``u + h t`` along the unit tangent ``t``, correct by Newton on the
equations and ``t . (w - u - h t) = 0``, grow the step by ``grow`` after an easy correction (at most ``easy``
iterations) and halve it after a failed one, down to ``min_step``. Events are located by regula falsi on a test
function along the step, with a corrector per evaluation (:func:`locate`). The layout follows BifurcationKit.jl
(an iterator over a problem with a predictor–corrector and event detection by test functions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Protocol

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.numerics import newton, regula_falsi
from neurodyn.results import Status


@dataclass(frozen=True)
class ContinuationSettings:
    """Step control and Newton settings of a continuation.

    Attributes:
        step: the first arclength step (in the unknowns' units). min_step, max_step: its bounds; the run stops
            with ``"step too small"`` when a halving goes below ``min_step``. max_points: most points (>= 2).
        tol: Newton tolerance (max norm of the residual). maxiter: Newton iterations per correction.
        easy: a correction with at most this many iterations grows the step by ``grow`` (the drivers' defaults:
            4 for equilibria and curves, 3 for periodic orbits, whose corrections integrate a period per iteration).

    The direction of a run is not a setting: it heads from ``start`` towards ``stop`` (see each driver). Each
    driver also takes the first six fields as keyword shorthands, e.g.
    ``continue_equilibria(..., settings=ContinuationSettings(...), step=0.01)``.
    """

    step: float
    min_step: float
    max_step: float
    max_points: int
    tol: float
    maxiter: int
    easy: int = 4
    grow: float = 1.3

    @classmethod
    def resolve(cls, defaults: ContinuationSettings, settings: ContinuationSettings | None, options: dict,
                caller: str) -> ContinuationSettings:
        """The settings a driver runs with: ``settings`` (or the driver's ``defaults``) with the fields named in
        ``options`` (the driver's keyword shorthands, e.g. ``step=0.01``) replaced, each checked."""
        if settings is not None and not isinstance(settings, ContinuationSettings):
            raise InvalidInputError(f"{caller}: settings must be a ContinuationSettings, got {type(settings).__name__}")
        names = {f.name for f in fields(cls)} - {"easy", "grow"}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InvalidInputError(f"{caller} got unexpected keyword argument(s) {unknown}; the continuation "
                                    f"settings are {sorted(names)}")
        s = replace(settings or defaults, **options)
        step, min_step, max_step = (positive_float(v, name=k) for k, v in
                                    (("step", s.step), ("min_step", s.min_step), ("max_step", s.max_step)))
        return replace(s, step=step, min_step=min_step, max_step=max_step,
                       max_points=positive_int(s.max_points, name="max_points", minimum=2),
                       tol=positive_float(s.tol, name="tol"), maxiter=positive_int(s.maxiter, name="maxiter"))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Point:
    """A point of a branch: the unknowns ``u``, the unit tangent there, and what the problem keeps (``data``)."""

    u: torch.Tensor
    tangent: torch.Tensor
    data: object = None


@dataclass(frozen=True)
class Corrected:
    """A converged correction: the unknowns, the Newton steps it took and the residual's ``context``."""

    u: torch.Tensor
    iterations: int
    context: object = None


@dataclass(frozen=True)
class Corrector:
    """The equations of a step from a given point, without the arclength condition the loop adds:
    ``residual(w) -> (R, context)`` (``R``: ``N - 1`` equations in ``N`` unknowns), ``jacobian(w, context)`` its
    ``(N - 1, N)`` Jacobian, and optionally ``admissible(w)`` (iterates it refuses fail the correction)."""

    residual: Callable
    jacobian: Callable
    admissible: Callable | None = None


class Problem(Protocol):
    """What a kind of branch supplies to :func:`trace`."""

    def corrector(self, prev: Point) -> Corrector: ...

    def point(self, prev: Point, new: Corrected) -> Point: ...

    def events(self, prev: Point, new: Point, h: float, index: int, found: list) -> list: ...

    def stop(self, first: Point, new: Point, found: list) -> tuple[Status | None, bool]:
        """Why to stop at ``new`` (``None``: go on) and whether to keep it; ``found``: this step's events."""


@dataclass(frozen=True)
class Trace:
    """The points of a branch, the events met between them (in order) and why it stopped."""

    points: list
    events: list = field(default_factory=list)
    status: Status = Status.MAX_POINTS


def correct(corrector: Corrector, prev: Point, s: float, settings: ContinuationSettings) -> Corrected | None:
    """Newton from ``prev.u + s t`` on the corrector's equations and ``t . (w - pred) = 0`` (``t = prev.tangent``);
    ``None`` when it does not converge."""
    t = prev.tangent
    pred = prev.u + s * t

    def residual(w):
        R, context = corrector.residual(w)
        return torch.cat([R, (t @ (w - pred))[None]]), context

    def jacobian(w, context):
        return torch.cat([corrector.jacobian(w, context), t[None]])

    out = newton(residual, jacobian, pred, tol=settings.tol, maxiter=settings.maxiter,
                 admissible=corrector.admissible)
    return Corrected(out.z, out.iterations, out.context) if out.converged else None


def tangent(rows: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """The unit null vector of ``rows`` (``(N - 1, N)``) oriented along ``previous``: the solution of
    ``[rows; previous] t = e_N``, normalised."""
    A = torch.cat([rows, previous[None]])
    e = torch.zeros(len(previous), dtype=rows.dtype, device=rows.device)
    e[-1] = 1.0
    t = torch.linalg.solve(A, e)
    return t / torch.linalg.vector_norm(t)


def locate(corrector: Corrector, prev: Point, h: float, value: Callable, f0: float, f1: float,
           settings: ContinuationSettings):
    """Where a test function changes sign within the step of length ``h`` from ``prev``: regula falsi in the
    arclength ``s`` (to ``1e-10``), each evaluation a correction from ``prev.u + s t``; ``value(corrected)``
    returns ``(test value, payload)`` or ``None``. Returns ``(s, payload)`` (``payload`` ``None`` on failure)."""

    def test(s):
        new = correct(corrector, prev, s, settings)
        return None if new is None else value(new)

    return regula_falsi(test, 0.0, h, f0, f1, tol=1e-10)


def trace(problem: Problem, first: Point, settings: ContinuationSettings) -> Trace:
    """Continue from ``first`` (its tangent gives the direction) until the problem says stop, ``max_points`` or
    the step falls below ``min_step``."""
    h = settings.step
    points, events, status = [first], [], Status.MAX_POINTS
    while len(points) < settings.max_points:
        prev = points[-1]
        new = correct(problem.corrector(prev), prev, h, settings)
        if new is None:
            h /= 2
            if h < settings.min_step:
                status = Status.STEP_TOO_SMALL
                break
            continue
        point = problem.point(prev, new)
        found = problem.events(prev, point, h, len(points) - 1, events)
        events += found
        stop, keep = problem.stop(points[0], point, found)
        if keep:
            points.append(point)
        h = min(settings.max_step, h * settings.grow) if new.iterations <= settings.easy else h
        if stop is not None:
            status = stop
            break
    return Trace(points, events, status)
