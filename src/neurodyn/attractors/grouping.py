"""Group the starts by the attractor their trajectories reach.

Equilibria: Newton (the fixed-point search's batched dogleg solver, then plain Newton polishing) from every
trajectory's final state; a trajectory belongs to the stable equilibrium ``x*`` found there when it ends within
``eq_tol * scale`` of it or contracts towards it over the window (its largest distance in the last quarter of the
window below half its smallest in the first quarter). Equilibria closer than ``eq_tol * scale`` are one.

Other attractors: each trajectory's recorded window is a point cloud sampling its omega-limit set. A trajectory
joins a group when, both ways, the ``match_quantile`` quantile of the distances from the points of one cloud to the
nearest point of the other is at most ``match_tol`` times the larger cloud's size (the diagonal of its bounding
box): the two trajectories come close to every part of each other's set. A trajectory on the same cycle but at
another phase matches to within the sample spacing; two distinct cycles, or a cycle and a chaotic set, differ by
a fraction of their size. The group's reference cloud collects the windows of its first few members, so that a
chaotic set is covered better than by one window.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn.attractors.sampling import Trajectories
from neurodyn.attractors.settings import AttractorSettings
from neurodyn.equilibria import solver
from neurodyn.equilibria.roots import dedup
from neurodyn.equilibria.stability import linearise
from neurodyn.systems.protocol import Flow

QUERY_POINTS = 200  # points of a window compared against another cloud
REFERENCE_MEMBERS = 4  # members whose windows make up a group's reference cloud


@dataclass(frozen=True)
class Group:
    """Starts that reach one attractor: ``members`` (start indices, ascending, on the CPU); for an equilibrium its
    polished location ``point (n,)``, residual ``|f(point)|`` and Jacobian eigenvalues ``(n,)`` (else ``None``);
    ``stationary``: the trajectories stop (their windows are within ``eq_tol * scale``) without ending at a
    stable equilibrium (at a saddle reached from a set of starts of measure zero, or at a non-isolated
    equilibrium)."""

    members: torch.Tensor
    stationary: bool = False
    point: torch.Tensor | None = None
    residual: float | None = None
    eigenvalues: torch.Tensor | None = None


@dataclass(frozen=True)
class _Equilibria:
    """Per start: the stable equilibrium it reaches (index into ``points``) or -1."""

    label: torch.Tensor  # (B,)
    points: torch.Tensor  # (E, n)
    residuals: torch.Tensor  # (E,)
    eigenvalues: torch.Tensor  # (E, n)


def group_starts(system: Flow, traj: Trajectories, s: AttractorSettings) -> list[Group]:
    """The groups of starts by attractor: equilibria first (by location), then the other attractors in the order
    of their first member; escaped starts are in no group."""
    alive = (~traj.escaped).nonzero().flatten()
    if len(alive) == 0:
        return []
    scale = 1.0 + float(torch.linalg.vector_norm(traj.final[alive], dim=-1).max())
    eq = _equilibria(system, traj, alive, scale, s)
    groups = [Group(members=alive[eq.label == e].cpu(), point=eq.points[e], residual=float(eq.residuals[e]),
                    eigenvalues=eq.eigenvalues[e]) for e in range(len(eq.points)) if bool((eq.label == e).any())]
    rest = alive[eq.label < 0].cpu()
    floor = s.eq_tol * scale
    for m in _clouds(traj.path, rest, floor, s):
        groups.append(Group(members=torch.tensor(m, dtype=torch.long), stationary=_size(traj.path[m[0]]) <= floor))
    return groups


def _fun_jac(system: Flow):
    def fun_jac(x):
        return system.f(x), system.jacobian(x)

    return fun_jac


def _equilibria(system: Flow, traj: Trajectories, alive: torch.Tensor, scale: float,
                s: AttractorSettings) -> _Equilibria:
    x = traj.final[alive]
    problem = solver.Problem(fun_jac=_fun_jac(system), fun=lambda y: system.f(y))
    sol = solver.solve(problem, x, solver.SolveOptions(tol=s.newton_tol, maxiter=50))
    found = (sol.status == solver.ROOT) & torch.isfinite(sol.x).all(-1)
    label = torch.full((len(alive),), -1, dtype=torch.long, device=x.device)
    n = system.dim
    empty = _Equilibria(label, x.new_zeros(0, n), x.new_zeros(0), x.new_zeros(0, n, dtype=torch.complex128))
    if not bool(found.any()):
        return empty
    idx = found.nonzero().flatten()
    roots, _ = solver.polish(_fun_jac(system), sol.x[idx])
    F, J = _fun_jac(system)(roots)
    finite = torch.isfinite(J).flatten(1).all(-1) & torch.isfinite(F).all(-1)
    idx, roots, F, J = idx[finite], roots[finite], F[finite], J[finite]
    lin = linearise(J, "flow", n_vectors=1)
    stable = (lin.n_unstable == 0) & (lin.n_center == 0)
    d = torch.linalg.vector_norm(traj.path[alive[idx]] - roots.unsqueeze(1), dim=-1)  # (m, S)
    quarter = max(1, d.shape[1] // 4)
    contracting = d[:, -quarter:].max(-1).values < 0.5 * d[:, :quarter].min(-1).values
    reached = (d[:, -1] <= s.eq_tol * scale) | contracting
    keep = stable & reached & (torch.linalg.vector_norm(F, dim=-1) <= s.newton_tol)
    if not bool(keep.any()):
        return empty
    pts = roots[keep]
    reps, cluster = dedup(pts, torch.linalg.vector_norm(F[keep], dim=-1), s.eq_tol * scale)
    label[idx[keep]] = cluster.to(label.device)
    return _Equilibria(label, pts[reps], torch.linalg.vector_norm(F[keep][reps], dim=-1), lin.eigenvalues[keep][reps])


def _size(cloud: torch.Tensor) -> float:
    """Diagonal of the bounding box of ``cloud (S, n)``."""
    return float(torch.linalg.vector_norm(cloud.max(0).values - cloud.min(0).values))


def _near_quantile(query: torch.Tensor, cloud: torch.Tensor, q: float) -> float:
    """The ``q`` quantile over the points of ``query`` of the distance to the nearest point of ``cloud``."""
    return float(torch.quantile(torch.cdist(query, cloud).min(-1).values, q))


def _queries(path: torch.Tensor) -> torch.Tensor:
    return path[:: max(1, len(path) // QUERY_POINTS)]


@dataclass
class _Cloud:
    """A group being formed: its members, the reference cloud of its first members and its size."""

    members: list[int]
    reference: torch.Tensor
    queries: torch.Tensor
    size: float


def _clouds(path: torch.Tensor, starts: torch.Tensor, floor: float, s: AttractorSettings) -> list[list[int]]:
    """Greedy grouping of the windows ``path[starts]``: each joins the group it matches best (see the module
    docstring), or founds a new one. A collapsed window (a stationary point) has the size ``floor``."""
    groups: list[_Cloud] = []
    for i in starts.tolist():
        own, own_size = path[i], max(_size(path[i]), floor)
        own_q = _queries(own)
        best, best_gap = None, float("inf")
        for g in groups:
            size = max(g.size, own_size)
            gap = max(_near_quantile(own_q, g.reference, s.match_quantile),
                      _near_quantile(g.queries, own, s.match_quantile)) / size
            if gap <= s.match_tol and gap < best_gap:
                best, best_gap = g, gap
        if best is None:
            groups.append(_Cloud(members=[i], reference=own, queries=own_q, size=own_size))
            continue
        best.members.append(i)
        if len(best.members) <= REFERENCE_MEMBERS:
            best.reference = torch.cat([best.reference, own])
            best.size = max(best.size, own_size)
    return [g.members for g in groups]
