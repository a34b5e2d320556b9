"""``find_fixed_points``: every fixed point, equilibrium and slow point a batch of starts can reach."""

from __future__ import annotations

import copy

import numpy as np
import torch

from neurodyn._checks import as_tensor, check_last_dim, positive_float, positive_int
from neurodyn._progress import progress_bar
from neurodyn.equilibria import solver
from neurodyn.equilibria.result import FixedPoints, PointSet
from neurodyn.equilibria.stability import linearise
from neurodyn.errors import DivergenceError, InvalidInputError, UnsupportedModelError
from neurodyn.systems.protocol import Flow, Map, System

STARTS = ("trajectories", "box")
# Starts whose Newton step lands within JOIN * (state scale) of a root already reached stop there.
JOIN = 1e-4


def as_system(system, *, what: str = "system") -> System:
    """A :class:`Map`/:class:`Flow` as is; a PyTorch recurrent module or ``forward(t, x)`` field converted."""
    if isinstance(system, System):
        return system
    if isinstance(system, torch.nn.Module):
        from neurodyn.systems.torch_adapters import from_torch

        return from_torch(system)
    raise UnsupportedModelError(
        f"{what} must be a neurodyn.Map, a neurodyn.Flow or a PyTorch module that neurodyn.from_torch accepts, "
        f"got {type(system).__name__}"
    )


class _Residual:
    """``F(x) = step(x, u*) - x`` (map) or ``field(t, x)`` (flow) and its Jacobian, batched over rows of x.

    ``solve`` / ``solve_with_jacobian`` give the residual the solver iterates on: the system's own
    better-conditioned equivalent when it has one (a GRU's ``n(x, h) - h``, same zeros), else ``F``;
    ``norm`` is always the true ``|F(x)|``, against which roots are judged.
    """

    def __init__(self, system: System, c):
        self.system, self.c = system, c
        self.is_map = isinstance(system, Map)
        self.reduced = self.is_map and system._fixed_point_residual is not None

    def _c(self, x):
        if self.is_map and self.c is not None:
            return self.c.expand(*x.shape[:-1], self.c.shape[-1])
        return self.c

    def __call__(self, x):
        out = self.system.f(x, self._c(x))
        return out - x if self.is_map else out

    def with_jacobian(self, x):
        J = self.system.jacobian(x, self._c(x))
        if self.is_map and self.system._jacobian_is_fresh:
            J.diagonal(dim1=-2, dim2=-1).sub_(1)
        elif self.is_map:
            J = J - torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)
        return self(x), J

    def solve(self, x):
        return self.system._fixed_point_residual(x, self._c(x), False) if self.reduced else self(x)

    def solve_with_jacobian(self, x):
        return self.system._fixed_point_residual(x, self._c(x), True) if self.reduced else self.with_jacobian(x)

    def norm(self, x, G=None):
        return torch.linalg.vector_norm(self(x) if self.reduced or G is None else G, dim=-1)


class _Deflated:
    """Deflation (Farrell, Birkisson & Funke 2015, SIAM J. Sci. Comput. 37, A2026): solve
    ``G(x) = M(x) R(x)`` with ``M(x) = prod_i ((s / |x - r_i|)^2 + 1)`` so known roots ``r_i`` repel the
    iteration; ``G`` has the same other roots as the residual ``R``. ``s`` is the state scale."""

    def __init__(self, base: _Residual, roots: torch.Tensor, scale: float):
        self.base, self.roots, self.scale = base, roots, scale

    def _log_m(self, x):
        diff = x.unsqueeze(-2) - self.roots  # (b, R, n)
        d2 = (diff * diff).sum(-1).clamp_min(1e-300) / self.scale**2
        w = 1 / d2 + 1
        grad = ((-2 / (d2 * d2 * w)).unsqueeze(-1) * diff).sum(-2) / self.scale**2
        return torch.log(w).sum(-1), grad

    def __call__(self, x):
        log_m, _ = self._log_m(x)
        return torch.exp(log_m).unsqueeze(-1) * self.base.solve(x)

    def with_jacobian(self, x):
        R, J = self.base.solve_with_jacobian(x)
        log_m, grad = self._log_m(x)
        m = torch.exp(log_m)
        return m.unsqueeze(-1) * R, m[:, None, None] * (J + R.unsqueeze(-1) * grad.unsqueeze(-2))

    def residual(self, x, G):  # the undeflated residual |F(x)| (G itself may overflow near a known root)
        return self.base.norm(x)


