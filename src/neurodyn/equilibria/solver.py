"""A batched trust-region dogleg solver for ``F(x) = 0`` from many starts at once.

Powell's hybrid (dogleg) method, as in MINPACK's ``hybrj`` (Moré, Garbow & Hillstrom 1980; Nocedal &
Wright, *Numerical Optimization*, 2nd ed., §11.2): each start takes a step that blends the Newton step
``-J^{-1} F`` and the Cauchy (steepest-descent) step on ``q = |F|^2 / 2`` within its own trust radius.
Near a regular root it is Newton's method (quadratic convergence); far from one, or where ``J`` is singular,
it descends ``q``, so starts that find no root end at local minima of ``q``: the slow points.

Written here rather than taken from scipy because scipy's ``root`` solves one system at a time; this
solves thousands of starts in one batched linear-algebra call per iteration. A rejected step shrinks the
radius and reuses the cached Newton and Cauchy steps, so the Jacobian is formed (and factorised) only at
accepted points, only for starts still running, and in chunks that bound memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

# Status codes of each start at the end of a solve.
ROOT, STATIONARY, MAXITER, DIVERGED = 0, 1, 2, 3
STATUS_NAMES = {ROOT: "root", STATIONARY: "stationary", MAXITER: "maxiter", DIVERGED: "diverged"}


@dataclass
class Solution:
    """Final iterates of a batched solve: ``x (B, n)``, ``residual |F(x)| (B,)``, ``grad_norm |J^T F| (B,)``,
    ``status (B,)`` (ROOT / STATIONARY / MAXITER / DIVERGED) and ``iterations`` (the most any start used)."""

    x: torch.Tensor
    residual: torch.Tensor
    grad_norm: torch.Tensor
    status: torch.Tensor
    iterations: int


def _chunks(n_rows: int, dim: int, max_elements: int = 1 << 25):
    """Row chunks such that a ``(rows, dim, dim)`` Jacobian stays under ``max_elements`` (256 MiB float64)."""
    step = max(1, max_elements // max(dim * dim, 1))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _linearise(fun_jac: Callable, x: torch.Tensor):
    """Newton step, gradient of q and J @ gradient at ``x (B, n)``; chunked to bound memory."""
    F_all, pN_all, g_all, Jg_all, ok_all = [], [], [], [], []
    for sl in _chunks(x.shape[0], x.shape[1]):
        F, J = fun_jac(x[sl])
        g = (J.transpose(-1, -2) @ F.unsqueeze(-1)).squeeze(-1)
        Jg = (J @ g.unsqueeze(-1)).squeeze(-1)
        sol, info = torch.linalg.solve_ex(J, -F)
        ok = (info == 0) & torch.isfinite(sol).all(-1)
        # an ill-conditioned J gives a finite but meaningless Newton step: check it reduces the linear model
        lin = torch.linalg.vector_norm((J @ sol.unsqueeze(-1)).squeeze(-1) + F, dim=-1)
        ok &= lin <= 1e-6 * torch.linalg.vector_norm(F, dim=-1) + 1e-300
        F_all.append(F)
        pN_all.append(torch.where(ok.unsqueeze(-1), sol, torch.zeros_like(sol)))
        g_all.append(g)
        Jg_all.append(Jg)
        ok_all.append(ok)
    return tuple(torch.cat(t) for t in (F_all, pN_all, g_all, Jg_all, ok_all))


def _dogleg(F, pN, ok, g, Jg, radius):
    """Dogleg step ``p`` with ``|p| <= radius`` and the model's predicted reduction of ``q``."""
    gg = (g * g).sum(-1)
    JgJg = (Jg * Jg).sum(-1)
    tiny = torch.finfo(F.dtype).tiny
    alpha = gg / JgJg.clamp_min(tiny)  # Cauchy step pC = -alpha g minimises the model along -g
    pC = -alpha.unsqueeze(-1) * g
    nN = torch.linalg.vector_norm(pN, dim=-1)
    nC = torch.linalg.vector_norm(pC, dim=-1)
    # coefficients of p = a * pC + b * pN
    use_newton = ok & (nN <= radius)
    sd = (~use_newton) & ((nC >= radius) | ~ok)  # steepest descent, truncated to the radius if needed
    a = torch.where(sd, torch.minimum(torch.ones_like(nC), radius / nC.clamp_min(tiny)), torch.zeros_like(nC))
    b = torch.where(use_newton, torch.ones_like(nN), torch.zeros_like(nN))
    # on the dogleg segment pC + tau (pN - pC), |p| = radius
    seg = ~(use_newton | sd)
    d = pN - pC
    dd = (d * d).sum(-1)
    cd = (pC * d).sum(-1)
    disc = (cd * cd + dd * (radius * radius - nC * nC)).clamp_min(0)
    tau = ((-cd + disc.sqrt()) / dd.clamp_min(tiny)).clamp(0, 1)
    a = torch.where(seg, 1 - tau, a)
    b = torch.where(seg, tau, b)
    p = a.unsqueeze(-1) * pC + b.unsqueeze(-1) * pN
    # J p = a J pC + b J pN = -a alpha J g - b F  (J pN = -F for a successful Newton solve)
    Jp = -(a * alpha).unsqueeze(-1) * Jg - b.unsqueeze(-1) * F
    r = F + Jp
    predicted = 0.5 * ((F * F).sum(-1) - (r * r).sum(-1))
    return p, predicted


