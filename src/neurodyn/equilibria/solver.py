"""A batched trust-region dogleg solver for ``F(x) = 0`` from many starts at once.

Powell's hybrid (dogleg) method, as in MINPACK's ``hybrj`` (Moré, Garbow & Hillstrom 1980; Nocedal &
Wright, *Numerical Optimization*, 2nd ed., §11.2): each start takes a step that blends the Newton step
``-J^{-1} F`` and the Cauchy (steepest-descent) step on ``q = |F|^2 / 2`` within its own trust radius.
Near a regular root it is Newton's method; far from one, or where ``J`` is singular, it descends ``q``, so
starts that find no root end at (or creep towards) local minima of ``q``: the slow points.

Written here rather than taken from scipy because scipy's ``root`` solves one system at a time; this
advances thousands of starts per batched call and compacts its arrays as starts finish. The Jacobian is
evaluated and factorised only at accepted points (a rejected step shrinks the radius and reuses the
cached Newton and Cauchy steps), in chunks that bound memory, and not at all for a start that chord steps
with the Jacobian of a root another start reached carry to that root. (Broyden's secant updates, which ``hybrj``
uses between Jacobians, were tried and converge far more slowly on trained recurrent networks, whose
Jacobians are nearly singular along saturated units.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch

# Status codes of each start at the end of a solve.
# JOINED: chord steps with the Jacobian of a root another start already reached carry the start to that root;
# the start stops there and its iterate is replaced by that root (see ``join_radius``).
ROOT, STATIONARY, MAXITER, DIVERGED, OUTSIDE, JOINED = 0, 1, 2, 3, 4, 5
STATUS_NAMES = {ROOT: "root", JOINED: "joined", STATIONARY: "stationary", MAXITER: "maxiter", DIVERGED: "diverged",
                OUTSIDE: "outside"}


@dataclass
class Solution:
    """Final iterates of a batched solve: ``x (B, n)``, ``residual (B,)`` (``|F(x)|`` unless a residual
    function was given), ``status (B,)`` (ROOT / STATIONARY / MAXITER / DIVERGED / OUTSIDE),
    ``iterations`` (the most any start used) and ``jacobians`` (Jacobians formed, over all starts)."""

    x: torch.Tensor
    residual: torch.Tensor
    status: torch.Tensor
    iterations: int
    jacobians: int


class _Anchors:
    """Distinct roots reached so far, with the inverses of their Jacobians, for joins by chord steps.

    Before a start's Jacobian is formed, the chord (simplified Newton) iteration ``y <- y - J(r)^-1 F(y)``
    with the nearest anchor ``r``'s Jacobian is tried from it: a residual and a matrix-vector product per
    step, against a Jacobian and its factorisation per Newton step. The start joins ``r`` once an iterate
    lands within the join radius of ``r`` (after two steps at least, see :meth:`join`), provided every step
    was at most ``contraction`` times the one before and ``|F|`` fell at every iterate. The ratio of
    successive chord steps estimates
    ``|I - J(r)^-1 J(y)|`` along the way (an estimate on the path, not a bound over a region); where it is 0.1
    or less, ``J(y)`` is usually so close to ``J(r)`` that Newton's own steps from ``y`` would converge to
    ``r`` too. Not always: on small tanh maps about 0.3% of the starts that joined would have reached another
    root by Newton (a root other starts found as well, in every test: no point was lost). Looser contraction,
    0.25 or more, let a start that Newton takes to an unknown saddle join a nearby attractor in tests on
    trained GRUs. Trained recurrent networks' starts mostly lie in the basins of a few attracting points,
    which the chord steps reach in 3-6 steps.
    """

    def __init__(self, fun_jac: Callable, radius: float, like: torch.Tensor, *, max_steps: int = 10,
                 contraction: float = 0.1, max_elements: int = 1 << 25):
        self.fun_jac, self.radius, self.max_steps, self.contraction = fun_jac, radius, max_steps, contraction
        n = like.shape[-1]
        self.x, self.inv = like.new_zeros(0, n), []  # inv[i]: J(x[i])^-1, or None (singular, or over budget)
        self.usable = torch.zeros(0, dtype=torch.bool, device=like.device)
        self.budget = max(0, max_elements // (n * n))  # inverses kept (256 MiB of them in float64 by default)

    def __len__(self):
        return len(self.x)

    def add(self, points: torch.Tensor) -> int:
        """Adds the points farther than the radius from every anchor, while the budget of inverses lasts;
        returns the Jacobians formed."""
        points = points[torch.isfinite(points).all(-1)]
        if len(self.x) and len(points):
            points = points[torch.cdist(points, self.x).min(-1).values > self.radius]
        new = []
        for p in points:  # the few roots reached since the last call that are new, one by one
            if not new or float(torch.cdist(p[None], torch.cat(new)).min()) > self.radius:
                new.append(p[None])
        new = new[:self.budget - len(self.inv)]  # past the budget, points are not anchors
        if not new:
            return 0
        _, J = self.fun_jac(torch.cat(new))
        inv, info = torch.linalg.inv_ex(J)
        usable = (info == 0) & torch.isfinite(inv).flatten(1).all(-1)  # singular: never a chord target
        self.x, self.usable = torch.cat([self.x, *new]), torch.cat([self.usable, usable])
        self.inv.extend(m if ok else None for m, ok in zip(inv, usable.tolist(), strict=True))
        return len(new)

    def join(self, fun: Callable, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Which rows of ``x (b, n)`` the chord iteration carries to their nearest anchor, and that anchor.

        A row already within the radius of its anchor joins at once. Otherwise it joins when the iterate of its
        second or a later step lands within the radius, every step but the first was at most ``contraction``
        times the one before (the first ratio compares the steps from the start and from the first iterate:
        a landing in one step is no evidence of contraction around the start), and ``|F|`` fell at every
        iterate, the landing one included."""
        target = torch.cdist(x, self.x).argmin(-1)
        near = torch.linalg.vector_norm(x - self.x[target], dim=-1) <= self.radius
        joined = near.clone()
        active = self.usable[target] & ~near
        landed = torch.zeros_like(active)  # landing within the radius, to be confirmed by |F| falling there
        y = x.clone()
        last_step = torch.full((len(x),), float("inf"), dtype=x.dtype, device=x.device)
        last_F = last_step.clone()
        for k in range(self.max_steps + 1):
            rows = torch.nonzero(active).flatten()
            if len(rows) == 0:
                break
            size_F = torch.linalg.vector_norm(F := fun(y[rows]), dim=-1)
            falls = size_F < last_F[rows]
            last_F[rows] = size_F
            joined[rows[falls & landed[rows]]] = True
            active[rows[~falls | landed[rows]]] = False
            going = falls & ~landed[rows]
            rows, F = rows[going], F[going]
            if k == self.max_steps:
                active[rows] = False
                break
            step = torch.empty_like(F)
            for a in torch.unique(target[rows]).tolist():  # one product per anchor
                mine = target[rows] == a
                step[mine] = -F[mine] @ self.inv[a].T
            y[rows] += step
            size = torch.linalg.vector_norm(step, dim=-1)
            ok = torch.isfinite(size) & (size <= self.contraction * last_step[rows])
            arrived = torch.linalg.vector_norm(y[rows] - self.x[target[rows]], dim=-1) <= self.radius
            first = torch.isinf(last_step[rows])
            landed[rows[ok & arrived & ~first]] = True
            active[rows[~ok | (arrived & first)]] = False
            last_step[rows] = size
        return joined, target


