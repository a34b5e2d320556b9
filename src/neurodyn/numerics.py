"""The shared solvers, each written once: Newton's method (with a Jacobian the caller supplies, for correctors
and shooting), damped Gauss–Newton (for the extended systems, with the Jacobian from ``torch.func``), a batched
damped Newton for many independent square systems at once (slow manifolds), and the Illinois variant of regula
falsi (for locating events).

See also:
    :mod:`neurodyn.continuation.core`, the pseudo-arclength loop that uses them; the fixed-point search
    (:func:`neurodyn.find_fixed_points`) has its own batched solver with chord steps and deflation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import torch
from torch.func import jacfwd


class Stop(Enum):
    """Why :func:`newton` stopped."""

    CONVERGED = "converged"
    MAXITER = "maxiter"  # the iteration budget ran out above the tolerance
    SINGULAR = "singular"  # the linear solve failed or gave a non-finite step
    NON_FINITE = "non-finite residual"
    INADMISSIBLE = "inadmissible iterate"  # the caller's ``admissible`` refused the next iterate


@dataclass(frozen=True)
class NewtonResult:
    """The last evaluated iterate ``z`` of :func:`newton`, its ``residual`` (in the method's measure), the number
    of Newton steps taken before it, why the iteration stopped, and what the caller's residual attached to it
    (``context``, e.g. the integration behind a shooting residual)."""

    z: torch.Tensor
    residual: float
    iterations: int
    stop: Stop
    context: object = None

    @property
    def converged(self) -> bool:
        return self.stop is Stop.CONVERGED


def max_abs(R: torch.Tensor) -> float:
    return float(R.abs().max())


def newton(residual: Callable, jacobian: Callable, z: torch.Tensor, *, tol: float, maxiter: int,
           measure: Callable[[torch.Tensor], float] = max_abs, admissible: Callable | None = None) -> NewtonResult:
    """Newton's method ``z <- z - A(z)^{-1} R(z)`` until ``measure(R) <= tol``.

    ``residual(z)`` returns ``(R, context)``; ``jacobian(z, context)`` the square matrix ``A = dR/dz`` (called only
    when another step is needed, so a residual and its Jacobian can share one computation through ``context``).
    ``admissible(z)``, if given, is checked before each evaluation; an inadmissible iterate stops the iteration
    with the previous one as the result. Stops early on a singular Jacobian or a non-finite residual or step.
    At most ``maxiter`` residuals are evaluated (and as many steps taken); the iterate after the last step is not
    judged.

    Returns:
        :class:`NewtonResult` (``converged`` when the tolerance was met).
    """
    last = None
    for i in range(maxiter):
        if admissible is not None and not admissible(z):
            return _stopped(last, z, i, Stop.INADMISSIBLE)
        R, context = residual(z)
        size = measure(R)
        last = NewtonResult(z, size, i, Stop.CONVERGED, context)
        if not bool(torch.isfinite(R).all()):
            return _stopped(last, z, i, Stop.NON_FINITE)
        if size <= tol:
            return last
        d, info = torch.linalg.solve_ex(jacobian(z, context), -R)
        if int(info) != 0 or not bool(torch.isfinite(d).all()):
            return _stopped(last, z, i, Stop.SINGULAR)
        z = z + d
    return _stopped(last, z, maxiter, Stop.MAXITER)


def _stopped(last: NewtonResult | None, z: torch.Tensor, i: int, why: Stop) -> NewtonResult:
    if last is None:
        return NewtonResult(z, float("inf"), i, why)
    return NewtonResult(last.z, last.residual, last.iterations, why, last.context)


def damped_newton(residual: Callable, z: torch.Tensor, *, tol: float, maxiter: int, halvings: int = 12):
    """Damped Newton with least-squares (Gauss–Newton) steps, the Jacobian by ``torch.func.jacfwd``, until
    ``max |residual| <= tol``; the solution or ``None``.

    Each step is halved (up to ``halvings`` times) until ``|residual|_2`` falls by at least ``1e-4`` of the
    step's fraction (Armijo). Near a regular solution the full step always passes, so this is Newton's
    method there; from a poor seed (a first-order predictor where the equilibrium moves with the parameter)
    the undamped iteration wanders for all ``maxiter`` steps, while the damped one descends ``|residual|``
    to the solution or stops at once where no halving lowers it (a local minimum: no solution nearby).
    """
    R = residual(z)
    for _ in range(maxiter):
        if float(R.abs().max()) <= tol:
            return z
        step = torch.linalg.lstsq(jacfwd(residual)(z), -R[:, None]).solution[:, 0]
        size, t = float(torch.linalg.vector_norm(R)), 1.0
        for _ in range(halvings + 1):
            z_new = z + t * step
            R_new = residual(z_new)
            if bool(torch.isfinite(R_new).all()) and float(torch.linalg.vector_norm(R_new)) < (1 - 1e-4 * t) * size:
                break
            t *= 0.5
        else:
            return None
        z, R = z_new, R_new
    return z if float(R.abs().max()) <= tol else None


def regula_falsi(fn, s0: float, s1: float, f0: float, f1: float, *, tol: float, maxiter: int = 20):
    """A zero of ``fn`` between ``s0`` and ``s1`` (``f0``, ``f1``: its values there, of opposite signs) by the
    Illinois variant of regula falsi. ``fn(s)`` returns ``(value, payload)`` or ``None`` where it cannot be
    evaluated; the result is ``(s, payload)`` of the evaluation with the smallest ``|value|`` (``payload`` is
    ``None`` if no evaluation succeeded), stopping when ``|value| <= tol`` or the bracket is below ``tol``."""
    best = (float("inf"), s0, None)
    side = 0
    for _ in range(maxiter):
        s = s1 - f1 * (s1 - s0) / (f1 - f0)
        out = fn(s)
        if out is None:
            break
        f, payload = out
        if abs(f) < best[0]:
            best = (abs(f), s, payload)
        if abs(f) <= tol or abs(s1 - s0) <= tol:
            break
        if (f > 0) == (f1 > 0):
            s1, f1 = s, f
            if side == 1:
                f0 /= 2
            side = 1
        else:
            s0, f0 = s, f
            if side == -1:
                f1 /= 2
            side = -1
    return best[1], best[2]


@dataclass(frozen=True)
class NewtonOutcome:
    """Where a batched Newton run ended: ``y (B, m)``, ``residual (B,)`` = ``|F(y)|_2``, ``converged (B,)``
    (last step ``|dy| <= tol (1 + |y|)``) and the number of iterations taken."""

    y: torch.Tensor
    residual: torch.Tensor
    converged: torch.Tensor
    iterations: int


def batched_newton(fun: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]], y0: torch.Tensor, *,
                  tol: float = 1e-12, maxiter: int = 50, max_halvings: int = 30) -> NewtonOutcome:
    """Solve ``F(y) = 0`` for a batch ``y0 (B, m)`` by Newton's method with backtracking.

    ``fun(y)`` returns ``(F (B, m), dF/dy (B, m, m))`` (an exact or approximate Jacobian: with an approximate
    one the iteration converges linearly). Each row's step ``dy = -dF^{-1} F`` is halved until
    ``|F(y + s dy)| < (1 - 1e-4 s) |F(y)|`` (Armijo on the residual norm; Dennis & Schnabel, *Numerical Methods
    for Unconstrained Optimization*, 1983, §6.3) or ``max_halvings`` halvings are spent (then the shortest
    step is taken). A row stops when its full step satisfies ``|dy| <= tol (1 + |y|)``; the others go on.

    Where :func:`newton` and :func:`damped_newton` serve one system at a time (correctors, shooting, the
    extended Hopf systems), this one solves a batch of independent square systems at once (the slow manifold's
    fast coordinates at many slow points).

    Args:
        fun: the residual and its Jacobian, batched over rows.
        y0: ``(B, m)`` starting points.
        tol: relative step tolerance. maxiter: most Newton steps. max_halvings: most step halvings.

    Returns:
        :class:`NewtonOutcome`.
    """
    y = y0.clone()
    F, dF = fun(y)
    norm = torch.linalg.vector_norm(F, dim=-1)
    converged = torch.zeros(y.shape[0], dtype=torch.bool, device=y.device)
    iterations = 0
    for _ in range(maxiter):
        active = ~converged
        if not bool(active.any()):
            break
        iterations += 1
        dy = torch.zeros_like(y)
        dy[active] = torch.linalg.solve(dF[active], -F[active].unsqueeze(-1)).squeeze(-1)
        small = torch.linalg.vector_norm(dy, dim=-1) <= tol * (1 + torch.linalg.vector_norm(y, dim=-1))
        scale = torch.where(active, torch.ones_like(norm), torch.zeros_like(norm))
        pending = active.clone()
        for _ in range(max_halvings + 1):
            y_try = y + scale.unsqueeze(-1) * dy
            F_try, dF_try = fun(y_try)
            norm_try = torch.linalg.vector_norm(F_try, dim=-1)
            accept = pending & ((norm_try < (1 - 1e-4 * scale) * norm) | small | (norm == 0))
            y = torch.where(accept.unsqueeze(-1), y_try, y)
            F = torch.where(accept.unsqueeze(-1), F_try, F)
            dF = torch.where(accept[:, None, None], dF_try, dF)
            norm = torch.where(accept, norm_try, norm)
            pending = pending & ~accept
            if not bool(pending.any()):
                break
            scale = torch.where(pending, scale / 2, scale)
        if bool(pending.any()):  # no decrease within the halvings: take the shortest step tried
            y = torch.where(pending.unsqueeze(-1), y_try, y)
            F = torch.where(pending.unsqueeze(-1), F_try, F)
            dF = torch.where(pending[:, None, None], dF_try, dF)
            norm = torch.where(pending, norm_try, norm)
        converged = converged | (active & small)
    return NewtonOutcome(y=y, residual=norm, converged=converged, iterations=iterations)
