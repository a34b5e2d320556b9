"""The settings of a fixed-point search, checked once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError

# tol is refused above this fraction of the state scale (the RMS norm of the sampled states and starts): a
# looser "root" is no root at all (every state of x -> x + 1 would pass tol = 10) and points that close
# would be merged anyway (dedup_tol is 1e-6 of the scale)
MAX_RELATIVE_TOL = 1e-3


@dataclass(frozen=True)
class SearchSettings:
    """Settings of :func:`neurodyn.find_fixed_points` (every one is also a keyword argument of it).

    Attributes:
        n_starts: starts of the first wave when they are sampled.
        tol: a point is a fixed point when ``|F(x)|_2 <= tol`` (state units per step, or per unit time); at most
            ``MAX_RELATIVE_TOL = 1e-3`` times the state scale.
        slow_q: largest ``q = |F|^2 / 2`` of a reported slow point.
        dedup_tol, slow_dedup_tol: relative distances (to the state scale) under which two fixed (slow) points
            are the same point.
        maxiter: solver iterations per start.
        deflation_rounds: deflated re-solves of the starts that found known roots (0 switches deflation off).
        deflation_starts: how many of the starts that fell into each known root are re-solved with deflation.
        trajectory_steps: length of each sampled trajectory (steps; for flows, samples ``dt`` apart).
        dt: time between trajectory samples of a flow (default 0.1 time units).
        n_vectors: leading eigenvectors stored per point (at most ``n``).
        eig_tol: relative distance from the stability boundary under which a point is non-hyperbolic.
        margin: how far (in widths of the searched box) iterates may leave it (default 0.5 for maps, ``inf`` for
            flows).
        seed: seed of the starts and of the order in which they are admitted.
        patience: the search stops once this many waves of new starts in a row found no new root (saturated).
        count_box: ``None`` (default), or a box ``(low, high)`` (scalars or ``(n,)`` bounds): only new roots inside
            it count for the wave test above (roots outside are still returned). For a modified field whose
            zeros outside the box are artefacts of the modification (``neurodyn.critical_points``).
        max_starts: budget of starts over all waves (default ``4 * n_starts``); reached while waves still find
            roots, the result says "may be incomplete".
        progress: show a progress bar over the starts as they finish.
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` instead of returning a "may be incomplete"
            result (default ``None``: raise only where there is no answer; see :func:`neurodyn.results.finish`).
    """

    n_starts: int = 256
    tol: float = 1e-10
    slow_q: float = 1e-6
    dedup_tol: float = 1e-6
    slow_dedup_tol: float = 1e-3
    maxiter: int = 200
    deflation_rounds: int = 1
    deflation_starts: int = 4
    trajectory_steps: int = 200
    dt: float | None = None
    n_vectors: int = 6
    eig_tol: float = 1e-8
    margin: float | None = None
    seed: int = 0
    patience: int = 2
    count_box: tuple | None = None
    max_starts: int | None = None
    progress: bool = False
    strict: bool | None = None

    @classmethod
    def of(cls, settings: SearchSettings | None, options: dict) -> SearchSettings:
        """``settings`` (default: the defaults) with the keyword ``options`` replacing fields; unknown names are
        refused."""
        base = settings if settings is not None else cls()
        if not isinstance(base, SearchSettings):
            raise InvalidInputError(f"settings must be a SearchSettings, got {type(base).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InvalidInputError(f"find_fixed_points got unknown argument(s) {unknown}; the settings are "
                                    f"{sorted(names)}")
        return dataclasses.replace(base, **options)

    def checked(self, kind: str, name: str) -> SearchSettings:
        """The settings validated for a system of ``kind`` ("map"/"flow") called ``name``, defaults filled in."""
        if self.dt is not None and kind == "map":
            raise InvalidInputError(f"dt applies to flows (time between trajectory samples); {name!r} is a map")
        margin = (0.5 if kind == "map" else float("inf")) if self.margin is None else float(self.margin)
        if not margin >= 0:
            raise InvalidInputError(f"margin must be >= 0, got {margin}")
        n_starts = positive_int(self.n_starts, name="n_starts")
        max_starts = 4 * n_starts if self.max_starts is None else positive_int(self.max_starts, name="max_starts")
        floats = {k: positive_float(getattr(self, k), name=k)
                  for k in ("tol", "slow_q", "dedup_tol", "slow_dedup_tol", "eig_tol")}
        ints = {k: positive_int(getattr(self, k), name=k, minimum=0 if k == "deflation_rounds" else 1)
                for k in ("maxiter", "deflation_rounds", "deflation_starts", "trajectory_steps", "n_vectors",
                          "patience")}
        return dataclasses.replace(
            self, **floats, **ints, n_starts=n_starts, max_starts=max_starts, margin=margin,
            seed=positive_int(self.seed, name="seed", minimum=0),
            dt=0.1 if self.dt is None else positive_float(self.dt, name="dt"),
            progress=bool(self.progress), strict=None if self.strict is None else bool(self.strict))

    def check_tol(self, scale: float) -> None:
        """Refuse a ``tol`` too loose for ``|F| <= tol`` to mean a root at this state ``scale``."""
        if self.tol > MAX_RELATIVE_TOL * scale:
            raise InvalidInputError(
                f"tol = {self.tol:g} is too loose to call a point a fixed point: it must be at most "
                f"{MAX_RELATIVE_TOL:g} times the state scale {scale:.3g} (the RMS norm of the sampled states), "
                f"i.e. <= {MAX_RELATIVE_TOL * scale:.3g}; for approximate points use slow_q (slow points)")