def _linearise(fun_jac: Callable, x: torch.Tensor, max_elements: int):
    """``F``, Newton step (zero where none exists), gradient of q ``J^T F`` and ``J J^T F`` at ``x (b, n)``,
    in chunks of at most ``max_elements`` Jacobian entries."""
    b, n = x.shape
    rows = max(1, max_elements // (n * n))
    parts = []
    for i in range(0, b, rows):
        F, J = fun_jac(x[i:i + rows])
        sol, info = torch.linalg.solve_ex(J, -F)
        g = (F.unsqueeze(-2) @ J).squeeze(-2)  # J^T F, reading J row by row
        Jsol, Jg = (J @ torch.stack([sol, g], -1)).unbind(-1)  # one more pass over J for both products
        ok = (info == 0) & torch.isfinite(sol).all(-1)
        # an ill-conditioned J gives a finite but meaningless Newton step: check that it solves J p = -F
        ok &= torch.linalg.vector_norm(Jsol + F, dim=-1) <= 1e-6 * torch.linalg.vector_norm(F, dim=-1)
        parts.append((F, torch.where(ok.unsqueeze(-1), sol, torch.zeros_like(sol)), g, Jg, ok))
    return tuple(torch.cat(t) for t in zip(*parts, strict=True))


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
    stall: int = 5,
    residual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    inside: Callable[[torch.Tensor], torch.Tensor] | None = None,
    stall_factor: float = 0.5,
    join_radius: float = 0.0,
    on_finished: Callable[[int], None] | None = None,
    max_elements: int | None = None,
    known: torch.Tensor | None = None,
    waves: int | None = None,
    wave_every: int = 3,
    seed: int = 0,
) -> Solution:
    """Solve ``F(x) = 0`` from every row of ``x0 (S, n)``.

    Args:
        fun_jac: ``x (b, n) -> (F (b, n), J (b, n, n))``.
        fun: ``x (b, n) -> F (b, n)``.
        tol: a start is a root once ``residual(x, F) <= tol`` (default residual: ``|F|_2``).
        maxiter: iterations (accepted or rejected steps) per start.
        radius0, max_radius: initial and largest trust radius (state units).
        gtol: stationary once ``|J^T F| <= gtol * max(1, |F|)`` where no Newton step exists; xtol: ... or
            once the trust radius falls below ``xtol * max(1, |x|)``; stall, stall_factor: ... or once ``q``
            (or its gradient) has not fallen below ``stall_factor`` times its value ``stall`` iterations ago,
            like MINPACK's "not making good progress" (Newton steps near a regular root reduce q by orders
            of magnitude per iteration, and by a factor 4 even at a double root).
        residual: ``(x, F) -> (b,)`` the quantity compared with ``tol`` (lets a deflated solve be
            stopped on the undeflated residual).
        inside: ``x (b, n) -> (b,)`` bool; a start whose iterate leaves this region is stopped (OUTSIDE).
        join_radius: a start that chord steps with the Jacobian of a root another start has reached carry
            within this distance of that root (see ``_Anchors``: the steps must contract fast enough that
            Newton would converge there too) stops there (status JOINED, its ``x`` set to that root), before
            forming a Jacobian of its own: its own iterations would only repeat that start's convergence.
            0 switches this off.
        on_finished: called with the number of starts that just finished (for a progress bar).
        max_elements: Jacobian entries formed and factorised at once (default: 2^20, 8 MiB in float64, on the
            CPU, where chunks that stay in cache between forming, factorising and multiplying run about 1.5x
            faster than one big batch; 2^25 on accelerators, which want large batches).
        known: ``(R, n)`` roots already reached (by an earlier solve) that starts may join.
        waves, wave_every, seed: with ``join_radius > 0``, admit the starts in waves (a seeded random order):
            ``waves`` of them first, then twice as many every ``wave_every`` iterations (at once when no start is
            left running). It is the same solve, only cheaper: a start that chord steps carry to a root an
            earlier wave reached joins it without (or after a few) linearisations of its own, where admitted
            together every start would converge in the same iterations as the first finder of its root, before
            any root is known.
            Each start gets ``maxiter`` iterations from its admission. None admits all starts at once.
    """
    residual = residual or (lambda x, F: torch.linalg.vector_norm(F, dim=-1))
    if maxiter < 1 or (waves is not None and waves < 1):
        raise ValueError(f"maxiter ({maxiter}) and waves ({waves}) must be at least 1")
    if max_elements is None:
        max_elements = 1 << 20 if x0.device.type == "cpu" else 1 << 25
    S, n = x0.shape
    dev, dt = x0.device, x0.dtype
    tiny = torch.finfo(dt).tiny
    out_x, out_res = x0.clone(), torch.full((S,), float("inf"), dtype=dt, device=dev)
    out_status = torch.full((S,), MAXITER, dtype=torch.long, device=dev)

    def fresh_rows(rows):
        """Solver state of newly admitted starts ``rows``: ids into the outputs, the iterate, the linearisation
        cached at it (F, Newton step, gradient, J @ gradient, Newton step exists), whether to linearise, trust
        radius, progress marks of q and its gradient, iterations since progress, status and iterations used."""
        m = len(rows)
        zeros = x0.new_zeros(m, n)

        def full(value, dtype=dt):
            return torch.full((m,), value, dtype=dtype, device=dev)

        return (rows, x0[rows].clone(), zeros, zeros.clone(), zeros.clone(), zeros.clone(),
                full(False, torch.bool), full(True, torch.bool), full(radius0), full(float("inf")),
                full(float("inf")), full(0, torch.long), full(MAXITER, torch.long), full(0, torch.long))

    # the working set, compacted as starts finish and extended as waves are admitted
    ids, x, F, pN, g, Jg, ok, fresh, radius, q_mark, g_mark, since, status, age = fresh_rows(x0[:0, 0].long())
    if waves is None or join_radius <= 0:
        order, size = torch.arange(S, device=dev), S
    else:
        order, size = torch.randperm(S, generator=torch.Generator().manual_seed(seed)).to(dev), waves
    admitted, next_wave = 0, 0
    iterations = jacobians = 0
    anchors = _Anchors(fun_jac, join_radius, x0)  # roots reached so far, for join_radius
    if join_radius > 0 and known is not None:
        jacobians += anchors.add(known.to(x0))

    def settle(idx, xi, Fi):
        """Status of rows ``idx`` at a point where ``F`` is known: diverged, outside, or a root."""
        nonlocal jacobians
        fin = torch.isfinite(Fi).all(-1) & torch.isfinite(xi).all(-1)
        status[idx[~fin]] = DIVERGED
        if inside is not None:
            status[idx[fin & ~inside(xi)]] = OUTSIDE
        hit = fin & (residual(xi, Fi) <= tol) & (status[idx] == MAXITER)
        status[idx[hit]] = ROOT
        if join_radius > 0 and bool(hit.any()):
            jacobians += anchors.add(xi[hit])

    for it in itertools.count():
        alive = (status == MAXITER) & (age < maxiter)
        if admitted < S and (it >= next_wave or not bool(alive.any())):
            rows = order[admitted:admitted + size]
            ids, x, F, pN, g, Jg, ok, fresh, radius, q_mark, g_mark, since, status, age = (
                torch.cat(pair) for pair in zip((ids, x, F, pN, g, Jg, ok, fresh, radius, q_mark, g_mark, since,
                                                 status, age), fresh_rows(rows), strict=True))
            admitted, size, next_wave = admitted + len(rows), 2 * size, it + wave_every
            alive = (status == MAXITER) & (age < maxiter)
        if not bool(alive.any()):
            break
        if int(alive.sum()) < 0.9 * len(ids):  # compact the working set
            done = ~alive
            out_x[ids[done]], out_status[ids[done]] = x[done], status[done]
            out_res[ids[done]] = residual(x[done], F[done])
            if on_finished is not None:
                on_finished(int(done.sum()))
            ids, x, F, pN, g, Jg, ok, fresh, radius, q_mark, g_mark, since, status, age = (
                t[alive] for t in (ids, x, F, pN, g, Jg, ok, fresh, radius, q_mark, g_mark, since, status, age))
            alive = torch.ones_like(alive[alive])
        age += alive
        iterations = max(iterations, int(age.max()))
        need = torch.nonzero(fresh & alive).flatten()
        if len(need) and len(anchors):  # joins by chord steps, before forming a Jacobian
            hit, at = anchors.join(fun, x[need])
            joined = need[hit]
            status[joined], x[joined], fresh[joined] = JOINED, anchors.x[at[hit]], False
            F[joined] = fun(x[joined])  # the residual reported is the root's
            need = need[~hit]
            alive &= status == MAXITER
        if len(need):
            jacobians += len(need)
            F[need], pN[need], g[need], Jg[need], ok[need] = _linearise(fun_jac, x[need], max_elements)
            fresh[need] = False
            start = need[age[need] == 1]  # the others were settled when the step to their point was accepted
            settle(start, x[start], F[start])
            # a local minimum of q with F != 0 has a singular J; where Newton still works, keep going (a
            # degenerate root is approached linearly with a gradient that vanishes faster than F)
            gn = torch.linalg.vector_norm(g[need], dim=-1)
            flat = (gn <= gtol * torch.linalg.vector_norm(F[need], dim=-1).clamp_min(1)) & ~ok[need]
            status[need[flat & (status[need] == MAXITER)]] = STATIONARY
            alive &= status == MAXITER
        p, predicted = _dogleg(F, pN, ok, g, Jg, radius)
        p = torch.where(alive.unsqueeze(-1), p, torch.zeros_like(p))
        x_new = x + p
        F_new = fun(x_new)
        q_old, q_new = 0.5 * (F * F).sum(-1), 0.5 * (F_new * F_new).sum(-1)
        finite = torch.isfinite(F_new).all(-1)
        rho = (q_old - q_new) / predicted.clamp_min(tiny)
        accept = alive & finite & (rho > 1e-4) & (q_new < q_old)
        x = torch.where(accept.unsqueeze(-1), x_new, x)
        F = torch.where(accept.unsqueeze(-1), F_new, F)
        fresh |= accept
        acc = torch.nonzero(accept).flatten()
        settle(acc, x[acc], F[acc])
        pn = torch.linalg.vector_norm(p, dim=-1)
        r = torch.where(rho < 0.25, 0.25 * pn, radius)
        r = torch.where((rho > 0.75) & (pn >= 0.99 * radius), torch.clamp(2 * radius, max=max_radius), r)
        r = torch.where(finite, r, 0.25 * pn)
        radius = torch.where(alive, r, radius)
        # progress: q or the gradient of q (at the last linearisation) fell by stall_factor; the gradient
        # keeps falling while a start homes in on a slow point, where q itself levels off
        q_now = torch.where(accept, q_new, q_old)
        g_now = torch.linalg.vector_norm(g, dim=-1)
        progress = (q_now < stall_factor * q_mark) | (g_now < stall_factor * g_mark)
        q_mark = torch.where(progress, q_now, q_mark)
        g_mark = torch.where(progress, g_now, g_mark)
        since = torch.where(progress, torch.zeros_like(since), since + 1)
        small = radius < xtol * torch.linalg.vector_norm(x, dim=-1).clamp_min(1)
        status[alive & (status == MAXITER) & ((small & ~accept) | (since >= stall))] = STATIONARY
    out_x[ids], out_status[ids] = x, status
    out_res[ids] = residual(x, F)
    if on_finished is not None:
        on_finished(len(ids))
    return Solution(x=out_x, residual=out_res, status=out_status, iterations=iterations, jacobians=jacobians)