def solve(
    fun_jac: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    fun: Callable[[torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    *,
    tol: float,
    maxiter: int = 100,
    radius0: float = 1.0,
    max_radius: float = 1e3,
    gtol: float = 1e-12,
    xtol: float = 1e-14,
    residual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    on_iteration: Callable[[int], None] | None = None,
) -> Solution:
    """Solve ``F(x) = 0`` from every row of ``x0 (B, n)``.

    Args:
        fun_jac: ``x (b, n) -> (F (b, n), J (b, n, n))``.
        fun: ``x (b, n) -> F (b, n)``.
        tol: a start is a root once ``residual(x, F) <= tol`` (default residual: ``|F|_2``).
        maxiter: iterations (accepted or rejected steps) per start.
        radius0, max_radius: initial and largest trust radius (state units).
        gtol: stationary once ``|J^T F| <= gtol * max(1, |F|)`` where no Newton step exists; xtol: ... or
            the trust radius falls below
            ``xtol * max(1, |x|)``.
        residual: ``(x, F) -> (b,)`` the quantity compared with ``tol`` (lets a deflated solve be
            stopped on the undeflated residual).
    """
    residual = residual or (lambda x, F: torch.linalg.vector_norm(F, dim=-1))
    B, n = x0.shape
    x = x0.clone()
    status = torch.full((B,), MAXITER, dtype=torch.long, device=x.device)
    res = torch.full((B,), float("inf"), dtype=x.dtype, device=x.device)
    gnorm = torch.full((B,), float("inf"), dtype=x.dtype, device=x.device)
    radius = torch.full((B,), radius0, dtype=x.dtype, device=x.device)
    # cached linearisation of the active starts at their current iterate
    active = torch.arange(B, device=x.device)
    stale = torch.ones(B, dtype=torch.bool, device=x.device)  # needs a new Jacobian
    cache = {k: torch.zeros(B, n, dtype=x.dtype, device=x.device) for k in ("F", "pN", "g", "Jg")}
    cache_ok = torch.zeros(B, dtype=torch.bool, device=x.device)
    iterations = 0
    for it in range(maxiter):
        if len(active) == 0:
            break
        iterations = it + 1
        need = active[stale[active]]
        if len(need):
            F, pN, g, Jg, ok = _linearise(fun_jac, x[need])
            for key, val in (("F", F), ("pN", pN), ("g", g), ("Jg", Jg)):
                cache[key][need] = val
            cache_ok[need] = ok
            stale[need] = False
            res[need] = residual(x[need], F)
            gnorm[need] = torch.linalg.vector_norm(g, dim=-1)
            fin = torch.isfinite(F).all(-1) & torch.isfinite(x[need]).all(-1)
            status[need[~fin]] = DIVERGED
            status[need[fin & (res[need] <= tol)]] = ROOT
            Fn = torch.linalg.vector_norm(F, dim=-1)
            # a local minimum of q with F != 0 has a singular J; where Newton still works, keep going (a
            # degenerate root is approached linearly with a gradient that vanishes faster than F)
            flat = fin & (res[need] > tol) & (gnorm[need] <= gtol * Fn.clamp_min(1)) & ~ok
            status[need[flat]] = STATIONARY
            active = active[status[active] == MAXITER]
            if len(active) == 0:
                break
        F, pN, g, Jg = (cache[k][active] for k in ("F", "pN", "g", "Jg"))
        p, predicted = _dogleg(F, pN, cache_ok[active], g, Jg, radius[active])
        x_new = x[active] + p
        F_new = fun(x_new)
        q_old = 0.5 * (F * F).sum(-1)
        q_new = 0.5 * (F_new * F_new).sum(-1)
        rho = (q_old - q_new) / predicted.clamp_min(torch.finfo(x.dtype).tiny)
        accept = torch.isfinite(q_new) & (rho > 1e-4) & (q_new < q_old)
        pn = torch.linalg.vector_norm(p, dim=-1)
        r = radius[active]
        r = torch.where(rho < 0.25, 0.25 * pn, r)
        r = torch.where((rho > 0.75) & (pn >= 0.99 * r), torch.clamp(2 * r, max=max_radius), r)
        r = torch.where(torch.isfinite(q_new), r, 0.25 * pn)
        radius[active] = r
        acc = active[accept]
        x[acc] = x_new[accept]
        stale[acc] = True
        small = r < xtol * torch.linalg.vector_norm(x[active], dim=-1).clamp_min(1)
        status[active[small & ~accept]] = STATIONARY
        active = active[status[active] == MAXITER]
        if on_iteration is not None:
            on_iteration(it)
    # final residuals of starts whose last accepted point was not linearised yet
    need = torch.nonzero(stale & (status == MAXITER)).flatten()
    if len(need):
        F = fun(x[need])
        res[need] = residual(x[need], F)
        status[need[res[need] <= tol]] = ROOT
    return Solution(x=x, residual=res, grad_norm=gnorm, status=status, iterations=iterations)