def _distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact pairwise distances (the matrix-product shortcut loses ~1e-8 relative, too much for dedup)."""
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _dedup(points: torch.Tensor, priority: torch.Tensor, radius: float) -> tuple[list[int], np.ndarray]:
    """Greedy clustering: in order of ``priority`` (ascending), each point not yet taken becomes a
    representative of every untaken point within ``radius``. Returns representatives and each point's cluster."""
    if len(points) == 0:
        return [], np.zeros(0, dtype=int)
    close = (_distances(points, points) <= radius).cpu().numpy()
    cluster = np.full(len(points), -1)
    reps = []
    for i in torch.argsort(priority).tolist():
        if cluster[i] < 0:
            members = close[i] & (cluster < 0)
            cluster[members] = len(reps)
            reps.append(i)
    return reps, cluster


def _sample_trajectories(system: System, c, inputs, x: torch.Tensor, steps: int, dt: float) -> torch.Tensor:
    """``(b, steps + 1, n)`` states of trajectories from ``x (b, n)`` (a map driven by ``inputs`` or ``c``)."""
    if isinstance(system, Flow):
        from torchdiffeq import odeint

        t = torch.arange(steps + 1, dtype=system.dtype, device=system.device) * dt
        try:
            with torch.no_grad():
                traj = odeint(lambda tt, y: system.f(y, tt), x, t, method="dopri5", rtol=1e-6, atol=1e-8)
        except AssertionError as exc:  # torchdiffeq's step-size underflow: a trajectory escaped
            raise DivergenceError(f"a sampled trajectory of {system.name!r} diverged ({exc}); pass starts= "
                                  "(a tensor) or starts='box' with a box", step=0) from None
        return traj.transpose(0, 1)
    states = [x]
    with torch.no_grad():
        for i in range(steps):
            u = inputs[:, i] if inputs is not None else (None if c is None else c.expand(len(x), -1))
            x = system.f(x, u)
            states.append(x)
    return torch.stack(states, dim=1)


def _box(box, system: System) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        low, high = box
    except (TypeError, ValueError):
        raise InvalidInputError(f"box must be a pair (low, high) of scalars or ({system.dim},) tensors, "
                                f"got {box!r}") from None
    low, high = (as_tensor(b, name=f"box {w}", dtype=system.dtype, device=system.device).expand(system.dim)
                 for b, w in ((low, "low"), (high, "high")))
    if not bool((high > low).all()):
        raise InvalidInputError(f"box must be (low, high) with low < high in every coordinate, got {box!r}")
    return low, high