def polish(fun_jac: Callable, x: torch.Tensor, *, maxiter: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain Newton steps on roots ``x (P, n)`` for as long as the step keeps shrinking.

    At a regular root this changes nothing measurable; at a degenerate one (a double root, a pitchfork's
    triple root), where ``|F| <= tol`` pins ``x`` only to ``tol^(1/2)`` or ``tol^(1/3)`` and Newton converges
    linearly, it walks the point on towards the root. Returns the best points and their last Newton
    steps ``(P, n)``, an estimate of the remaining error (zero where ``J`` is singular).
    """
    x = x.clone()
    step = torch.zeros_like(x)
    last = torch.full(x.shape[:1], float("inf"), dtype=x.dtype, device=x.device)
    active = torch.arange(len(x), device=x.device)
    for _ in range(maxiter):
        if len(active) == 0:
            break
        F, J = fun_jac(x[active])
        p, info = torch.linalg.solve_ex(J, -F)
        norm = torch.linalg.vector_norm(p, dim=-1)
        ok = (info == 0) & torch.isfinite(norm) & (norm < last[active])
        step[active] = torch.where(ok.unsqueeze(-1), p, torch.zeros_like(p))
        tiny = norm <= 1e-15 * torch.linalg.vector_norm(x[active], dim=-1).clamp_min(1e-300)
        x[active[ok]] += p[ok]
        last[active] = torch.where(ok, norm, last[active])
        active = active[ok & ~tiny]
    return x, step
