"""Rigorous integration: :func:`enclose_flow` encloses ``x(t)`` and ``D phi_t(x_0)`` for batches of points or
boxes, with the C^1 Lohner method of :mod:`neurodyn.validated.lohner` on interval Taylor series
(:mod:`neurodyn.validated.taylor`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn._settings import with_options
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.validated.ivec import DOT_MAX, Arith, select
from neurodyn.validated.lohner import LohnerState, lohner_step
from neurodyn.validated.point_series import point_series
from neurodyn.validated.taylor import Series, TanhTaylor, taylor_field

_GRID = 2.0**-30  # steps are multiples of this, so the times reached are exact floats


@dataclass(frozen=True)
class FlowSettings:
    """How :func:`enclose_flow` integrates: Taylor ``order`` p, the target ``tol`` of each step's remainder
    (relative to ``1 + |x|``), the smallest step ``min_step`` (time units) before the method gives up on an
    element, the most steps ``max_steps``, the interval ``backend`` (``"fast"`` or ``"arb[:bits]"``) and
    whether to keep the per-step enclosures (``keep_tube``, on steps shared by the batch) or to let every start take
    its own steps (``own_steps``: fewer steps where the batch's starts need different ones; no tube)."""

    order: int = 12
    tol: float = 1e-15
    min_step: float = 1e-6
    max_steps: int = 100_000
    backend: str = "fast"
    keep_tube: bool = True
    own_steps: bool = False


@dataclass(frozen=True, eq=False)
class FlowEnclosure(Result):
    """Proven enclosures of ``x(t)`` and ``D phi_t`` from :func:`enclose_flow`.

    For every start ``i`` whose ``proved[i]`` is true: every solution from every state of the starting box
    ``[x0[i] - radius[i], x0[i] + radius[i]]`` exists on ``[0, t]``, ``x(t)`` lies in ``[lower[i], upper[i]]``
    and ``D phi_t`` at every state of the box lies in ``[jacobian_lower[i], jacobian_upper[i]]``
    (elementwise); over the ``k``-th step ``[times[k], times[k + 1]]`` the solutions stay in
    ``[tube_lower[k, i], tube_upper[k, i]]``. Elsewhere (``proved[i]`` false) nothing is claimed beyond
    ``reached[i]``, the time up to which the tube is proven, and the bounds are NaN.

    Attributes:
        t: the final time. x0, radius: the starting boxes ``(N, n)``. lower, upper: ``(N, n)``.
        jacobian_lower, jacobian_upper: ``(N, n, n)``. reached: ``(N,)`` times reached; proved: ``(N,)``.
        times: the step times ``(steps + 1,)`` (common to the batch; ``[0, t]`` with each start's own steps).
        tube_lower, tube_upper: ``(steps, N, n)`` (empty without ``keep_tube``). status: ``proved`` when every
        start reached ``t``, else ``not proved`` with ``reason``. backend, order, seconds, settings: how it was
        computed.
    """

    t: float
    x0: torch.Tensor
    radius: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor
    jacobian_lower: torch.Tensor
    jacobian_upper: torch.Tensor
    reached: torch.Tensor
    proved: torch.Tensor
    times: np.ndarray
    tube_lower: np.ndarray
    tube_upper: np.ndarray
    status: Status
    reason: str = ""
    backend: str = "fast"
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def width(self) -> torch.Tensor:
        """The largest width of the state enclosure per start, ``(N,)``."""
        return (self.upper - self.lower).amax(-1)

    @property
    def jacobian_width(self) -> torch.Tensor:
        """The largest width of the variational matrix's enclosure per start, ``(N,)``."""
        return (self.jacobian_upper - self.jacobian_lower).amax((-1, -2))

    def contains(self, x: torch.Tensor) -> torch.Tensor:
        """Whether the states ``x: (N, n)`` lie in the final enclosures, per start."""
        x = torch.as_tensor(x, dtype=torch.float64)
        return ((x >= self.lower) & (x <= self.upper)).all(-1)

    def __repr__(self) -> str:
        return (f"FlowEnclosure({int(self.proved.sum())} of {len(self.proved)} starts proved to t = {self.t:g}, "
                f"max width {float(self.width.nan_to_num(float('inf')).max()):.3g}, status={self.status.value!r})")

    def plot(self, ax=None, *, start: int = 0):
        """The proven tube of each coordinate of start ``start`` over time (shaded), with the final enclosure.
        Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        if len(self.tube_lower):
            for j in range(self.tube_lower.shape[-1]):
                lo = np.repeat(self.tube_lower[:, start, j], 2)
                hi = np.repeat(self.tube_upper[:, start, j], 2)
                tt = np.stack([self.times[:-1], self.times[1:]], -1).ravel()
                ax.fill_between(tt, lo, hi, color=f"C{j}", alpha=0.4, lw=0, label=f"x{j}")
        ax.set_xlabel("t")
        ax.set_ylabel("state")
        ax.set_title(f"proven enclosure ({self.status.value}, {len(self.times) - 1} steps)", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def enclose_flow(system, x0, t: float, *, radius=0.0, settings: FlowSettings | None = None,
                 strict: bool | None = None, **options) -> FlowEnclosure:
    """Proven enclosures of the solutions of ``dx/dt = F(x)`` from points or boxes, and of ``D phi_t``.

    The C^1 Lohner method (Lohner 1987; Zgliczyński 2002; see :mod:`neurodyn.validated.lohner`): per step an
    a-priori enclosure by the Picard–Lindelöf test, the interval Taylor polynomial of order ``order`` with its
    Lagrange remainder (coefficients by automatic differentiation, :mod:`neurodyn.validated.taylor`), the
    mean-value form with QR-preconditioned parallelepipeds against wrapping, and the variational matrix
    enclosed along with the state. Batched: every start advances with a common step, or with its own
    (``own_steps``), chosen so that the remainder stays below ``tol (1 + |x|)``; a start whose step would have to
    fall below ``min_step`` (step collapse, blow-up of the enclosure) is dropped, with the time it reached, and never
    claimed.

    Supported fields: ``-leak x + W_out tanh(W x + b) + b_out`` (:func:`neurodyn.tanh_field`,
    :func:`neurodyn.tanh_family` at its current parameter value, :func:`neurodyn.from_torch` of a field
    ``nn.Linear -> nn.Tanh -> nn.Linear``) and :func:`neurodyn.lorenz`; others are refused naming these forms.

    Args:
        system: a :class:`neurodyn.Flow` of a supported form.
        x0: the starting points ``(N, n)`` or ``(n,)`` (float64; the boxes' centres).
        t: the final time (time units, > 0).
        radius: the boxes' half-widths (a number or an array broadcastable to ``x0``; 0: points).
        settings: a :class:`FlowSettings` (default ``FlowSettings()``); each of its fields may also be given as a
            keyword, which replaces that field:
        order: Taylor order p (default 12). tol: target of each step's remainder (default 1e-15).
        min_step: the smallest step (time units) before a start is given up (default 1e-6).
        max_steps: the most rounds of steps, retried ones included (default 100000).
        backend: ``"fast"`` (float64 intervals, vectorised over the batch) or ``"arb"`` / ``"arb:<bits>"``
            (Arb balls, the reference; slow).
        keep_tube: keep the per-step enclosures (default True; needs the common steps).
        own_steps: every start takes its own steps (default False; needs ``keep_tube=False``): far fewer steps in
            all when the starts of a batch need different ones (a grid over a trained field). ``times`` is then
            ``[0, t]``.
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` unless every start is proved.

    Returns:
        A :class:`FlowEnclosure`.

    See also:
        :func:`neurodyn.prove_ftle` (proven FTLE intervals from the enclosed ``D phi_t``),
        :func:`neurodyn.prove_periodic_orbit`.
    """
    started = time.perf_counter()
    given = with_options(FlowSettings, settings, options, "enclose_flow",
                         arguments=("system", "x0", "t", "radius", "settings", "strict"))
    settings = FlowSettings(order=positive_int(given.order, name="order", minimum=2),
                            tol=positive_float(given.tol, name="tol"),
                            min_step=positive_float(given.min_step, name="min_step"),
                            max_steps=positive_int(given.max_steps, name="max_steps"), backend=str(given.backend),
                            keep_tube=bool(given.keep_tube), own_steps=bool(given.own_steps))
    if settings.order > DOT_MAX - 2:
        raise InvalidInputError(f"order = {settings.order} is above {DOT_MAX - 2}, the longest Taylor recurrence whose "
                                "inner products' rounding is bounded here; orders 10-16 are the useful range")
    if settings.keep_tube and settings.own_steps:
        raise InvalidInputError("own_steps=True lets every start take its own steps, so there is no tube on common "
                                "times to keep: pass keep_tube=False with it")
    ar = _arith(settings.backend)
    t = positive_float(t, name="t")
    if t > 2.0**22:
        raise InvalidInputError(f"t = {t:g} is beyond 2**22 time units, where the step grid (2**-30) no longer keeps "
                                "the times reached exact; integrate in pieces")
    field_ = taylor_field(system, ar, "enclose_flow")
    x = state_batch(x0, n=system.dim, name="x0", dtype=torch.float64, device="cpu")
    rad = _radius(radius, x)
    system.probe(x.to(system.dtype))
    run = _integrate(ar, field_, x.numpy(), rad.numpy(), t, settings)
    ok = run.reached == t
    status = Status.PROVED if ok.all() else Status.NOT_PROVED
    reason = "" if ok.all() else (f"{int((~ok).sum())} of {len(ok)} starts were given up (step below min_step = "
                                  f"{settings.min_step:g}, or the enclosure blew up) at times from "
                                  f"{float(run.reached[~ok].min()):.6g}; nothing is claimed after those times")
    as_t = torch.from_numpy
    result = FlowEnclosure(t=t, x0=x, radius=rad, lower=as_t(run.lower), upper=as_t(run.upper),
                           jacobian_lower=as_t(run.jlower), jacobian_upper=as_t(run.jupper),
                           reached=as_t(run.reached), proved=as_t(ok), times=np.array(run.times),
                           tube_lower=run.tube[0], tube_upper=run.tube[1], status=status, reason=reason,
                           backend=ar.spec, seconds=time.perf_counter() - started,
                           settings=dict(order=settings.order, tol=settings.tol, min_step=settings.min_step,
                                         max_steps=settings.max_steps, system=system.name))
    return finish(result, strict=strict, what=f"the enclosure of the flow of {system.name!r}")


def _arith(backend: str) -> Arith:
    if backend == "fast":
        return Arith("fast")
    head, _, bits = backend.partition(":")
    if head == "arb" and (not bits or (bits.isdigit() and int(bits) >= 53)):
        return Arith("arb", int(bits) if bits else 128)
    raise InvalidInputError(f"unknown interval backend {backend!r}: use 'fast' (float64 intervals) or 'arb' / "
                            "'arb:<bits>' (Arb balls, bits >= 53)")


def _radius(radius, x: torch.Tensor) -> torch.Tensor:
    try:
        rad = torch.as_tensor(radius, dtype=torch.float64).expand_as(x).clone()
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"radius must be a number or an array broadcastable to x0 {tuple(x.shape)}, got "
                                f"{radius!r}") from exc
    if not bool(torch.isfinite(rad).all()) or bool((rad < 0).any()):
        raise InvalidInputError("radius must be finite and >= 0 (the boxes' half-widths)")
    return rad


@dataclass
class _Run:
    """The integration's output arrays (filled per start as it reaches ``t`` or is given up)."""

    lower: np.ndarray
    upper: np.ndarray
    jlower: np.ndarray
    jupper: np.ndarray
    reached: np.ndarray
    times: list
    tube: tuple


@dataclass
class _Clock:
    """Per start still alive: its time ``t``, its last accepted step ``h_prev`` (NaN: none yet), the growth allowed
    over it ``grow``, and the step a retry must take ``forced`` (NaN: a fresh step)."""

    t: np.ndarray
    h_prev: np.ndarray
    grow: np.ndarray
    forced: np.ndarray

    def take(self, keep: np.ndarray) -> _Clock:
        return _Clock(self.t[keep], self.h_prev[keep], self.grow[keep], self.forced[keep])


def _integrate(ar: Arith, field_, x0: np.ndarray, rad: np.ndarray, t_end: float, s: FlowSettings) -> _Run:
    """The step loop. With ``s.own_steps`` every start has its own time and step; otherwise all share the batch's
    smallest proposal (and a tube on the common times can be kept). A step whose enclosure fails or whose remainder
    exceeds ``10 tol`` is retried from the same state with a smaller step (that start's, or the whole batch's),
    down to ``min_step``; a start that still fails there is given up with the time it reached."""
    N, n = x0.shape
    eye = np.broadcast_to(np.eye(n), (N, n, n)).copy()
    st = LohnerState(x0.copy(), eye.copy(), ar.ball(np.zeros((N, n)), rad), eye.copy(), ar.point(np.zeros((N, n, n))))
    alive = np.arange(N)
    run = _Run(np.full((N, n), np.nan), np.full((N, n), np.nan), np.full((N, n, n), np.nan),
               np.full((N, n, n), np.nan), np.zeros(N), [0.0], ([], []))
    clock = _Clock(np.zeros(N), np.full(N, np.nan), np.full(N, 1.5), np.full(N, np.nan))
    series = None
    for _ in range(s.max_steps):
        if len(alive) == 0:
            break
        if series is None:  # the state moved: the Taylor series at x̂ and over the hull X
            series = (_center_series(ar, field_, st.xhat, s.order - 1),
                      field_.series(st.hull_x(), s.order - 1, True))
        center, over = series
        proposed = _propose(center, over, st.xhat, s)
        small = np.isnan(clock.forced) & ~(proposed >= np.minimum(s.min_step, t_end - clock.t))
        if small.any():  # step collapse (NaN included): given up here
            run.reached[alive[small]] = clock.t[small]
            keep = ~small
            st, alive, clock, proposed = st.take(keep), alive[keep], clock.take(keep), proposed[keep]
            series = center, over = (Series([x[keep] for x in center.x], None),
                                     Series([x[keep] for x in over.x], [d[keep] for d in over.dx]))
            if len(alive) == 0:
                break
        fresh = np.isnan(clock.forced)
        h = np.where(fresh, _steps(proposed, clock, t_end, s.own_steps), clock.forced)
        clock.grow[fresh] = 1.5
        last = clock.t + h >= t_end
        h_iv = select(last, ar.point(np.full(len(h), t_end)) - ar.point(clock.t), ar.point(h))
        step = lohner_step(ar, field_, st, h_iv, np.where(last, h_iv.upper(), h), s.order, center, over)
        done, shrink = _judge(step, h, s)
        moved, lost = done & step.ok, done & ~step.ok
        # a retry: a smaller step from the same state, and the step after it no larger than the one that worked
        clock.forced = np.where(done, np.nan, np.maximum(np.maximum(_floor(np.minimum(h, t_end - clock.t) * shrink),
                                                                    _floor(s.min_step)), _GRID))
        clock.grow[~done] = 1.0
        if s.own_steps:  # the next step from this one's remainder: h (tol / rem)^(1/(p+1)), with a safety factor
            clock.grow = np.where(moved, np.fmin(clock.grow, _remainder_growth(step.remainder, s)), clock.grow)
        if not s.own_steps and done.all():  # shared steps: the common times, and the tube over this step
            if s.keep_tube:
                _keep(run, step.tube, alive, N, n)
            run.times.append(t_end if last[0] else float(clock.t[0] + h[0]))
        clock.t = np.where(moved, np.where(last, t_end, clock.t + h), clock.t)
        clock.h_prev = np.where(moved, h, clock.h_prev)
        run.reached[alive[lost]] = clock.t[lost]
        if moved.any():
            st, series = step.state.select(moved, st), None
        finished = moved & (clock.t >= t_end)
        if finished.any():
            xs, Vs = st.take(finished).hull()
            idx = alive[finished]
            run.lower[idx], run.upper[idx] = xs.lower(), xs.upper()
            run.jlower[idx], run.jupper[idx] = Vs.lower(), Vs.upper()
            run.reached[idx] = t_end
        if finished.any() or lost.any():
            keep = ~(finished | lost)
            st, alive, clock = st.take(keep), alive[keep], clock.take(keep)
            series = None if series is None else (
                Series([x[keep] for x in series[0].x], None),
                Series([x[keep] for x in series[1].x], [d[keep] for d in series[1].dx]))
    else:
        run.reached[alive] = clock.t
    if s.own_steps:
        run.times = [0.0, t_end]
    run.tube = (np.array(run.tube[0]).reshape(-1, N, n), np.array(run.tube[1]).reshape(-1, N, n))
    return run


def _center_series(ar: Arith, field_, xhat: np.ndarray, p: int) -> Series:
    """The Taylor series at the float points ``xhat`` to order ``p``: for tanh fields on the fast backend with one
    radius per point and coefficient (:mod:`neurodyn.validated.point_series`; the radii there are of rounding size),
    else by the field's interval recurrences."""
    if ar.name == "fast" and isinstance(field_, TanhTaylor):
        return point_series(field_, ar, xhat, p)
    return field_.series(ar.point(xhat), p, False)


def _judge(step, h: np.ndarray, s: FlowSettings):
    """Which elements' steps are done (accepted, or at ``min_step``, where a failed enclosure gives the start up),
    and the factor by which the others' steps shrink: a quarter after a failed enclosure, else the step that would
    meet ``tol``. Shared steps are done, or shrink, together."""
    ok, rem = step.ok, step.remainder
    p = s.order
    if s.own_steps:
        done = (h <= s.min_step) | (ok & (rem <= 10 * s.tol))
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(ok, np.minimum(0.9, 0.9 * (s.tol / rem) ** (1.0 / p)), 0.25)
        return done, shrink
    worst = float(np.max(rem[ok], initial=0.0))
    done = bool(np.all(h <= s.min_step)) or (bool(ok.all()) and worst <= 10 * s.tol)
    shrink = 0.25 if not ok.all() else min(0.9, 0.9 * (s.tol / worst) ** (1.0 / p))
    return np.full(len(h), done), np.full(len(h), shrink)


def _remainder_growth(rem: np.ndarray, s: FlowSettings) -> np.ndarray:
    """The factor ``0.9 (tol / rem)^(1/(p+1))`` on an accepted step that brings the next one's remainder near
    ``0.9^(p+1) tol`` (the standard step-size controller; the remainder over the a-priori enclosure grows faster than
    ``h^p`` as the enclosure widens with ``h``): the remainders of a start's steps stay even, and few are retried."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.9 * (s.tol / rem) ** (1.0 / (s.order + 1))


def _keep(run: _Run, tube, alive: np.ndarray, N: int, n: int) -> None:
    lo, hi = np.full((N, n), np.nan), np.full((N, n), np.nan)
    lo[alive], hi[alive] = tube.lower(), tube.upper()
    run.tube[0].append(lo)
    run.tube[1].append(hi)


def _floor(h):
    return np.floor(np.asarray(h) / _GRID) * _GRID


def _propose(center, over, xhat: np.ndarray, s: FlowSettings) -> np.ndarray:
    """Per start, the smaller of the steps ``(tol (1 + |x|) / |x_{p-1}|)^(1/(p-1))`` and ``(tol / |D x_{p-1}|)^(1
    / (p - 1))`` (the variational matrix's), in time units, from the coefficients at ``x̂`` and over the set."""
    scale = s.tol * (1.0 + np.max(np.abs(xhat), axis=-1))
    p = s.order
    terms = ((np.max(center.x[p - 1].abs_upper(), axis=-1), scale, p - 1),
             (np.max(over.dx[p - 1].abs_upper(), axis=(-1, -2)), s.tol, p - 1))
    h = np.full(len(xhat), np.inf)
    for a, target, k in terms:
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.minimum(h, np.where(a > 0, (target / a) ** (1.0 / k), np.inf))
    return 0.9 * h


def _steps(proposed: np.ndarray, clock: _Clock, t_end: float, own: bool) -> np.ndarray:
    """Each element's fresh step: its proposal (or the batch's smallest; with its own steps, half of it for the
    first), at most ``grow`` times its last step (the remainder over the a-priori enclosure, not the proposal,
    often limits it), on the time grid (or all that is left)."""
    h = proposed if own else np.full(len(proposed), proposed.min())
    if own:  # a start's first step: half its proposal (the remainder over the a-priori enclosure is not known yet)
        h = np.where(np.isnan(clock.h_prev), 0.5 * h, h)
    h = np.fmin(h, clock.grow * clock.h_prev)
    left = t_end - clock.t
    return np.where(h >= left, left, np.maximum(_floor(h), _GRID))