def _starts(system, c, inputs, starts, n_starts, box, steps, dt, gen):
    """Start states ``(S, n)``, context trajectories ``(b, T, n)`` (none for given starts or a given box),
    and the region searched before widening, ``(low, high)`` or ``None`` (unbounded)."""
    n = system.dim
    region = _box(box, system) if box is not None else None
    if not isinstance(starts, str):
        x0 = as_tensor(starts, name="starts", dtype=system.dtype, device=system.device)
        if x0.ndim == 1:
            x0 = x0.unsqueeze(0)
        check_last_dim(x0, n, name="starts", what="the state dimension")
        if x0.ndim != 2 or len(x0) == 0:
            raise InvalidInputError(f"starts has shape {tuple(x0.shape)}; give a (S, {n}) tensor of start states")
        return x0, x0.new_zeros(0, steps + 1, n), region
    if starts not in STARTS:
        raise InvalidInputError(f"starts must be one of {STARTS} or a tensor of shape (S, {n}), got {starts!r}")
    n_starts = positive_int(n_starts, name="n_starts")
    if starts == "box" and region is not None:
        low, high = region
        x0 = low + (high - low) * torch.rand(n_starts, n, generator=gen, dtype=system.dtype).to(system.device)
        return x0, x0.new_zeros(0, steps + 1, n), region
    if inputs is not None:
        n_traj, steps = inputs.shape[0], inputs.shape[1]
    else:
        n_traj = min(64, n_starts)
    traj = _sample_trajectories(system, c, inputs, system.sample_state(n_traj, gen), steps, dt)
    samples = traj.reshape(-1, n)
    samples = samples[torch.isfinite(samples).all(-1)]
    if len(samples) == 0:
        raise DivergenceError(f"every sampled trajectory of {system.name!r} diverged; pass starts= or a box",
                              step=0)
    low, high = samples.amin(0), samples.amax(0)
    if starts == "trajectories":
        x0 = samples[torch.randint(len(samples), (n_starts,), generator=gen)]
    else:
        x0 = low + (high - low) * torch.rand(n_starts, n, generator=gen, dtype=system.dtype).to(system.device)
    return x0, traj, (torch.minimum(low, x0.amin(0)), torch.maximum(high, x0.amax(0)))


