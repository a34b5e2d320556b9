"""``find_fixed_points``: every fixed point, equilibrium and slow point a batch of starts can reach."""

from __future__ import annotations

import copy

import numpy as np
import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn._progress import progress_bar
from neurodyn.equilibria import solver
from neurodyn.equilibria.residual import Deflated, Residual
from neurodyn.equilibria.result import FixedPoints, PointSet
from neurodyn.equilibria.stability import linearise
from neurodyn.equilibria.starts import sample_starts
from neurodyn.errors import InvalidInputError
from neurodyn.results import to_jsonable
from neurodyn.systems.protocol import Map
from neurodyn.systems.torch_adapters import as_system

# Starts that chord steps carry within JOIN * (state scale) of a root already reached stop there.
JOIN = 1e-4
# ... and are admitted in waves, WAVE of them first (see solver.solve)
WAVE = 64
# A solve on a system's reduced residual only has to find roots: the starts it gives up on go again on F,
# whose minima of q are the slow points. So it gives up after 3 iterations without progress, not 5 (on the
# N = 128 flip-flop GRU of bench/fixed_points.py, 549 Jacobians instead of 912 for its 49 starts that find
# no root, 9% of all; the same roots and slow points are found).
REDUCED_STALL = 3


def _distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact pairwise distances (the matrix-product shortcut loses ~1e-8 relative, too much for dedup)."""
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _dedup(points: torch.Tensor, priority: torch.Tensor, radius: float,
           error: torch.Tensor | None = None) -> tuple[list[int], np.ndarray]:
    """Greedy clustering: in order of ``priority`` (ascending), each point not yet taken becomes a
    representative of every untaken point within ``radius`` (plus both points' ``error`` estimates, if
    given). Returns representatives and each point's cluster."""
    if len(points) == 0:
        return [], np.zeros(0, dtype=int)
    reach = radius if error is None else radius + error.unsqueeze(0) + error.unsqueeze(1)
    close = (_distances(points, points) <= reach).cpu().numpy()
    cluster = np.full(len(points), -1)
    reps = []
    for i in torch.argsort(priority, stable=True).tolist():  # ties (known roots) keep their order
        if cluster[i] < 0:
            members = close[i] & (cluster < 0)
            cluster[members] = len(reps)
            reps.append(i)
    return reps, cluster


def _inputs(system, kind: str, u_star, inputs):
    """The constant input ``u* (m,)`` of a driven map (zeros by default; ``None`` otherwise) and the checked
    driving sequences ``(batch, T, m)``."""
    c = None
    if kind == "map" and system.input_dim:
        u_star = torch.zeros(system.input_dim) if u_star is None else u_star
        c = as_tensor(u_star, name="u_star", dtype=system.dtype, device=system.device)
        if c.shape != (system.input_dim,):
            raise InvalidInputError(f"u_star has shape {tuple(c.shape)}; give the constant input as a vector of "
                                    f"the system's input_dim = {system.input_dim}")
    elif u_star is not None:
        raise InvalidInputError(f"u_star applies to input-driven maps; {system.name!r} takes no input")
    if inputs is not None:
        if kind != "map" or not system.input_dim:
            raise InvalidInputError(f"inputs drive input-driven maps; {system.name!r} takes no input")
        inputs = as_tensor(inputs, name="inputs", dtype=system.dtype, device=system.device)
        if inputs.ndim != 3 or inputs.shape[-1] != system.input_dim:
            raise InvalidInputError(f"inputs has shape {tuple(inputs.shape)}; expected (batch, T, "
                                    f"input_dim={system.input_dim})")
    return c, inputs


