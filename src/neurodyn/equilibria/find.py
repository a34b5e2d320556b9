"""``find_fixed_points``: every fixed point, equilibrium and slow point the starts can reach.

The search runs in visible stages: starts (:mod:`.starts`) -> solve -> deflate -> merge (:mod:`.stages`, wave by
wave until saturation, :mod:`.waves`) -> polish and deduplicate -> classify (:mod:`.stability`).
"""

from __future__ import annotations

import copy

import torch

from neurodyn._checks import as_tensor
from neurodyn._progress import progress_bar
from neurodyn.equilibria import solver
from neurodyn.equilibria.residual import Residual
from neurodyn.equilibria.resources import check_memory, warn_if_long
from neurodyn.equilibria.result import FixedPoints, PointSet
from neurodyn.equilibria.roots import Roots, count, dedup, distances
from neurodyn.equilibria.settings import SearchSettings
from neurodyn.equilibria.stability import linearise
from neurodyn.equilibria.stages import Search, Wave
from neurodyn.equilibria.starts import Starts, sample_starts
from neurodyn.equilibria.waves import search_in_waves
from neurodyn.errors import InvalidInputError
from neurodyn.results import Status, finish, to_jsonable
from neurodyn.systems.protocol import Map
from neurodyn.systems.torch_adapters import as_system


def find_fixed_points(system, *, inputs=None, u_star=None, starts="mixed", box=None, params: dict | None = None,
                      settings: SearchSettings | None = None, **options) -> FixedPoints:
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

    Saturation: the roots are counted like species in a capture-recapture survey (each start that ends at a
    root captures it). Unless every root found was reached by at least two starts, waves of ``n_starts`` new
    starts (drawn as the first ones; starts in the basins of known roots join them by chord steps, cheaply)
    are solved until ``patience`` waves in a row find no new root (status ``"saturated"``) or ``max_starts``
    starts have been solved (status ``"may be incomplete"``); ``result.saturation`` holds how many roots each
    wave found and Chao's estimate of how many there are. Given starts are one wave.

    Args:
        system: a :class:`Map` or :class:`Flow` (or a PyTorch module :func:`neurodyn.from_torch` accepts).
        inputs: ``(batch, T, m)`` input sequences that drive a map's sampled trajectories (default: the
            constant input ``u_star``).
        u_star: ``(m,)`` the constant input of a driven map at which fixed points are sought (default zeros).
        starts: ``"trajectories"`` (states visited by trajectories of the system from its typical initial
            states, driven by ``inputs``), ``"box"`` (uniform in ``box``), ``"mixed"`` (half on trajectories, a
            quarter uniform in their bounding box, a quarter on segments from their mean to trajectory
            states: unstable points lie off the trajectories), or a tensor ``(S, n)`` (or one start ``(n,)``).
        box: ``(low, high)`` scalars or ``(n,)`` bounds: where ``starts="box"`` samples (default: the
            bounding box of sampled trajectories) and, widened by ``margin``, the region searched.
        params: parameter values to use instead of the system's (names as in ``system.params``).
        settings: a :class:`SearchSettings`; ``**options`` replace its fields. Defaults: ``n_starts=256``
            (starts per wave when sampled), ``tol=1e-10`` (a fixed point has ``|F(x)|_2 <= tol``, in state units
            per step or per unit time; refused above 1e-3 times the state scale, where it would not mean a
            root), ``slow_q=1e-6``, ``dedup_tol=1e-6``, ``slow_dedup_tol=1e-3``, ``maxiter=200``,
            ``deflation_rounds=1``, ``deflation_starts=4``, ``trajectory_steps=200``, ``dt=0.1`` (flows: time
            between trajectory samples), ``n_vectors=6``, ``eig_tol=1e-8``, ``margin`` (0.5 for maps, ``inf``
            for flows: iterates leaving the searched box widened by ``margin`` of its width on each side are
            stopped, as ``starts["outside"]``; a GRU's saturated asymptotic "roots" lie there), ``seed=0`` (of
            the starts and their order; the global random state is not used), ``patience=2``,
            ``count_box=None`` (a box ``(low, high)``: only new roots inside it count for ``patience``),
            ``max_starts=4 * n_starts``, ``progress=False`` (a progress bar over the starts), ``strict=None``
            (True: :class:`~neurodyn.ConvergenceError` instead of a "may be incomplete" result). See
            :class:`SearchSettings`.

    Returns:
        :class:`FixedPoints` with the exact points in ``.fixed``, slow points in ``.slow``, ``.status``
        ("saturated", "may be incomplete" or "none found") and ``.saturation``.

    Raises:
        InvalidInputError: bad arguments, a user function returning the wrong shape/dtype (checked on the
            first states), or a search that would need more memory than is free (lower ``n_starts``).
        ConvergenceError: with ``strict=True``, when the search may be incomplete.

    See also: :func:`neurodyn.lyapunov_spectrum` (the long-time behaviour around these points).
    """
    s = SearchSettings.of(settings, options)
    system = _full_state(as_system(system), params)
    kind = "map" if isinstance(system, Map) else "flow"
    s = s.checked(kind, system.name)
    gen = torch.Generator(device="cpu").manual_seed(s.seed)
    c, inputs = _inputs(system, kind, u_star, inputs)
    if isinstance(starts, str):  # before the starts are drawn (given ones exist already)
        check_memory(s.n_starts, system.dim, system.dtype, system.device, name=system.name)
    first = sample_starts(system, c, inputs, starts, s.n_starts, box, s.trajectory_steps, s.dt, gen)
    check_memory(len(first.x), system.dim, system.dtype, system.device, name=system.name)
    search = _search(system, c, first, s)
    total = s.max_starts if first.sampler is not None else len(first.x)
    warn_if_long(search.F, first.x, total, progress=s.progress, name=system.name)
    with progress_bar(s.progress, total, "fixed points") as advance:
        waves, saturation = search_in_waves(search, first, gen, advance)
    roots = waves[-1].roots
    fixed_x, step, hits = _polish(search, roots)
    slow_x, slow_hits = _slow_points(search, waves[0], fixed_x)
    fixed = _point_set(search, kind, fixed_x, hits, step)
    slow = _point_set(search, kind, slow_x, slow_hits)
    counts = {name: sum(int((w.first.status == code).sum()) for w in waves)
              for code, name in solver.STATUS_NAMES.items() if code != solver.JOINED}  # joined starts are roots
    status = (Status.NONE_FOUND if not len(fixed) else Status.SATURATED if saturation.saturated
              else Status.MAY_BE_INCOMPLETE)
    result = FixedPoints(fixed=fixed, slow=slow, kind=kind, system=system.name, u_star=c,
                         trajectories=first.trajectories[:8].detach(), starts=counts, status=status,
                         settings=_record(s, params, box, starts, first, search, waves), saturation=saturation)
    return finish(result, strict=s.strict, what=f"the fixed-point search of {system.name!r}")


def _full_state(system, params):
    """The system at ``params``, linearised in its full state (fixed points live there, whatever coordinates
    ``tangent_index`` restricts the analyses to); a copy, never the user's object, is changed."""
    if params:
        system = system.with_params(**params)
    if system.tangent_index is not None:
        system = copy.copy(system)
        system.tangent_index = None
    return system


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


