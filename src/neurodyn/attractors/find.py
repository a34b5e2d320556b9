"""The driver: :func:`attractors`."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from neurodyn._checks import positive_int
from neurodyn._progress import progress_bar
from neurodyn.attractors.classify import Classification, classify
from neurodyn.attractors.grouping import Group, group_starts
from neurodyn.attractors.orbit import periodic_orbit_of
from neurodyn.attractors.result import Attractor, Attractors
from neurodyn.attractors.sampling import Trajectories, check_field, check_system, integrate, starting_states
from neurodyn.attractors.settings import AttractorSettings
from neurodyn.results import Status, finish

CLOUD_POINTS = 500  # recorded points kept per attractor for plots


def attractors(system, starts=None, *, box=None, count: int = 256, seed: int = 0,
               settings: AttractorSettings | None = None, strict: bool | None = None, progress: bool = False,
               **options) -> Attractors:
    """The attractors of an autonomous flow ``dx/dt = f(x)`` reached from many starts, their basins and their kinds.

    Algorithm: (1) integrate every start for ``transient`` time units in one batch (the library's integrators,
    :class:`~neurodyn.integrate.VariationalIntegrator`; ``dt``, ``method``), then record ``samples`` points of each
    trajectory over ``window`` time units: a sample of its omega-limit set. (2) Group the starts by attractor
    (:mod:`neurodyn.attractors.grouping`): equilibria by the Newton-polished location the trajectories end at
    (the fixed-point search's solver), other attractors by comparing the recorded point clouds both ways with a
    distance relative to the attractor's size. (3) Classify each attractor by the signs of its Lyapunov spectrum
    (:func:`~neurodyn.lyapunov_spectrum` averaged over up to ``lyapunov_batch`` members, QR method, Benettin et
    al. 1980), each sign decided against ``sigmas`` standard errors and a zero band
    (:mod:`neurodyn.attractors.classify`): equilibrium (all exponents negative), limit cycle (one zero, the rest
    negative), torus (two or more zero), chaotic (``lambda_1 > 0``); anything undecided is ``"unknown"`` with a
    status that says what is missing. (4) For a limit cycle, estimate the period from the window's return times
    and refine the orbit by single shooting (:func:`neurodyn.continuation.orbits.shoot_at`, Newton on
    ``phi_T(x0) - x0 = 0`` with a phase condition), giving a :class:`~neurodyn.PeriodicOrbit` with its Floquet
    multipliers, the input a proof of the orbit takes.

    Only flows: a map's periodic orbits and invariant circles need other tests (a limit cycle has one zero
    exponent only in continuous time); a :class:`~neurodyn.Map` raises :class:`~neurodyn.InvalidInputError`.

    Args:
        system: an autonomous :class:`~neurodyn.Flow` (e.g. :func:`~neurodyn.from_torch` of a neural-ODE field).
        starts: ``(B, n)`` starting states. Without it, ``count`` starts uniform in ``box`` (a pair ``(low, high)``
            of numbers or ``(n,)`` vectors, state units) drawn with ``seed``, or, without a box, ``count`` states
            from the system's own sampler (seeded by ``seed``). count: 256. seed: 0 (also seeds the Lyapunov frames).
        settings: an :class:`AttractorSettings` (defaults there: ``dt=0.01``, ``transient=100``, ``window=50``,
            ``lyapunov_time=200`` time units, ...); its fields may also be given as keywords (``transient=20.0``).
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` unless every attractor is decided; ``None``
            (default) and ``False`` return the result with its status (see :func:`neurodyn.results.finish`).
        progress: show a progress bar over the integration (and the Lyapunov runs' own bars).

    Returns:
        :class:`Attractors`: one :class:`Attractor` per attractor, largest basin first, each with its kind, status,
        members, basin fraction (with its binomial standard error), exponents with standard errors, and an
        equilibrium's location or a limit cycle's periodic orbit.

    Raises:
        InvalidInputError: not a flow, a time-dependent field, starts of the wrong shape, a bad box or setting.
        NonFiniteError: non-finite starts or a field that returns NaN/inf at them.

    See also:
        :func:`~neurodyn.lyapunov_spectrum`, :func:`~neurodyn.find_fixed_points`, :func:`~neurodyn.periodic_orbit`.
    """
    system = check_system(system)
    s = AttractorSettings.resolve(settings, options)
    seed = positive_int(seed, name="seed", minimum=0)
    x0 = starting_states(system, starts, box, count, seed)
    check_field(system, x0)
    total = s.steps(s.transient) + s.steps(s.window)
    with progress_bar(progress, total, f"attractors of {system.name}") as bar:
        traj = integrate(system, x0, s, tick=bar)
    groups = sorted(group_starts(system, traj, s), key=lambda g: (-len(g.members), int(g.members[0])))
    found = []
    for i, g in enumerate(groups):
        verdict = (classify(system, traj.path, g, s, seed, progress) if i < s.max_attractors else
                   _unclassified(len(groups), s))
        found.append(_attractor(traj, g, verdict, system, s))
    labels = torch.full((len(x0),), -1, dtype=torch.long)
    items = []
    for i, a in enumerate(found):
        labels[a.members] = i
        items.append(replace(a, index=i))
    if not items:
        status = Status.NONE_FOUND
    else:
        status = Status.CONVERGED if all(a.status == Status.CONVERGED for a in items) else Status.UNCONVERGED
    result = Attractors(attractors=tuple(items), starts=x0.detach().cpu(), labels=labels, escaped=traj.escaped.cpu(),
                        escaped_fraction=float(traj.escaped.float().mean()), status=status, system=system.name,
                        settings=dict(s.as_dict(), count=len(x0), seed=seed, sample_spacing=traj.spacing))
    return finish(result, strict=strict, what=f"the attractors of {system.name!r}")


def _unclassified(groups: int, s: AttractorSettings) -> Classification:
    return Classification("unknown", Status.UNCONVERGED, f"not classified: the starts split into {groups} groups, "
                          f"more than max_attractors = {s.max_attractors} (trajectories that have not settled: "
                          "increase transient; or a continuum of equilibria)", "", math.nan, None)


def _attractor(traj: Trajectories, group: Group, verdict: Classification, system, s: AttractorSettings) -> Attractor:
    """Assemble one group's :class:`Attractor` from its ``verdict`` (index set later)."""
    spec = verdict.spectrum
    first = traj.path[int(group.members[0])]
    cloud = first[:: max(1, len(first) // CLOUD_POINTS)]
    orbit = periodic_orbit_of(system, first, traj.spacing, s) if verdict.kind == "limit cycle" else None
    if verdict.kind == "limit cycle":
        verdict = _with_orbit(verdict, orbit, s)
    B, m = len(traj.starts), len(group.members)
    p = m / B
    empty = traj.path.new_zeros(0)
    return Attractor(index=-1, kind=verdict.kind, status=verdict.status, reason=verdict.reason,
                     members=group.members.cpu(), basin_fraction=p, basin_stderr=math.sqrt(p * (1 - p) / B),
                     exponents=empty if spec is None else spec.exponents, stderr=empty if spec is None else spec.stderr,
                     signs=verdict.signs, zero_tol=verdict.zero_tol, spectrum=spec,
                     point=None if group.point is None else group.point.detach().cpu(), residual=group.residual,
                     eigenvalues=None if group.eigenvalues is None else group.eigenvalues.detach().cpu(),
                     orbit=orbit, cloud=cloud.detach().cpu(),
                     size=float(torch.linalg.vector_norm(first.max(0).values - first.min(0).values)))


def _with_orbit(verdict: Classification, orbit, s: AttractorSettings) -> Classification:
    """A limit cycle's verdict with what its periodic orbit says: without an orbit (no return in the window) the
    status is ``too short``, with an orbit whose shooting stopped above ``orbit_tol`` it is ``failed`` (an already
    flagged status is kept); the reason says which."""
    if orbit is None:
        why = ("no periodic orbit: the recorded window holds no return to its last point (increase window to more "
               "than a period)")
        status = Status.TOO_SHORT
    elif orbit.status != Status.CONVERGED:
        why = (f"the periodic orbit's shooting stopped at residual {orbit.residual:.3g} above orbit_tol = "
               f"{s.orbit_tol:g} after orbit_maxiter = {s.orbit_maxiter} iterations (increase steps_per_period or "
               "orbit_maxiter)")
        status = Status.FAILED
    else:
        return verdict
    return replace(verdict, status=status if verdict.status.ok else verdict.status, reason=f"{verdict.reason}; {why}")