def find_fixed_points(
    system,
    *,
    inputs=None,
    u_star=None,
    n_starts: int = 256,
    starts="trajectories",
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
    margin: float = 0.5,
    seed: int = 0,
    progress: bool = False,
) -> FixedPoints:
    """Fixed points ``x = step(x, u*)`` of a map or equilibria ``field(t=0, x) = 0`` of a flow, and slow points.

    Every start is solved at once by a batched trust-region dogleg method (Powell's hybrid method: Newton
    steps near a regular root, descent of ``q(x) = |F(x)|^2 / 2`` elsewhere), with analytic Jacobians where
    the system has them and ``torch.func`` ones otherwise. Then ``deflation_rounds`` times, the starts that
    fell into an already-known root are solved again with every known root deflated (Farrell et al. 2015),
    which steers them to roots not yet found. Starts that end at a local minimum of ``q`` with
    ``q <= slow_q`` are slow points (Sussillo & Barak 2013, Neural Comput. 25, 626). Points are deduplicated
    within ``dedup_tol`` (fixed) or ``slow_dedup_tol`` (slow) times the state scale (the RMS norm of the
    sampled states), and classified by the eigenvalues of the Jacobian of ``step``/``field``.

    Args:
        system: a :class:`Map` or :class:`Flow` (or a PyTorch module :func:`neurodyn.from_torch` accepts).
        inputs: ``(batch, T, m)`` input sequences that drive a map's sampled trajectories (default: the
            constant input ``u_star``).
        u_star: ``(m,)`` the constant input of a driven map at which fixed points are sought (default zeros).
        n_starts: number of starts when they are sampled.
        starts: ``"trajectories"`` (states visited by trajectories of the system from its typical initial
            states, driven by ``inputs``), ``"box"`` (uniform in ``box``), or a tensor ``(S, n)`` of starts.
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
        n_vectors: leading eigenvectors stored per point.
        eig_tol: relative distance from the stability boundary under which a point is non-hyperbolic.
        margin: the search is confined to a box, widened on each side by ``margin`` times its width:
            ``box`` if given, else the bounding box of the sampled states and starts; given starts without
            a box are not confined. Iterates that leave it are stopped (counted in ``starts["outside"]``):
            they head for solutions far outside the region the system visits, such as the saturated
            states a GRU only approaches asymptotically. ``float("inf")`` searches everywhere.
        seed: seed of the starts (the global random state is not used).
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
    margin = float(margin)
    if not margin >= 0:
        raise InvalidInputError(f"margin must be >= 0, got {margin}")
    dt = 0.1 if dt is None else positive_float(dt, name="dt")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    kind = "map" if isinstance(system, Map) else "flow"

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
    x0, traj, region = _starts(system, c, inputs, starts, n_starts, box, trajectory_steps, dt, gen)
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

    F = _Residual(system, c)
    known, known_hits = x0[:0], torch.zeros(0, dtype=torch.long)

    def merge(points, residual):
        """Add newly found roots to the known ones (known first, so they keep their identity)."""
        nonlocal known, known_hits
        allp = torch.cat([known, points])
        prio = torch.cat([torch.full((len(known),), -1.0, dtype=residual.dtype, device=residual.device), residual])
        reps, cluster = _dedup(allp, prio, dedup_tol * scale)
        weights = np.concatenate([known_hits.numpy(), np.ones(len(points), dtype=np.int64)])
        known = allp[reps]
        known_hits = torch.as_tensor(np.bincount(cluster, weights=weights, minlength=len(reps)).astype(np.int64))
        return cluster[len(allp) - len(points):]

    with progress_bar(progress, n_starts, "fixed points") as advance:
        # identical starts (trajectory samples can repeat) are solved once
        x0, inverse = torch.unique(x0, dim=0, return_inverse=True)
        common = dict(tol=tol, maxiter=maxiter, radius0=scale, max_radius=1e3 * scale, inside=inside)
        sol = solver.solve(F.solve_with_jacobian, F.solve, x0, residual=F.norm, join_radius=JOIN * scale,
                           on_finished=advance, **common)
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
        found = torch.nonzero((sol.status == solver.ROOT) & inside(sol.x)).flatten()
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
            G = _Deflated(F, known, scale)
            sol = solver.solve(G.with_jacobian, G, x0[pool], residual=G.residual, **common)
            runs.append(sol)
            ok = torch.nonzero((sol.status == solver.ROOT) & (sol.residual <= tol) & inside(sol.x)).flatten()
            merge(sol.x[ok], sol.residual[ok])
            if len(known) == n_known:
                break
            pool = pool[ok.cpu().numpy()]

    counts = {name: int((runs[0].status == code).sum()) for code, name in solver.STATUS_NAMES.items()}
    fixed_x, hits = known, known_hits

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

    def point_set(x, hit_counts):
        with torch.no_grad():
            J = system.jacobian(x, F._c(x)) if len(x) else x.new_zeros(0, n, n)
            res = torch.linalg.vector_norm(F(x), dim=-1) if len(x) else x.new_zeros(0)
        lin = linearise(J, kind, n_vectors=n_vectors, eig_tol=eig_tol)
        return PointSet(points=x, residual=res, q=0.5 * res**2, eigenvalues=lin.eigenvalues,
                        eigenvectors=lin.eigenvectors, n_unstable=lin.n_unstable, stability=lin.labels,
                        hits=hit_counts)

    fixed = point_set(fixed_x, hits)
    slow = point_set(slow_x[slow_reps] if slow_reps else slow_x[:0], slow_hits)
    settings = dict(n_starts=n_starts, starts=starts if isinstance(starts, str) else "given", tol=tol, slow_q=slow_q,
                    dedup_tol=dedup_tol, slow_dedup_tol=slow_dedup_tol, maxiter=maxiter,
                    deflation_rounds=deflation_rounds, deflation_starts=deflation_starts,
                    trajectory_steps=traj.shape[1] - 1, dt=dt if kind == "flow" else None,
                    eig_tol=eig_tol, margin=margin, seed=seed, state_scale=scale, rounds_run=len(runs),
                    iterations=[r.iterations for r in runs], jacobians=[r.jacobians for r in runs])
    return FixedPoints(fixed=fixed, slow=slow, kind=kind, system=system.name, u_star=c,
                       trajectories=traj[:8].detach(), starts=counts, status="ok" if len(fixed) else "none found",
                       settings=settings)