def find_fixed_points(
    system,
    *,
    inputs=None,
    u_star=None,
    n_starts: int = 256,
    starts="mixed",
    box=None,
    params: dict | None = None,
    tol: float = 1e-10,
    slow_q: float = 1e-6,
    dedup_tol: float = 1e-6,
    slow_dedup_tol: float = 1e-3,
    maxiter: int = 200,
    deflation_rounds: int = 1,
    deflation_starts: int = 4,
    trajectory_steps: int = 200,
    dt: float | None = None,
    n_vectors: int = 6,
    eig_tol: float = 1e-8,
    margin: float | None = None,
    seed: int = 0,
    progress: bool = False,
) -> FixedPoints:
    """Fixed points ``x = step(x, u*)`` of a map or equilibria ``field(t=0, x) = 0`` of a flow, and slow points.

    Every start is solved at once by a batched trust-region dogleg method (Powell's hybrid method: Newton
    steps near a regular root, descent of ``q(x) = |F(x)|^2 / 2`` elsewhere), with analytic Jacobians where
    the system has them and ``torch.func`` ones otherwise. (For GRUs the solver first iterates on the
    equivalent residual ``n(x, h) - h``, which has the same zeros but stays well conditioned where update
    gates saturate, then on ``F`` itself for the starts that found no root.) Then ``deflation_rounds`` times,
    the starts that fell into an already-known root are solved again with every known root deflated
    (Farrell et al. 2015), which steers them to roots not yet found. Starts that end at a local minimum
    of ``q`` with ``q <= slow_q`` are slow points (Sussillo & Barak 2013, Neural Comput. 25, 626). Points
    are deduplicated within ``dedup_tol`` (fixed) or ``slow_dedup_tol`` (slow) times the state scale (the
    RMS norm of the sampled states), and classified by the eigenvalues of the Jacobian of ``step``/``field``.

    Args:
        system: a :class:`Map` or :class:`Flow` (or a PyTorch module :func:`neurodyn.from_torch` accepts).
        inputs: ``(batch, T, m)`` input sequences that drive a map's sampled trajectories (default: the
            constant input ``u_star``).
        u_star: ``(m,)`` the constant input of a driven map at which fixed points are sought (default zeros).
        n_starts: number of starts when they are sampled.
        starts: ``"trajectories"`` (states visited by trajectories of the system from its typical initial
            states, driven by ``inputs``), ``"box"`` (uniform in ``box``), ``"mixed"`` (half on trajectories, a
            quarter uniform in their bounding box, a quarter on segments from their mean to trajectory
            states: unstable points lie off the trajectories), or a tensor ``(S, n)`` (or one start ``(n,)``).
        box: ``(low, high)`` scalars or ``(n,)`` bounds: where ``starts="box"`` samples (default: the
            bounding box of sampled trajectories) and, widened by ``margin``, the region searched.
        params: parameter values to use instead of the system's (names as in ``system.params``).
        tol: a point is a fixed point when ``|F(x)|_2 <= tol`` (state units per step, or per unit time).
        slow_q: largest ``q`` of a reported slow point.
        dedup_tol, slow_dedup_tol: relative distances under which two points are the same point.
        maxiter: solver iterations per start.
        deflation_rounds: deflated re-solves of the starts that found known roots (0 switches deflation off).
        deflation_starts: how many of the starts that fell into each known root are re-solved with deflation.
        trajectory_steps: length of each sampled trajectory (steps; for flows, samples ``dt`` apart).
        dt: time between trajectory samples of a flow (default 0.1 time units).
        n_vectors: leading eigenvectors stored per point (at most ``n``).
        eig_tol: relative distance from the stability boundary under which a point is non-hyperbolic.
        margin: (default 0.5 for maps, ``inf`` for flows, whose equilibria may lie far from their
            trajectories) the search is confined to a box, widened on each side by ``margin`` times its width:
            ``box`` if given, else the bounding box of the sampled states and starts; given starts without
            a box are not confined. Iterates that leave it are stopped (counted in ``starts["outside"]``):
            they head for solutions far outside the region the system visits, such as the saturated
            states a GRU only approaches asymptotically. ``float("inf")`` searches everywhere.
        seed: seed of the starts and of the order in which they are admitted (the global random state is not
            used).
        progress: show a progress bar over the starts as they finish.

    Returns:
        :class:`FixedPoints` with the exact points in ``.fixed`` and slow points in ``.slow``.

    See also: :func:`neurodyn.lyapunov_spectrum` (the long-time behaviour around these points).
    """
    system = as_system(system)
    if params:
        system = system.with_params(**params)
    if system.tangent_index is not None:  # fixed points live in the full state
        system = copy.copy(system)
        system.tangent_index = None
    n = system.dim
    tol = positive_float(tol, name="tol")
    slow_q = positive_float(slow_q, name="slow_q")
    dedup_tol = positive_float(dedup_tol, name="dedup_tol")
    slow_dedup_tol = positive_float(slow_dedup_tol, name="slow_dedup_tol")
    maxiter = positive_int(maxiter, name="maxiter")
    deflation_rounds = positive_int(deflation_rounds, name="deflation_rounds", minimum=0)
    deflation_starts = positive_int(deflation_starts, name="deflation_starts")
    trajectory_steps = positive_int(trajectory_steps, name="trajectory_steps")
    n_vectors = positive_int(n_vectors, name="n_vectors")
    kind = "map" if isinstance(system, Map) else "flow"
    margin = (0.5 if kind == "map" else float("inf")) if margin is None else float(margin)
    if not margin >= 0:
        raise InvalidInputError(f"margin must be >= 0, got {margin}")
    eig_tol = positive_float(eig_tol, name="eig_tol")
    seed = positive_int(seed, name="seed", minimum=0)
    if dt is not None and kind == "map":
        raise InvalidInputError(f"dt applies to flows (time between trajectory samples); {system.name!r} is a map")
    dt = 0.1 if dt is None else positive_float(dt, name="dt")
    gen = torch.Generator(device="cpu").manual_seed(seed)

    c, inputs = _inputs(system, kind, u_star, inputs)
    x0, traj, region = sample_starts(system, c, inputs, starts, n_starts, box, trajectory_steps, dt, gen)
    n_starts = len(x0)
    samples = traj.reshape(-1, n)
    ref = torch.cat([samples[torch.isfinite(samples).all(-1)], x0])
    scale = float(torch.sqrt((ref * ref).sum(-1).mean()))
    scale = scale if scale > 0 else 1.0
    if region is None or margin == float("inf"):
        low = high = None
    else:  # the region searched, widened on each side by `margin` of its width
        width = (region[1] - region[0]).clamp_min(1e-3 * scale)
        low, high = region[0] - margin * width, region[1] + margin * width

    def inside(x):
        if low is None:
            return torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device)
        return ((x >= low) & (x <= high)).all(-1)

    F = Residual(system, c)
    known, known_hits = x0[:0], torch.zeros(0, dtype=torch.long)

    def merge(points, residual):
        """Add newly found roots to the known ones (known first, so they keep their identity)."""
        nonlocal known, known_hits
        # most roots are copies of the root their start joined: cluster each distinct point once
        points, inverse, counts = torch.unique(points, dim=0, return_inverse=True, return_counts=True)
        residual = residual.new_full((len(points),), float("inf")).scatter_reduce(0, inverse, residual, "amin")
        allp = torch.cat([known, points])
        prio = torch.cat([torch.full((len(known),), -1.0, dtype=residual.dtype, device=residual.device), residual])
        reps, cluster = _dedup(allp, prio, dedup_tol * scale)
        weights = np.concatenate([known_hits.numpy(), counts.cpu().numpy()])
        known = allp[reps]
        known_hits = torch.as_tensor(np.bincount(cluster, weights=weights, minlength=len(reps)).astype(np.int64))
        return cluster[len(allp) - len(points):][inverse.cpu().numpy()]

    with progress_bar(progress, n_starts, "fixed points") as advance:
        # identical starts (trajectory samples can repeat) are solved once
        x0, inverse = torch.unique(x0, dim=0, return_inverse=True)
        common = dict(tol=tol, maxiter=maxiter, radius0=scale, max_radius=1e3 * scale, inside=inside)
        sol = solver.solve(F.solve_with_jacobian, F.solve, x0, residual=F.norm, join_radius=JOIN * scale,
                           on_finished=advance, waves=WAVE, seed=seed, **common,
                           **({"stall": REDUCED_STALL} if F.reduced else {}))
        if F.reduced:  # starts that found no root go again on F itself, whose q defines the slow points
            rest = torch.nonzero((sol.status != solver.ROOT) & (sol.status != solver.JOINED)
                                 & (sol.status != solver.DIVERGED)).flatten()
            if len(rest):
                again = solver.solve(F.with_jacobian, F, x0[rest], **common)
                for field in ("x", "residual", "status"):
                    getattr(sol, field)[rest] = getattr(again, field)
                sol.jacobians += again.jacobians
        sol = solver.Solution(x=sol.x[inverse], residual=sol.residual[inverse], status=sol.status[inverse],
                              iterations=sol.iterations, jacobians=sol.jacobians)
        x0 = x0[inverse]
        sol.status[sol.status == solver.JOINED] = solver.ROOT
        runs = [sol]
        found = torch.nonzero(sol.status == solver.ROOT).flatten()  # the solver's roots are inside, |F| <= tol
        cluster = merge(sol.x[found], sol.residual[found])
        # deflation: re-solve up to `deflation_starts` of the starts that fell into each root (the first
        # finder excepted) with every known root deflated
        found_np, pool = found.cpu().numpy(), []
        for label in np.unique(cluster):
            pool.extend(found_np[np.flatnonzero(cluster == label)[1:1 + deflation_starts]].tolist())
        pool = np.asarray(pool, dtype=np.int64)
        for _ in range(deflation_rounds):
            if len(pool) == 0:
                break
            n_known = len(known)
            G = Deflated(F, known, scale)
            sol = solver.solve(G.with_jacobian, G, x0[pool], residual=G.residual, **common)
            runs.append(sol)
            ok = torch.nonzero(sol.status == solver.ROOT).flatten()
            merge(sol.x[ok], sol.residual[ok])
            if len(known) == n_known:
                break
            pool = pool[ok.cpu().numpy()]

    counts = {name: int((runs[0].status == code).sum()) for code, name in solver.STATUS_NAMES.items()
              if code != solver.JOINED}  # joined starts were counted as roots above
    # degenerate roots are pinned only loosely by |F| <= tol: walk them on by Newton, then merge points
    # whose error balls (4 Newton steps: a root of multiplicity up to 4) overlap
    polished, step = solver.polish(F.with_jacobian, known)
    good = F.norm(polished) <= tol
    known = torch.where(good.unsqueeze(-1), polished, known)
    step = torch.where(good.unsqueeze(-1), step, torch.zeros_like(step))
    err = 4 * torch.linalg.vector_norm(step, dim=-1)
    reps, cluster = _dedup(known, err, dedup_tol * scale, err)
    fixed_x, step = known[reps], step[reps]
    hits = torch.as_tensor(np.bincount(cluster, weights=known_hits.numpy(), minlength=len(reps)).astype(np.int64))

    # slow points: where the undeflated solve ended at a local minimum of q (or its last iterate), not a root
    first_run = runs[0]
    ended = (first_run.status == solver.STATIONARY) | (first_run.status == solver.MAXITER)
    slow_x, slow_res = first_run.x[ended], first_run.residual[ended]
    keep = torch.isfinite(slow_res) & (0.5 * slow_res**2 <= slow_q) & (slow_res > tol) & inside(slow_x)
    slow_x, slow_res = slow_x[keep], slow_res[keep]
    if len(fixed_x) and len(slow_x):  # a slow point beside a fixed point is an unfinished approach to it
        near = (_distances(slow_x, fixed_x) <= slow_dedup_tol * scale).any(-1)
        slow_x, slow_res = slow_x[~near], slow_res[~near]
    slow_reps, slow_cluster = _dedup(slow_x, slow_res, slow_dedup_tol * scale)
    slow_hits = torch.as_tensor(np.bincount(slow_cluster, minlength=len(slow_reps)) if slow_reps
                                else np.zeros(0, dtype=int))

    def point_set(x, hit_counts, step=None):
        with torch.no_grad():
            J = system.jacobian(x, F._c(x)) if len(x) else x.new_zeros(0, n, n)
            res = torch.linalg.vector_norm(F(x), dim=-1) if len(x) else x.new_zeros(0)
            # the eigenvalues at the true root may differ from those at x by about |J(x + 4 step) - J(x)|
            shift = None
            if step is not None and len(x):
                shift = torch.linalg.matrix_norm(system.jacobian(x + 4 * step, F._c(x)) - J, ord=2)
        lin = linearise(J, kind, n_vectors=n_vectors, eig_tol=eig_tol, uncertainty=shift)
        return PointSet(points=x, residual=res, q=0.5 * res**2, eigenvalues=lin.eigenvalues,
                        eigenvectors=lin.eigenvectors, n_unstable=lin.n_unstable, stability=lin.labels,
                        hits=hit_counts)

    fixed = point_set(fixed_x, hits, step)
    slow = point_set(slow_x[slow_reps] if slow_reps else slow_x[:0], slow_hits)
    settings = dict(params={k: to_jsonable(torch.as_tensor(v)) for k, v in (params or {}).items()} or None,
                    box=None if box is None else [to_jsonable(torch.as_tensor(b)) for b in box],
                    n_starts=n_starts, starts=starts if isinstance(starts, str) else "given", tol=tol, slow_q=slow_q,
                    dedup_tol=dedup_tol, slow_dedup_tol=slow_dedup_tol, maxiter=maxiter,
                    deflation_rounds=deflation_rounds, deflation_starts=deflation_starts,
                    trajectory_steps=traj.shape[1] - 1, dt=dt if kind == "flow" else None,
                    eig_tol=eig_tol, margin=margin, seed=seed, state_scale=scale, rounds_run=len(runs),
                    iterations=[r.iterations for r in runs], jacobians=[r.jacobians for r in runs])
    return FixedPoints(fixed=fixed, slow=slow, kind=kind, system=system.name, u_star=c,
                       trajectories=traj[:8].detach(), starts=counts, status="ok" if len(fixed) else "none found",
                       settings=settings)
