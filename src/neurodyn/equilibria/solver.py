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
from dataclasses import dataclass, fields

import torch

from neurodyn.equilibria.anchors import Anchors

# Status codes of each start at the end of a solve.
# JOINED: chord steps with the Jacobian of a root another start already reached carry the start to that root;
# the start stops there and its iterate is replaced by that root (see ``SolveOptions.join_radius``).
ROOT, STATIONARY, MAXITER, DIVERGED, OUTSIDE, JOINED = 0, 1, 2, 3, 4, 5
STATUS_NAMES = {ROOT: "root", JOINED: "joined", STATIONARY: "stationary", MAXITER: "maxiter", DIVERGED: "diverged",
                OUTSIDE: "outside"}


@dataclass(frozen=True)
class Problem:
    """What is solved: ``fun_jac: x (b, n) -> (F (b, n), J (b, n, n))``, ``fun: x (b, n) -> F (b, n)``;
    ``residual: (x, F) -> (b,)`` the quantity compared with the tolerance (default ``|F|_2``; lets a deflated
    solve be stopped on the undeflated residual); ``inside: x (b, n) -> (b,)`` bool, the region a start's
    iterates must stay in (default everywhere)."""

    fun_jac: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    fun: Callable[[torch.Tensor], torch.Tensor]
    residual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    inside: Callable[[torch.Tensor], torch.Tensor] | None = None

    def size(self, x: torch.Tensor, F: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(F, dim=-1) if self.residual is None else self.residual(x, F)


@dataclass(frozen=True)
class SolveOptions:
    """Settings of :func:`solve`.

    Attributes:
        tol: a start is a root once ``Problem.residual(x, F) <= tol``.
        maxiter: iterations (accepted or rejected steps) per start, counted from its admission.
        radius0, max_radius: initial and largest trust radius (state units).
        gtol: stationary once ``|J^T F| <= gtol * max(1, |F|)`` where no Newton step exists; xtol: ... or
            once the trust radius falls below ``xtol * max(1, |x|)``; stall, stall_factor: ... or once ``q``
            (or its gradient) has not fallen below ``stall_factor`` times its value ``stall`` iterations ago,
            like MINPACK's "not making good progress" (Newton steps near a regular root reduce q by orders
            of magnitude per iteration, and by a factor 4 even at a double root).
        join_radius: a start that chord steps with the Jacobian of a root another start has reached carry
            within this distance of that root (see :class:`Anchors`: the steps must contract fast enough that
            Newton would converge there too) stops there (status JOINED, its ``x`` set to that root), before
            forming a Jacobian of its own: its own iterations would only repeat that start's convergence.
            0 switches this off.
        max_elements: Jacobian entries formed and factorised at once (default: 2^20, 8 MiB in float64, on the
            CPU, where chunks that stay in cache between forming, factorising and multiplying run about 1.5x
            faster than one big batch; 2^25 on accelerators, which want large batches).
        waves, wave_every, seed: with ``join_radius > 0``, admit the starts in waves (a seeded random order):
            ``waves`` of them first, then twice as many every ``wave_every`` iterations (at once when no start is
            left running). It is the same solve, only cheaper: a start that chord steps carry to a root an
            earlier wave reached joins it without (or after a few) linearisations of its own, where admitted
            together every start would converge in the same iterations as the first finder of its root, before
            any root is known. None admits all starts at once.
    """

    tol: float
    maxiter: int = 100
    radius0: float = 1.0
    max_radius: float = 1e3
    gtol: float = 1e-12
    xtol: float = 1e-14
    stall: int = 5
    stall_factor: float = 0.5
    join_radius: float = 0.0
    max_elements: int | None = None
    waves: int | None = None
    wave_every: int = 3
    seed: int = 0

    def __post_init__(self):
        if self.maxiter < 1 or (self.waves is not None and self.waves < 1):
            raise ValueError(f"maxiter ({self.maxiter}) and waves ({self.waves}) must be at least 1")


@dataclass
class Solution:
    """Final iterates of a batched solve: ``x (B, n)``, ``residual (B,)`` (``Problem.residual``),
    ``status (B,)`` (ROOT / JOINED / STATIONARY / MAXITER / DIVERGED / OUTSIDE), ``iterations`` (the most any
    start used) and ``jacobians`` (Jacobians formed, over all starts)."""

    x: torch.Tensor
    residual: torch.Tensor
    status: torch.Tensor
    iterations: int
    jacobians: int

    def select(self, rows: torch.Tensor) -> Solution:
        """The starts ``rows`` (indices or a boolean mask), with the same counters."""
        return Solution(self.x[rows], self.residual[rows], self.status[rows], self.iterations, self.jacobians)

    def update(self, rows: torch.Tensor, other: Solution) -> Solution:
        """This solution with the starts ``rows`` replaced by ``other`` (a solve of those starts again);
        the Jacobians of both are counted."""
        x, residual, status = self.x.clone(), self.residual.clone(), self.status.clone()
        x[rows], residual[rows], status[rows] = other.x, other.residual, other.status
        return Solution(x, residual, status, self.iterations, self.jacobians + other.jacobians)


@dataclass
class _Batch:
    """The working set of a solve, compacted as starts finish and extended as waves are admitted: per start its
    row in the outputs, the iterate, the linearisation cached there (F, Newton step, gradient ``J^T F``,
    ``J J^T F``, whether a Newton step exists), whether to linearise anew, trust radius, progress marks of q and
    its gradient, iterations since progress, status and iterations used."""

    ids: torch.Tensor
    x: torch.Tensor
    F: torch.Tensor
    pN: torch.Tensor
    g: torch.Tensor
    Jg: torch.Tensor
    ok: torch.Tensor
    fresh: torch.Tensor
    radius: torch.Tensor
    q_mark: torch.Tensor
    g_mark: torch.Tensor
    since: torch.Tensor
    status: torch.Tensor
    age: torch.Tensor

    @classmethod
    def admit(cls, x0: torch.Tensor, rows: torch.Tensor, radius0: float) -> _Batch:
        """Newly admitted starts ``rows`` of ``x0 (S, n)``."""
        m, n = len(rows), x0.shape[-1]
        zeros = x0.new_zeros(m, n)

        def full(value, dtype=x0.dtype):
            return torch.full((m,), value, dtype=dtype, device=x0.device)

        return cls(rows, x0[rows].clone(), zeros, zeros.clone(), zeros.clone(), zeros.clone(), full(False, torch.bool),
                   full(True, torch.bool), full(radius0), full(float("inf")), full(float("inf")),
                   full(0, torch.long), full(MAXITER, torch.long), full(0, torch.long))

    def select(self, mask: torch.Tensor) -> _Batch:
        return _Batch(*(getattr(self, f.name)[mask] for f in fields(self)))

    def concatenate(self, other: _Batch) -> _Batch:
        return _Batch(*(torch.cat([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))

    def alive(self, maxiter: int) -> torch.Tensor:
        return (self.status == MAXITER) & (self.age < maxiter)


@dataclass
class _Outputs:
    """Where finished starts are written: ``x (S, n)``, ``residual (S,)``, ``status (S,)``, and the counters."""

    x: torch.Tensor
    residual: torch.Tensor
    status: torch.Tensor
    iterations: int = 0
    jacobians: int = 0

    def store(self, batch: _Batch, problem: Problem) -> None:
        self.x[batch.ids], self.status[batch.ids] = batch.x, batch.status
        self.residual[batch.ids] = problem.size(batch.x, batch.F)


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


def solve(problem: Problem, x0: torch.Tensor, options: SolveOptions, *, known: torch.Tensor | None = None,
          on_finished: Callable[[int], None] | None = None) -> Solution:
    """Solve ``F(x) = 0`` from every row of ``x0 (S, n)`` (see the module's docstring and :class:`SolveOptions`).

    ``known (R, n)``: roots already reached (by an earlier solve) that starts may join (with
    ``options.join_radius > 0``). ``on_finished`` is called with the number of starts that just finished (for a
    progress bar).
    """
    opts = options
    max_elements = opts.max_elements or (1 << 20 if x0.device.type == "cpu" else 1 << 25)
    S = x0.shape[0]
    out = _Outputs(x0.clone(), torch.full((S,), float("inf"), dtype=x0.dtype, device=x0.device),
                   torch.full((S,), MAXITER, dtype=torch.long, device=x0.device))
    batch = _Batch.admit(x0, x0[:0, 0].long(), opts.radius0)
    if opts.waves is None or opts.join_radius <= 0:
        order, size = torch.arange(S, device=x0.device), S
    else:
        order, size = torch.randperm(S, generator=torch.Generator().manual_seed(opts.seed)).to(x0.device), opts.waves
    admitted, next_wave = 0, 0
    anchors = Anchors(problem.fun_jac, opts.join_radius, x0)  # roots reached so far, for join_radius
    if opts.join_radius > 0 and known is not None:
        out.jacobians += anchors.add(known.to(x0))
    for it in itertools.count():
        alive = batch.alive(opts.maxiter)
        if admitted < S and (it >= next_wave or not bool(alive.any())):
            rows = order[admitted:admitted + size]
            batch = batch.concatenate(_Batch.admit(x0, rows, opts.radius0))
            admitted, size, next_wave = admitted + len(rows), 2 * size, it + opts.wave_every
            alive = batch.alive(opts.maxiter)
        if not bool(alive.any()):
            break
        if int(alive.sum()) < 0.9 * len(batch.ids):  # compact the working set
            out.store(batch.select(~alive), problem)
            if on_finished is not None:
                on_finished(int((~alive).sum()))
            batch = batch.select(alive)
            alive = torch.ones_like(alive[alive])
        batch.age += alive
        out.iterations = max(out.iterations, int(batch.age.max()))
        out.jacobians += _join_or_linearise(batch, alive, problem, opts, anchors, max_elements)
        alive &= batch.status == MAXITER
        out.jacobians += _trust_region_step(batch, alive, problem, opts, anchors)
    out.store(batch, problem)
    if on_finished is not None:
        on_finished(len(batch.ids))
    return Solution(x=out.x, residual=out.residual, status=out.status, iterations=out.iterations,
                    jacobians=out.jacobians)


def _settle(batch: _Batch, idx: torch.Tensor, problem: Problem, opts: SolveOptions, anchors: Anchors) -> int:
    """Status of rows ``idx`` at their current point (where ``F`` is known): diverged, outside, or a root;
    new roots become anchors. Returns the Jacobians formed."""
    xi, Fi = batch.x[idx], batch.F[idx]
    fin = torch.isfinite(Fi).all(-1) & torch.isfinite(xi).all(-1)
    batch.status[idx[~fin]] = DIVERGED
    if problem.inside is not None:
        batch.status[idx[fin & ~problem.inside(xi)]] = OUTSIDE
    hit = fin & (problem.size(xi, Fi) <= opts.tol) & (batch.status[idx] == MAXITER)
    batch.status[idx[hit]] = ROOT
    if opts.join_radius > 0 and bool(hit.any()):
        return anchors.add(xi[hit])
    return 0


def _join_or_linearise(batch: _Batch, alive: torch.Tensor, problem: Problem, opts: SolveOptions,
                       anchors: Anchors, max_elements: int) -> int:
    """Starts that moved (or are new) join a known root by chord steps, or are linearised at their point.
    Returns the Jacobians formed."""
    jacobians = 0
    need = torch.nonzero(batch.fresh & alive).flatten()
    if len(need) and len(anchors):  # joins by chord steps, before forming a Jacobian
        hit, at = anchors.join(problem.fun, batch.x[need])
        joined = need[hit]
        batch.status[joined], batch.x[joined], batch.fresh[joined] = JOINED, anchors.x[at[hit]], False
        batch.F[joined] = problem.fun(batch.x[joined])  # the residual reported is the root's
        need = need[~hit]
    if len(need):
        jacobians += len(need)
        batch.F[need], batch.pN[need], batch.g[need], batch.Jg[need], batch.ok[need] = _linearise(
            problem.fun_jac, batch.x[need], max_elements)
        batch.fresh[need] = False
        start = need[batch.age[need] == 1]  # the others were settled when the step to their point was accepted
        jacobians += _settle(batch, start, problem, opts, anchors)
        # a local minimum of q with F != 0 has a singular J; where Newton still works, keep going (a
        # degenerate root is approached linearly with a gradient that vanishes faster than F)
        gn = torch.linalg.vector_norm(batch.g[need], dim=-1)
        flat = (gn <= opts.gtol * torch.linalg.vector_norm(batch.F[need], dim=-1).clamp_min(1)) & ~batch.ok[need]
        batch.status[need[flat & (batch.status[need] == MAXITER)]] = STATIONARY
    return jacobians


def _trust_region_step(batch: _Batch, alive: torch.Tensor, problem: Problem, opts: SolveOptions,
                       anchors: Anchors) -> int:
    """One dogleg step of every live start: accept or reject it, update the trust radius, progress marks and
    status. Returns the Jacobians formed (for new anchors)."""
    p, predicted = _dogleg(batch.F, batch.pN, batch.ok, batch.g, batch.Jg, batch.radius)
    p = torch.where(alive.unsqueeze(-1), p, torch.zeros_like(p))
    x_new = batch.x + p
    F_new = problem.fun(x_new)
    q_old, q_new = 0.5 * (batch.F * batch.F).sum(-1), 0.5 * (F_new * F_new).sum(-1)
    finite = torch.isfinite(F_new).all(-1)
    rho = (q_old - q_new) / predicted.clamp_min(torch.finfo(batch.x.dtype).tiny)
    accept = alive & finite & (rho > 1e-4) & (q_new < q_old)
    batch.x = torch.where(accept.unsqueeze(-1), x_new, batch.x)
    batch.F = torch.where(accept.unsqueeze(-1), F_new, batch.F)
    batch.fresh |= accept
    jacobians = _settle(batch, torch.nonzero(accept).flatten(), problem, opts, anchors)
    pn, radius = torch.linalg.vector_norm(p, dim=-1), batch.radius
    r = torch.where(rho < 0.25, 0.25 * pn, radius)
    r = torch.where((rho > 0.75) & (pn >= 0.99 * radius), torch.clamp(2 * radius, max=opts.max_radius), r)
    r = torch.where(finite, r, 0.25 * pn)
    batch.radius = torch.where(alive, r, radius)
    # progress: q or the gradient of q (at the last linearisation) fell by stall_factor; the gradient
    # keeps falling while a start homes in on a slow point, where q itself levels off
    q_now = torch.where(accept, q_new, q_old)
    g_now = torch.linalg.vector_norm(batch.g, dim=-1)
    progress = (q_now < opts.stall_factor * batch.q_mark) | (g_now < opts.stall_factor * batch.g_mark)
    batch.q_mark = torch.where(progress, q_now, batch.q_mark)
    batch.g_mark = torch.where(progress, g_now, batch.g_mark)
    batch.since = torch.where(progress, torch.zeros_like(batch.since), batch.since + 1)
    small = batch.radius < opts.xtol * torch.linalg.vector_norm(batch.x, dim=-1).clamp_min(1)
    stop = (small & ~accept) | (batch.since >= opts.stall)
    batch.status[alive & (batch.status == MAXITER) & stop] = STATIONARY
    return jacobians


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