def _search(system, c, first: Starts, s: SearchSettings) -> Search:
    """The residual, the state scale (RMS norm of the sampled states and starts; ``tol`` is checked against it)
    and the region searched, widened on each side by ``margin`` of its width."""
    F = Residual(system, c)
    samples = first.trajectories.reshape(-1, system.dim)
    ref = torch.cat([samples[torch.isfinite(samples).all(-1)], first.x])
    scale = float(torch.sqrt((ref * ref).sum(-1).mean()))
    scale = scale if scale > 0 else 1.0
    s.check_tol(scale)
    counts = _count_box(s.count_box, first.x)
    if first.region is None or s.margin == float("inf"):
        return Search(F, s, scale, lambda x: torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device), counts=counts)
    width = (first.region[1] - first.region[0]).clamp_min(1e-3 * scale)
    low, high = first.region[0] - s.margin * width, first.region[1] + s.margin * width
    return Search(F, s, scale, lambda x: ((x >= low) & (x <= high)).all(-1), counts=counts)


def _count_box(box, like: torch.Tensor):
    """The predicate "inside ``count_box``" (``None`` without one: every root counts)."""
    if box is None:
        return None
    try:
        low, high = (as_tensor(b, name="count_box", dtype=like.dtype, device=like.device).expand(like.shape[-1])
                     for b in box)
    except (TypeError, ValueError, RuntimeError):
        raise InvalidInputError(f"count_box must be a box (low, high) of scalars or ({like.shape[-1]},) bounds, got "
                                f"{box!r}") from None
    return lambda x: ((x >= low) & (x <= high)).all(-1)


