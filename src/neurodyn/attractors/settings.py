"""The settings of an attractor search, in one record, and how a driver's keyword shorthands replace them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError


@dataclass(frozen=True)
class AttractorSettings:
    """Every setting of :func:`neurodyn.attractors` (times in the flow's time units, distances in state units).

    Integration:
        dt: step of the integrator (0.01). method: a fixed-step scheme of :mod:`neurodyn.integrate`
            (``"rk4"``, default) or an adaptive one (``"dopri5"``; then ``dt`` is the output interval).
        transient: time integrated from every start before anything is recorded (100), so that the
            trajectories reach their omega-limit sets.
        window: time over which each trajectory is then recorded (50): long enough for one trajectory to visit all
            of its attractor (a chaotic attractor that a window covers only in part can split into several groups
            of the same kind) and to hold a full period of a cycle. samples: points recorded per start in the window
            (1000; spacing ``window / samples``, which must stay well below ``match_tol`` times an attractor's size).
        escape: a trajectory whose norm exceeds this (1e6) or becomes non-finite counts as escaped (unbounded).

    Grouping:
        match_tol: two recorded trajectories belong to one attractor when the ``match_quantile`` quantile of the
            distances from the points of each to the nearest recorded point of the other is at most
            ``match_tol`` times the attractor's size (0.1; attractors closer to each other than that are not told
            apart); match_quantile: 0.9.
        eq_tol: a trajectory sits at an equilibrium when it ends within ``eq_tol * scale`` of a Newton-polished
            equilibrium (``scale = 1 + max |x|`` over the final states; 1e-6), or contracts towards a stable one.
        newton_tol: residual ``|f(x*)|`` at which an equilibrium counts as found (1e-10).
        max_attractors: most groups classified (32, largest basins first); the others are reported as ``unknown``
            with status ``unconverged`` (many groups mean trajectories that have not settled, or a continuum of
            equilibria such as a line attractor, where every start ends somewhere else).

    Classification:
        lyapunov_time: measured time of each attractor's Lyapunov run (200); tangent_transient: time for the
            frame to align first (20). lyapunov_batch: most members whose trajectories the spectrum is averaged
            over (8; the standard error is across them, or across time blocks for a single member).
            qr_every: steps between re-orthonormalisations (1).
        sigmas: with ``e = sigmas * stderr + drift`` (the drift between the estimates at half and full time), an
            exponent is positive (negative) when ``lambda - e > zero_tol`` (``lambda + e < -zero_tol``), zero when
            ``|lambda| <= e + zero_tol`` with ``e <= zero_tol``, undecided otherwise (3).
        zero_tol: the band of exponents that count as zero (nats per time unit); ``None`` (default): for each
            attractor ``(1 + ln(max |f| / min |f|)) / lyapunov_time`` over its recorded points, the finite-time
            bias of the neutral exponent (the flow direction ``f(x(t))`` is an exact tangent solution whose growth
            over any time is ``ln(|f(x(t))| / |f(x(0))|)``, plus an O(1) frame alignment), and ``1 / lyapunov_time``
            at an equilibrium.

    Periodic orbits:
        steps_per_period: RK4 steps per period in the shooting refinement (1000). orbit_tol: its Newton tolerance
            on ``|phi_T(x0) - x0|`` (1e-10); orbit_maxiter: its Newton iterations (30).
    """

    dt: float = 0.01
    method: str = "rk4"
    transient: float = 100.0
    window: float = 50.0
    samples: int = 1000
    escape: float = 1e6
    match_tol: float = 0.1
    match_quantile: float = 0.9
    eq_tol: float = 1e-6
    newton_tol: float = 1e-10
    max_attractors: int = 32
    lyapunov_time: float = 200.0
    tangent_transient: float = 20.0
    lyapunov_batch: int = 8
    qr_every: int = 1
    sigmas: float = 3.0
    zero_tol: float | None = None
    steps_per_period: int = 1000
    orbit_tol: float = 1e-10
    orbit_maxiter: int = 30

    @classmethod
    def resolve(cls, settings: AttractorSettings | None, options: dict) -> AttractorSettings:
        """``settings`` (default: the defaults) with the fields named in ``options`` replaced, each checked."""
        if settings is not None and not isinstance(settings, AttractorSettings):
            raise InvalidInputError(f"settings must be an AttractorSettings, got {type(settings).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InvalidInputError(f"attractors got unexpected keyword argument(s) {unknown}; the settings are "
                                    f"{sorted(names)}")
        s = replace(settings or cls(), **options)
        floats = {k: positive_float(getattr(s, k), name=k) for k in
                  ("dt", "transient", "window", "escape", "match_tol", "eq_tol", "newton_tol", "lyapunov_time",
                   "sigmas", "orbit_tol")}
        ints = {k: positive_int(getattr(s, k), name=k) for k in
                ("samples", "max_attractors", "lyapunov_batch", "qr_every", "steps_per_period", "orbit_maxiter")}
        tangent = float(s.tangent_transient)
        if not tangent >= 0:
            raise InvalidInputError(f"tangent_transient must be a time >= 0, got {s.tangent_transient!r}")
        if not 0 < float(s.match_quantile) <= 1:
            raise InvalidInputError(f"match_quantile must lie in (0, 1], got {s.match_quantile!r}")
        zero = None if s.zero_tol is None else positive_float(s.zero_tol, name="zero_tol")
        if ints["samples"] < 8:
            raise InvalidInputError(f"samples must be at least 8 points per start, got {s.samples}")
        if floats["window"] < 2 * floats["dt"] or floats["lyapunov_time"] < 10 * floats["dt"]:
            raise InvalidInputError(f"window ({s.window}) must span at least 2 steps and lyapunov_time "
                                    f"({s.lyapunov_time}) at least 10 steps of dt = {s.dt}")
        return replace(s, **floats, **ints, tangent_transient=tangent, match_quantile=float(s.match_quantile),
                       zero_tol=zero)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def steps(self, time: float) -> int:
        """Steps of ``dt`` that cover ``time`` (at least one)."""
        return max(1, round(time / self.dt))
