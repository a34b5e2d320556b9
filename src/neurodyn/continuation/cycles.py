"""The family of periodic orbits born at a Hopf point, continued in the parameter by pseudo-arclength single
shooting, with its folds, period doublings and Neimark–Sacker points."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from neurodyn import _linalg
from neurodyn._checks import positive_float, positive_int
from neurodyn._compat import renamed
from neurodyn.continuation.core import ContinuationSettings, Corrected, Corrector, Point, Trace, locate, tangent, trace
from neurodyn.continuation.hopf import HopfPoint
from neurodyn.continuation.orbits import (
    OrbitSummary,
    Shot,
    checked_hopf,
    normal_form_start,
    shoot,
    shoot_at,
    summarise,
)
from neurodyn.errors import ConvergenceError, InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.systems.protocol import Flow

CYCLE_LABELS = {"fold": "LPC", "branch": "BPC", "period-doubling": "PD", "neimark-sacker": "NS"}


@dataclass(frozen=True, eq=False)
class CycleEvent(Result):
    """A bifurcation of the periodic orbits: ``kind`` "fold" (fold of cycles, LPC: the branch turns in the
    parameter and a multiplier passes +1), "branch" (a multiplier passes +1 without a turn), "period-doubling"
    (one passes -1) or "neimark-sacker" (a complex pair leaves the unit circle). ``value``, ``period``,
    ``amplitude``, ``max_norm``, ``x0`` and ``multipliers`` describe the orbit at the event, located between orbits
    ``index`` and ``index + 1`` of the branch (by regula falsi on the branch's tangent or on ``|mu| - 1``)."""

    kind: str
    value: float
    period: float
    amplitude: float
    max_norm: float
    x0: torch.Tensor
    multipliers: torch.Tensor
    index: int


@dataclass(frozen=True, eq=False)
class OrbitBranch(Result):
    """A branch of periodic orbits ``x(t + T) = x(t)`` in one parameter, from a Hopf point.

    Attributes (``m`` orbits, state dimension ``n``):
        param: the parameter's name. values: ``(m,)`` its values. periods: ``(m,)`` ``T`` (time units).
        amplitudes: ``(m,)`` ``max_t |x(t) - x_eq|``, the largest Euclidean distance (state units) of the orbit
            from the equilibrium ``x_eq`` it surrounds (``centres``; the Hopf equilibrium followed by Newton).
            Near a Hopf point it grows like ``sqrt(|alpha - alpha*|)``.
        max_norms: ``(m,)`` ``max_t |x(t)|``, the measure the bifurcation diagram uses next to ``|x_eq|``.
        minima, maxima: ``(m, n)`` the range of each coordinate over the orbit.
        x0: ``(m, n)`` a point on each orbit. centres: ``(m, n)`` the equilibria inside them.
        multipliers: ``(m, n)`` Floquet multipliers, the trivial one (~1) first, the rest by decreasing modulus.
        stable: ``(m,)`` all non-trivial multipliers inside the unit circle.
        special: :class:`CycleEvent` s in the order met. hopf: the :class:`HopfPoint` the branch starts from.
        status: why it stopped: "reached stop", "left interval" (turned back past the Hopf point),
            "amplitude -> 0" (it shrank onto an equilibrium, e.g. another Hopf point), "period > max_period"
            (e.g. nearing a homoclinic orbit), "max_points" or "step too small".
    """

    param: str
    values: torch.Tensor
    periods: torch.Tensor
    amplitudes: torch.Tensor
    max_norms: torch.Tensor
    minima: torch.Tensor
    maxima: torch.Tensor
    x0: torch.Tensor
    centres: torch.Tensor
    multipliers: torch.Tensor
    stable: torch.Tensor
    special: list
    status: Status
    system: str
    hopf: HopfPoint
    settings: dict = field(default_factory=dict)

    @property
    def stability(self) -> str:
        """``"stable"``, ``"unstable"`` or ``"mixed"``: the orbits' stability by their Floquet multipliers."""
        st = self.stable.tolist()
        return "stable" if all(st) else "unstable" if not any(st) else "mixed"

    def __repr__(self) -> str:
        events = ", ".join(f"{CYCLE_LABELS[e.kind]} at {e.value:.6g}" for e in self.special) or "no events"
        return (f"OrbitBranch({self.system}: {len(self.values)} orbits from the Hopf point at {self.param} = "
                f"{self.hopf.value:.6g} to {float(self.values[-1]):.6g}, period {float(self.periods[0]):.4g} .. "
                f"{float(self.periods[-1]):.4g}, {events}, status={self.status!r})")

    def plot(self, ax=None, *, quantity: str = "amplitude", coordinate: int | None = None):
        """The branch against the parameter: ``quantity`` "amplitude", "norm" (``max_t |x(t)|``) or "period", or
        with ``coordinate`` the maximum and minimum of that coordinate over each orbit; stable orbits solid,
        unstable dashed, events marked (LPC, BPC, PD, NS). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.5))
        self.draw(ax, quantity=quantity, coordinate=coordinate)
        ax.set_xlabel(self.param)
        ax.set_ylabel(f"x{coordinate + 1} (max, min)" if coordinate is not None else
                      {"amplitude": "max |x(t) - x_eq|", "norm": "max |x(t)|", "period": "period"}[quantity])
        ax.set_title(f"Periodic orbits of {self.system}", fontsize=10)
        return ax

    def draw(self, ax, *, quantity: str = "norm", coordinate: int | None = None, color: str = "C1") -> None:
        """Draw the branch on ``ax``, starting from its Hopf point (amplitude 0), for :meth:`plot` and
        ``Branch.plot(orbits=...)``."""
        if coordinate is None and quantity not in ("amplitude", "norm", "period"):
            raise InvalidInputError(f"quantity must be 'amplitude', 'norm' or 'period', got {quantity!r}")
        a = [self.hopf.value] + self.values.tolist()
        st = [bool(self.stable[0])] + self.stable.tolist()
        x = self.hopf.x
        if coordinate is not None:
            ys = [(float(x[coordinate]),) * 2] + list(zip(self.maxima[:, coordinate].tolist(),
                                                          self.minima[:, coordinate].tolist(), strict=True))
        else:
            birth = {"amplitude": 0.0, "norm": float(x.norm()), "period": 2 * math.pi / self.hopf.omega}[quantity]
            column = {"amplitude": self.amplitudes, "norm": self.max_norms, "period": self.periods}[quantity]
            ys = [(birth,)] + [(v,) for v in column.tolist()]
        for i in range(len(a) - 1):
            for y0, y1 in zip(ys[i], ys[i + 1], strict=True):
                ax.plot(a[i:i + 2], [y0, y1], color=color, ls="-" if st[i] and st[i + 1] else "--", lw=1.5)
        for e in self.special:
            if coordinate is not None:
                y = float(self.maxima[e.index:e.index + 2, coordinate].mean())
            else:
                y = {"amplitude": e.amplitude, "norm": e.max_norm, "period": e.period}[quantity]
            ax.plot(e.value, y, "s", color="C4", ms=5)
            ax.annotate(CYCLE_LABELS[e.kind], (e.value, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        born = round(self.hopf.value, 10) + 0.0
        ax.plot([], [], color=color, label=f"cycles from H at {born:.4g} (unstable dashed)")


ORBIT_SETTINGS = ContinuationSettings(step=0.05, min_step=1e-6, max_step=0.5, max_points=200, tol=1e-10, maxiter=10,
                                      easy=3)


def continue_periodic_orbits(system: Flow, hopf: HopfPoint, *, stop: float, param: str | None = None,
                             first: float | None = None, steps_per_period: int | None = None,
                             max_period: float | None = None, strict: bool | None = None,
                             settings: ContinuationSettings | None = None, **options) -> OrbitBranch:
    """Continue the periodic orbits born at ``hopf`` in the parameter, from the Hopf point towards ``stop``.

    The first orbit is :func:`neurodyn.periodic_orbit`'s (normal-form predictor, shooting corrector) at
    ``alpha* + first`` on the side where the cycles exist (``first`` defaults to the offset where the normal form
    predicts an amplitude of ``step``). Then pseudo-arclength continuation (Keller 1977) in the unknowns
    ``u = (x0, T, alpha)``: predict ``u + h t`` along the unit tangent and correct with Newton on

        phi(x0; T, alpha) - x0 = 0,   f(x0_prev) . (x0 - x0_prev) = 0,   t . (u - u_pred) = 0

    (single shooting, RK4 with ``steps_per_period`` steps per period, the exact derivatives of the scheme in
    ``x0``, ``T`` and ``alpha``; a Poincaré phase condition on the previous orbit). The step grows by 1.3 after an easy
    correction and halves after a failed one. Between two orbits:

    - fold of cycles ("fold", LPC): the tangent's parameter component changes sign; located where it vanishes;
    - a non-trivial Floquet multiplier crosses the unit circle: at +1 without a turn "branch", at -1
      "period-doubling", a complex pair "neimark-sacker"; located where its modulus is 1.

    Both by regula falsi along the step (a corrector per evaluation). The branch goes on through them.

    Args:
        system: a :class:`neurodyn.Flow` (autonomous) whose ``params`` hold the parameter.
        hopf: a :class:`HopfPoint` of ``system`` (from :func:`neurodyn.find_hopf_points` or ``Branch.special``).
        stop: where to stop, on the side of ``hopf.value`` where the cycles are born (``-crossing / l1 > 0``:
            above). param: the parameter's name (default and only allowed value: ``hopf.param``).
        first: parameter offset of the first orbit from the Hopf point. steps_per_period: RK4 steps per period
            (default 1000; the trivial multiplier is 1 to ``O((T/steps_per_period)^4)``; ``steps=`` is its deprecated
            old name). max_period: stop when the period exceeds it (default 20 periods ``2 pi / omega``).
            strict: ``True`` raises when the branch ends with a status that is not ok
            (default ``None``: raise only where there is no answer; see :func:`neurodyn.results.finish`).
        settings: a :class:`~neurodyn.continuation.ContinuationSettings` (default ``step=0.05, min_step=1e-6,
            max_step=0.5, max_points=200, tol=1e-10, maxiter=10``, growth after at most 3 iterations); the keyword
            shorthands ``step``, ``min_step``, ``max_step`` (arclength steps in ``(x0, T, alpha)``), ``max_points``
            (most orbits), ``tol`` and ``maxiter`` (Newton) replace single fields.

    Returns:
        :class:`OrbitBranch` with amplitudes, periods, Floquet multipliers, stability and events.

    Raises:
        InvalidInputError: not a flow, no such parameter, a HopfPoint of another parameter or system, ``stop`` on
            the side without cycles, or no convergence at the first orbit.

    See also:
        :func:`neurodyn.periodic_orbit`, :meth:`neurodyn.Branch.plot` with ``orbits=``.
    """
    G = checked_hopf(system, hopf, param, "continue_periodic_orbits")
    side = 1.0 if -hopf.crossing / hopf.l1 > 0 else -1.0
    stop = float(stop)
    if (stop - hopf.value) * side <= 0:
        raise InvalidInputError(f"the periodic orbits born at {hopf.param} = {hopf.value:.6g} (l1 = {hopf.l1:.3g}, "
                                f"crossing speed {hopf.crossing:.3g}) exist for {hopf.param} "
                                f"{'>' if side > 0 else '<'} {hopf.value:.6g}: give stop on that side, not {stop}")
    steps = renamed("continue_periodic_orbits", "steps", options.pop("steps", None), "steps_per_period",
                    steps_per_period, default=1000)  # steps=: the deprecated name, taken from the keywords
    settings = ContinuationSettings.resolve(ORBIT_SETTINGS, settings, options, "continue_periodic_orbits")
    steps = positive_int(steps, name="steps_per_period")
    max_period = 40 * math.pi / hopf.omega if max_period is None else positive_float(max_period, name="max_period")
    system.probe(hopf.x.to(dtype=system.dtype, device=system.device))
    if first is None:  # amplitude 2 rho |Re q| = step, rho^2 = -crossing first / (omega l1)
        first = (settings.step / (2 * float(hopf.q.real.norm()))) ** 2 * abs(hopf.omega * hopf.l1 / hopf.crossing)
    first = min(positive_float(first, name="first"), abs(stop - hopf.value))
    problem = OrbitProblem(G=G, n=system.dim, steps_per_period=steps, side=side, origin=hopf.value, target=stop,
                           max_period=max_period, settings=settings)
    start, first = _first_orbit(problem, hopf, first, system.dtype, system.device)
    out = trace(problem, start, settings)
    branch = _branch(out, hopf, system.name,
                     settings=dict(stop=stop, first=first, steps_per_period=steps, max_period=max_period,
                                   **settings.as_dict()))
    return finish(branch, strict=strict, what=f"the periodic orbits of {system.name!r} from {hopf!r}")


@dataclass(frozen=True)
class OrbitData:
    """What a point of an orbit branch keeps: the integration over one period and the orbit's summary."""

    shot: Shot
    summary: OrbitSummary


@dataclass(frozen=True)
class OrbitProblem:
    """Periodic orbits in the unknowns ``u = (x0, T, alpha)`` for :func:`~neurodyn.continuation.core.trace`:
    single shooting ``phi(x0; T, alpha) - x0 = 0`` with a Poincaré phase condition on the previous orbit; events
    are folds of cycles and Floquet multipliers crossing the unit circle."""

    G: Callable
    n: int
    steps_per_period: int
    side: float  # +1: the orbits exist above the Hopf point
    origin: float  # the Hopf point's parameter value
    target: float  # the parameter value to head for
    max_period: float
    settings: ContinuationSettings

    def rows(self, u, shot):
        """The Jacobian ``(n + 1, n + 2)`` of ``(phi - x0, f(x0) . x0)`` in ``u = (x0, T, alpha)`` (phase on ``u``)."""
        n = self.n
        eye = torch.eye(n, dtype=u.dtype, device=u.device)
        top = torch.cat([shot.M - eye, shot.dT[:, None], shot.da[:, None]], 1)
        return torch.cat([top, torch.cat([self.G(u[:n], u[n + 1]), u.new_zeros(2)])[None]])

    def corrector(self, prev: Point) -> Corrector:
        n, u = self.n, prev.u
        normal = self.G(u[:n], u[n + 1])
        eye = torch.eye(n, dtype=u.dtype, device=u.device)

        def residual(w):
            shot = shoot(self.G, w[:n], float(w[n]), w[n + 1], self.steps_per_period)
            return torch.cat([shot.end - w[:n], (normal @ (w[:n] - u[:n]))[None]]), shot

        def jacobian(w, shot):
            return torch.cat([torch.cat([shot.M - eye, shot.dT[:, None], shot.da[:, None]], 1),
                              torch.cat([normal, u.new_zeros(2)])[None]])

        # T -> 0 solves the equations trivially
        return Corrector(residual, jacobian, admissible=lambda w: 0.5 * float(u[n]) < float(w[n]) < float("inf"))

    def summarise(self, u, shot, centre) -> OrbitSummary:
        return summarise(self.G, shot, u[self.n + 1], centre, tol=self.settings.tol, maxiter=self.settings.maxiter)

    def point(self, prev: Point, new: Corrected) -> Point:
        return Point(new.u, tangent(self.rows(new.u, new.context), prev.tangent),
                     OrbitData(new.context, self.summarise(new.u, new.context, prev.data.summary.centre)))

    def events(self, prev: Point, new: Point, h: float, index: int, found: list) -> list:
        return _events(self, prev, new, h, index)

    def stop(self, first: Point, new: Point, found: list):
        a, lo, hi = float(new.u[self.n + 1]), min(self.origin, self.target), max(self.origin, self.target)
        if not lo <= a <= hi:
            return (Status.REACHED_STOP if (a - self.target) * self.side >= 0 else Status.LEFT_INTERVAL), True
        if new.data.summary.amplitude < 0.5 * first.data.summary.amplitude:
            return Status.AMPLITUDE_ZERO, True
        if float(new.u[self.n]) > self.max_period:
            return Status.PERIOD_TOO_LONG, True
        return None, True


def _first_orbit(pb: OrbitProblem, hopf: HopfPoint, first: float, dtype, device) -> tuple[Point, float]:
    """The first orbit by :func:`neurodyn.periodic_orbit`'s predictor and corrector at ``alpha* + first``, shrinking
    ``first`` (the normal form holds for small amplitudes only) up to three times; its tangent points outwards.
    Returns the point and the offset used."""
    for _ in range(4):
        a1 = torch.tensor(hopf.value + pb.side * first, dtype=dtype, device=device)
        guess, T = normal_form_start(pb.G, hopf, float(a1), dtype, device)
        out = shoot_at(pb.G, guess, T, a1, steps=pb.steps_per_period, tol=pb.settings.tol,
                       maxiter=3 * pb.settings.maxiter)
        if out.converged:
            break
        first /= 8
    else:
        J = torch.func.jacfwd(pb.G)(hopf.x.to(dtype=dtype, device=device), a1)
        growth = math.exp(min(700.0, float(_linalg.eigvals(J).real.max()) * out.period))
        why = (f"; the other unstable directions grow by ~{growth:.1g} over one period, too much for single "
               "shooting" if growth > 1e6 else "")
        raise ConvergenceError(f"shooting for the first orbit at {hopf.param} = {float(a1):.6g} did not converge "
                               f"(residual {out.residual:.2g} > tol = {pb.settings.tol:g}){why}: pass a smaller "
                               "first= or more steps_per_period=")
    u = torch.cat([out.x0, out.x0.new_tensor([out.period]), a1.reshape(1)])
    summary = pb.summarise(u, out.shot, hopf.x.to(dtype=dtype, device=device))
    t = torch.linalg.svd(pb.rows(u, out.shot)).Vh[-1]
    if float(t[:pb.n] @ (out.x0 - summary.centre)) < 0:  # outwards: growing amplitude
        t = -t
    return Point(u, t, OrbitData(out.shot, summary)), first


def _critical(multipliers: torch.Tensor) -> torch.Tensor:
    """The non-trivial multiplier nearest the unit circle."""
    rest = multipliers[1:]
    return rest[torch.argmin((rest.abs() - 1).abs())]


def _outside(multipliers: torch.Tensor) -> int:
    return int((multipliers[1:].abs() > 1).sum())


def _events(pb: OrbitProblem, prev: Point, new: Point, h: float, index: int) -> list[CycleEvent]:
    """A fold of cycles (the tangent's parameter component changes sign) and a multiplier crossing the unit
    circle, each located by regula falsi along the step, in the order met."""
    n, t, t_w = pb.n, prev.tangent, new.tangent
    s_u, s_w = prev.data.summary, new.data.summary
    corrector = pb.corrector(prev)
    found = []
    fold = float(t[n + 1]) * float(t_w[n + 1]) < 0
    if fold:
        def ta(c):
            return float(tangent(pb.rows(c.u, c.context), t)[n + 1]), c

        s, c = locate(corrector, prev, h, ta, float(t[n + 1]), float(t_w[n + 1]), pb.settings)
        found.append((s, _event(pb, "fold", c, new, index)))
    if _outside(s_u.multipliers) != _outside(s_w.multipliers):
        mu = _critical(s_w.multipliers)
        real = abs(float(mu.imag)) <= 1e-6 * max(1.0, float(mu.abs()))
        kind = ("branch" if float(mu.real) > 0 else "period-doubling") if real else "neimark-sacker"
        if not (fold and kind == "branch"):  # at a fold of cycles a multiplier passes +1 anyway
            def modulus(c):
                return float(_critical(pb.summarise(c.u, c.context, s_u.centre).multipliers).abs()) - 1, c

            s, c = locate(corrector, prev, h, modulus, float(_critical(s_u.multipliers).abs()) - 1,
                          float(mu.abs()) - 1, pb.settings)
            found.append((s, _event(pb, kind, c, new, index)))
    return [e for _, e in sorted(found, key=lambda item: item[0])]


def _event(pb: OrbitProblem, kind: str, located: Corrected | None, new: Point, index: int) -> CycleEvent:
    """The event at the ``located`` orbit, or at the orbit ``new`` when locating failed."""
    n = pb.n
    if located is None:
        w, s = new.u, new.data.summary
    else:
        w, s = located.u, pb.summarise(located.u, located.context, new.data.summary.centre)
    return CycleEvent(kind=kind, value=float(w[n + 1]), period=float(w[n]), amplitude=s.amplitude,
                      max_norm=s.max_norm, x0=w[:n].detach().cpu(), multipliers=s.multipliers.detach().cpu(),
                      index=index)


def _branch(out: Trace, hopf: HopfPoint, name: str, *, settings: dict) -> OrbitBranch:
    U = torch.stack([p.u for p in out.points]).detach().cpu()
    S = [p.data.summary for p in out.points]
    n = U.shape[1] - 2

    def stack(key):
        return torch.stack([getattr(s, key) for s in S]).detach().cpu()

    return OrbitBranch(param=hopf.param, values=U[:, n + 1], periods=U[:, n],
                       amplitudes=torch.tensor([s.amplitude for s in S], dtype=U.dtype),
                       max_norms=torch.tensor([s.max_norm for s in S], dtype=U.dtype), minima=stack("minima"),
                       maxima=stack("maxima"), x0=U[:, :n], centres=stack("centre"),
                       multipliers=stack("multipliers"), stable=torch.tensor([s.stable for s in S]),
                       special=out.events, status=out.status, system=name, hopf=hopf, settings=settings)
