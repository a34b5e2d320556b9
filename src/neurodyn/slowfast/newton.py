"""A small batched damped Newton method for square systems ``F(y) = 0``, one problem per batch row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class NewtonOutcome:
    """Where a batched Newton run ended: ``y (B, m)``, ``residual (B,)`` = ``|F(y)|_2``, ``converged (B,)``
    (last step ``|dy| <= tol (1 + |y|)``) and the number of iterations taken."""

    y: torch.Tensor
    residual: torch.Tensor
    converged: torch.Tensor
    iterations: int


def damped_newton(fun: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]], y0: torch.Tensor, *,
                  tol: float = 1e-12, maxiter: int = 50, max_halvings: int = 30) -> NewtonOutcome:
    """Solve ``F(y) = 0`` for a batch ``y0 (B, m)`` by Newton's method with backtracking.

    ``fun(y)`` returns ``(F (B, m), dF/dy (B, m, m))`` (an exact or approximate Jacobian: with an approximate
    one the iteration converges linearly). Each row's step ``dy = -dF^{-1} F`` is halved until
    ``|F(y + s dy)| < (1 - 1e-4 s) |F(y)|`` (Armijo on the residual norm; Dennis & Schnabel, *Numerical Methods
    for Unconstrained Optimization*, 1983, §6.3) or ``max_halvings`` halvings are spent (then the shortest
    step is taken). A row stops when its full step satisfies ``|dy| <= tol (1 + |y|)``; the others go on.

    This is self-contained on purpose (one function, no state outside it) so that it can join a shared
    numerics module unchanged.

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