def _polish(search: Search, roots: Roots) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Degenerate roots are pinned only loosely by ``|F| <= tol``: walk them on by Newton, then merge points whose
    error balls (4 Newton steps: a root of multiplicity up to 4) overlap. Returns the points, their last Newton
    steps and their hits."""
    F = search.F
    polished, step = solver.polish(F.with_jacobian, roots.points)
    good = F.norm(polished) <= search.settings.tol
    known = torch.where(good.unsqueeze(-1), polished, roots.points)
    step = torch.where(good.unsqueeze(-1), step, torch.zeros_like(step))
    err = 4 * torch.linalg.vector_norm(step, dim=-1)
    reps, cluster = dedup(known, err, search.merge_radius, err)
    return known[reps], step[reps], count(cluster, roots.hits, len(reps))


def _slow_points(search: Search, wave: Wave, fixed_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where the plain solve of the first wave ended at a local minimum of q (or its last iterate) with
    ``q <= slow_q``, not at a root nor beside one (an unfinished approach to it), deduplicated within
    ``slow_dedup_tol``."""
    s, radius = search.settings, search.settings.slow_dedup_tol * search.scale
    ended = (wave.first.status == solver.STATIONARY) | (wave.first.status == solver.MAXITER)
    slow_x, slow_res = wave.first.x[ended], wave.first.residual[ended]
    keep = (torch.isfinite(slow_res) & (0.5 * slow_res**2 <= s.slow_q) & (slow_res > s.tol)
            & search.inside(slow_x))
    slow_x, slow_res = slow_x[keep], slow_res[keep]
    if len(fixed_x) and len(slow_x):
        near = (distances(slow_x, fixed_x) <= radius).any(-1)
        slow_x, slow_res = slow_x[~near], slow_res[~near]
    reps, cluster = dedup(slow_x, slow_res, radius)
    return slow_x[reps.to(slow_x.device)], count(cluster, torch.ones_like(cluster), len(reps))


def _point_set(search: Search, kind: str, x: torch.Tensor, hits: torch.Tensor,
               step: torch.Tensor | None = None) -> PointSet:
    """Residuals and linearisation of the points ``x (P, n)``; ``step`` (their last Newton steps) bounds how far
    the eigenvalues at the true root may be from those at ``x``: about ``|J(x + 4 step) - J(x)|``."""
    F, n = search.F, x.shape[-1]
    with torch.no_grad():
        J = F.system.jacobian(x, F.input_for(x)) if len(x) else x.new_zeros(0, n, n)
        res = torch.linalg.vector_norm(F(x), dim=-1) if len(x) else x.new_zeros(0)
        shift = None
        if step is not None and len(x):
            shift = torch.linalg.matrix_norm(F.system.jacobian(x + 4 * step, F.input_for(x)) - J, ord=2)
    lin = linearise(J, kind, n_vectors=search.settings.n_vectors, eig_tol=search.settings.eig_tol,
                    uncertainty=shift)
    return PointSet(points=x, residual=res, q=0.5 * res**2, eigenvalues=lin.eigenvalues,
                    eigenvectors=lin.eigenvectors, n_unstable=lin.n_unstable, stability=lin.labels, hits=hits)


def _record(s: SearchSettings, params, box, starts, first: Starts, search: Search, waves: list[Wave]) -> dict:
    """Everything that produced the result, JSON-safe."""
    runs = [r for w in waves for r in w.runs]
    return dict(params={k: to_jsonable(torch.as_tensor(v)) for k, v in (params or {}).items()} or None,
                box=None if box is None else [to_jsonable(torch.as_tensor(b)) for b in box],
                n_starts=len(first.x), starts=starts if isinstance(starts, str) else "given", tol=s.tol,
                slow_q=s.slow_q, dedup_tol=s.dedup_tol, slow_dedup_tol=s.slow_dedup_tol, maxiter=s.maxiter,
                deflation_rounds=s.deflation_rounds, deflation_starts=s.deflation_starts,
                trajectory_steps=first.trajectories.shape[1] - 1, dt=None if search.F.is_map else s.dt,
                eig_tol=s.eig_tol, margin=s.margin, seed=s.seed, patience=s.patience, max_starts=s.max_starts,
                count_box=None if s.count_box is None else [to_jsonable(torch.as_tensor(b)) for b in s.count_box],
                state_scale=search.scale, rounds_run=len(runs), iterations=[r.iterations for r in runs],
                jacobians=[r.jacobians for r in runs])
