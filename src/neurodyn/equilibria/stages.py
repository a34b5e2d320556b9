"""The stages a wave of starts goes through: solve, then deflate, merging the roots reached into the known ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn.equilibria import solver
from neurodyn.equilibria.residual import Deflated, Residual
from neurodyn.equilibria.roots import Roots
from neurodyn.equilibria.settings import SearchSettings
from neurodyn.equilibria.solver import Problem, Solution, SolveOptions

# Starts that chord steps carry within JOIN * (state scale) of a root already reached stop there.
JOIN = 1e-4
# ... and are admitted in waves, WAVE of them first (see solver.solve)
WAVE = 64
# A solve on a system's reduced residual only has to find roots: the starts it gives up on go again on F,
# whose minima of q are the slow points. So it gives up after 3 iterations without progress, not 5 (on the
# N = 128 flip-flop GRU of bench/fixed_points.py, 549 Jacobians instead of 912 for its 49 starts that find
# no root, 9% of all; the same roots and slow points are found).
REDUCED_STALL = 3


@dataclass(frozen=True)
class Search:
    """What every stage of one search shares: the residual ``F``, the settings, the state ``scale`` (RMS norm of
    the sampled states and starts) and the region the iterates must stay in (``inside``). ``hunting``: the
    solves only look for new roots (the waves after the first, whose slow points are not collected), so a
    start gives up after ``REDUCED_STALL`` iterations without progress."""

    F: Residual
    settings: SearchSettings
    scale: float
    inside: Callable[[torch.Tensor], torch.Tensor]
    hunting: bool = False
    counts: Callable[[torch.Tensor], torch.Tensor] | None = None  # which new roots count as new (None: all)

    @property
    def options(self) -> SolveOptions:
        """The solve options every solve shares."""
        return SolveOptions(tol=self.settings.tol, maxiter=self.settings.maxiter, radius0=self.scale,
                            max_radius=1e3 * self.scale, stall=REDUCED_STALL if self.hunting else SolveOptions.stall)

    @property
    def full(self) -> Problem:
        return Problem(self.F.with_jacobian, self.F, inside=self.inside)

    @property
    def merge_radius(self) -> float:
        return self.settings.dedup_tol * self.scale


@dataclass(frozen=True)
class Wave:
    """One wave of starts through the stages: the plain solve of its starts (``first``; roots joined count as
    roots), every solve run (``runs``, the first included), the known roots after it and how many are new."""

    first: Solution
    runs: list[Solution]
    roots: Roots
    new: int


def solve_starts(search: Search, x0: torch.Tensor, known: torch.Tensor | None,
                 on_finished: Callable[[int], None] | None) -> Solution:
    """Solve from every start ``x0 (S, n)``: first on the system's reduced residual (with joins of known roots
    and admission in waves), then the starts that found no root again on ``F`` itself, whose minima of ``q``
    are the slow points. Identical starts (trajectory samples can repeat) are solved once."""
    F = search.F
    unique, inverse = torch.unique(x0, dim=0, return_inverse=True)
    first = dataclasses.replace(search.options, join_radius=JOIN * search.scale, waves=WAVE, seed=search.settings.seed,
                                stall=REDUCED_STALL if F.reduced or search.hunting else SolveOptions.stall)
    reduced = Problem(F.solve_with_jacobian, F.solve, F.norm, search.inside)
    sol = solver.solve(reduced, unique, first, known=known, on_finished=on_finished)
    if F.reduced:
        rest = torch.nonzero((sol.status != solver.ROOT) & (sol.status != solver.JOINED)
                             & (sol.status != solver.DIVERGED)).flatten()
        if len(rest):
            sol = sol.update(rest, solver.solve(search.full, unique[rest], search.options))
    sol = sol.select(inverse)
    sol.status[sol.status == solver.JOINED] = solver.ROOT
    return sol


def deflate(search: Search, x0: torch.Tensor, first: Solution, roots: Roots,
            cluster: torch.Tensor) -> tuple[Roots, list[Solution]]:
    """Re-solve up to ``deflation_starts`` of the starts that fell into each root (its first finder excepted)
    with every known root deflated, ``deflation_rounds`` times (while new roots appear). ``cluster``: the root
    of each start that ``first`` found one from. Returns the roots and the deflated solves."""
    found = torch.nonzero(first.status == solver.ROOT).flatten()
    per_root = [found[torch.nonzero(cluster == label).flatten()[1:1 + search.settings.deflation_starts]]
                for label in torch.unique(cluster).tolist()]
    pool = torch.cat(per_root) if per_root else found[:0]
    runs = []
    for _ in range(search.settings.deflation_rounds):
        if len(pool) == 0:
            break
        n_known = len(roots)
        G = Deflated(search.F, roots.points, search.scale)
        sol = solver.solve(Problem(G.with_jacobian, G, G.residual, search.inside), x0[pool], search.options)
        runs.append(sol)
        ok = torch.nonzero(sol.status == solver.ROOT).flatten()
        roots, _ = roots.merge(sol.x[ok], sol.residual[ok], search.merge_radius)
        if len(roots) == n_known:
            break
        pool = pool[ok.to(pool.device)]
    return roots, runs


def run_wave(search: Search, x0: torch.Tensor, roots: Roots, on_finished: Callable[[int], None] | None) -> Wave:
    """Starts ``x0 (S, n)`` through solve -> merge -> deflate; the roots already known may be joined."""
    first = solve_starts(search, x0, roots.points if len(roots) else None, on_finished)
    found = torch.nonzero(first.status == solver.ROOT).flatten()  # the solver's roots are inside, |F| <= tol
    merged, cluster = roots.merge(first.x[found], first.residual[found], search.merge_radius)
    merged, deflated = deflate(search, x0, first, merged, cluster)
    fresh = merged.points[len(roots):]  # merge keeps the known roots first
    new = len(fresh) if search.counts is None else int(search.counts(fresh).sum())
    return Wave(first, [first, *deflated], merged, new)
