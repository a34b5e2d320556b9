"""Rigorous integration: :func:`enclose_flow` encloses ``x(t)`` and ``D phi_t(x_0)`` for batches of points or
boxes, with the C^1 Lohner method of :mod:`neurodyn.validated.lohner` on interval Taylor series
(:mod:`neurodyn.validated.taylor`)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.validated.ivec import Arith
from neurodyn.validated.lohner import LohnerState, lohner_step
from neurodyn.validated.taylor import Series, taylor_field

_GRID = 2.0**-30  # steps are multiples of this, so the times reached are exact floats


@dataclass(frozen=True)
class FlowSettings:
    """How :func:`enclose_flow` integrates: Taylor ``order`` p, the target ``tol`` of each step's remainder
    (relative to ``1 + |x|``), the smallest step ``min_step`` (time units) before the method gives up on an
    element, the most steps ``max_steps``, the interval ``backend`` (``"fast"`` or ``"arb[:bits]"``) and
    whether to keep the per-step enclosures (``keep_tube``)."""

    order: int = 12
    tol: float = 1e-15
    min_step: float = 1e-6
    max_steps: int = 100_000
    backend: str = "fast"
    keep_tube: bool = True


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
        times: the step times ``(steps + 1,)`` (common to the batch). tube_lower, tube_upper:
        ``(steps, N, n)`` (empty without ``keep_tube``). status: ``proved`` when every start reached ``t``,
        else ``not proved`` with ``reason``. backend, order, seconds, settings: how it was computed.
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


def enclose_flow(system, x0, t: float, *, radius=0.0, order: int = 12, tol: float = 1e-15, min_step: float = 1e-6,
                 max_steps: int = 100_000, backend: str = "fast", keep_tube: bool = True,
                 strict: bool | None = None) -> FlowEnclosure:
    """Proven enclosures of the solutions of ``dx/dt = F(x)`` from points or boxes, and of ``D phi_t``.

    The C^1 Lohner method (Lohner 1987; Zgliczyński 2002; see :mod:`neurodyn.validated.lohner`): per step an
    a-priori enclosure by the Picard–Lindelöf test, the interval Taylor polynomial of order ``order`` with its
    Lagrange remainder (coefficients by automatic differentiation, :mod:`neurodyn.validated.taylor`), the
    mean-value form with QR-preconditioned parallelepipeds against wrapping, and the variational matrix
    enclosed along with the state. Batched: every start advances with a common step (chosen so that the
    remainder stays below ``tol (1 + |x|)``); a start whose step would have to fall below ``min_step`` (step
    collapse, blow-up of the enclosure) is dropped, with the time it reached, and never claimed.

    Supported fields: ``-leak x + W_out tanh(W x + b) + b_out`` (:func:`neurodyn.tanh_field`,
    :func:`neurodyn.tanh_family` at its current parameter value, :func:`neurodyn.from_torch` of a field
    ``nn.Linear -> nn.Tanh -> nn.Linear``) and :func:`neurodyn.lorenz`; others are refused naming these forms.

    Args:
        system: a :class:`neurodyn.Flow` of a supported form.
        x0: the starting points ``(N, n)`` or ``(n,)`` (float64; the boxes' centres).
        t: the final time (time units, > 0).
        radius: the boxes' half-widths (a number or an array broadcastable to ``x0``; 0: points).
        order: Taylor order p (default 12). tol: target of each step's remainder (default 1e-15).
        min_step: the smallest step (time units) before a start is given up (default 1e-6).
        max_steps: the most steps (default 100000). backend: ``"fast"`` (float64 intervals, vectorised over
            the batch) or ``"arb"`` / ``"arb:<bits>"`` (Arb balls, the reference; slow).
        keep_tube: keep the per-step enclosures (default True).
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` unless every start is proved.

    Returns:
        A :class:`FlowEnclosure`.

    See also:
        :func:`neurodyn.prove_ftle` (proven FTLE intervals from the enclosed ``D phi_t``),
        :func:`neurodyn.prove_periodic_orbit`.
    """
    started = time.perf_counter()
    settings = FlowSettings(order=positive_int(order, name="order", minimum=2), tol=positive_float(tol, name="tol"),
                            min_step=positive_float(min_step, name="min_step"),
                            max_steps=positive_int(max_steps, name="max_steps"), backend=str(backend),
                            keep_tube=bool(keep_tube))
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


def _integrate(ar: Arith, field_, x0: np.ndarray, rad: np.ndarray, t_end: float, s: FlowSettings) -> _Run:
    """The step loop: common steps for the starts still alive, halving on failure down to ``min_step``."""
    N, n = x0.shape
    eye = np.broadcast_to(np.eye(n), (N, n, n)).copy()
    st = LohnerState(x0.copy(), eye.copy(), ar.ball(np.zeros((N, n)), rad), eye.copy(), ar.point(np.zeros((N, n, n))))
    alive = np.arange(N)
    run = _Run(np.full((N, n), np.nan), np.full((N, n), np.nan), np.full((N, n, n), np.nan),
               np.full((N, n, n), np.nan), np.zeros(N), [0.0], ([], []))
    t_now, h, grow = 0.0, None, 1.5
    for _ in range(s.max_steps):
        if t_now >= t_end or len(alive) == 0:
            break
        center = field_.series(ar.point(st.xhat), s.order, False)
        over = field_.series(st.hull_x(), s.order - 1, True)
        proposed = _propose(center, over, st.xhat, s)
        small = ~(proposed >= min(s.min_step, t_end - t_now))  # step collapse (NaN included): given up here
        if small.any():
            run.reached[alive[small]] = t_now
            keep = ~small
            st, alive, proposed = st.take(keep), alive[keep], proposed[keep]
            center = Series([x[keep] for x in center.x], None)
            over = Series([x[keep] for x in over.x], [d[keep] for d in over.dx])
            if len(alive) == 0:
                break
        h = _common_step(proposed, h, t_end - t_now, grow)
        grow = 1.5
        while True:
            last = t_now + h >= t_end
            h_iv = ar.point(t_end) - t_now if last else ar.point(h)
            h_hi = float(np.max(h_iv.upper())) if last else h
            step = lohner_step(ar, field_, st, h_iv, h_hi, s.order, center, over)
            worst = float(np.max(step.remainder[step.ok], initial=0.0))
            if h <= s.min_step or (step.ok.all() and worst <= 10 * s.tol):
                break
            # a failed enclosure: a quarter of the step; a remainder above tol: the step that would meet it
            shrink = 0.25 if not step.ok.all() else min(0.9, 0.9 * (s.tol / worst) ** (1.0 / s.order))
            h = max(_floor(min(h, t_end - t_now) * shrink), _floor(s.min_step), _GRID)
            grow = 1.0  # the next step starts from the one that worked
        run.reached[alive[~step.ok]] = t_now
        if s.keep_tube:
            _keep(run, step.tube, alive, N, n)
        t_now = t_end if last else t_now + h
        run.times.append(t_now)
        st, alive = step.state.take(step.ok), alive[step.ok]
        if last:
            break
    else:
        run.reached[alive] = t_now
        alive = alive[:0]
    if len(alive):
        xs, Vs = st.hull_x(), st.Vhat + st.B @ st.R
        run.lower[alive], run.upper[alive] = xs.lower(), xs.upper()
        run.jlower[alive], run.jupper[alive] = Vs.lower(), Vs.upper()
        run.reached[alive] = t_end
    run.tube = (np.array(run.tube[0]).reshape(-1, N, n), np.array(run.tube[1]).reshape(-1, N, n))
    return run


def _keep(run: _Run, tube, alive: np.ndarray, N: int, n: int) -> None:
    lo, hi = np.full((N, n), np.nan), np.full((N, n), np.nan)
    lo[alive], hi[alive] = tube.lower(), tube.upper()
    run.tube[0].append(lo)
    run.tube[1].append(hi)


def _floor(h: float) -> float:
    return math.floor(h / _GRID) * _GRID


def _propose(center, over, xhat: np.ndarray, s: FlowSettings) -> np.ndarray:
    """Per start, the step ``min_k (tol (1 + |x|) / |x_k|)^(1/k)`` over ``k = p - 1, p``, and ``(tol / |D x_{p-1}|)^(1
    / (p - 1))`` for the variational matrix (time units)."""
    scale = s.tol * (1.0 + np.max(np.abs(xhat), axis=-1))
    p = s.order
    terms = ((np.max(center.x[p - 1].abs_upper(), axis=-1), scale, p - 1),
             (np.max(center.x[p].abs_upper(), axis=-1), scale, p),
             (np.max(over.dx[p - 1].abs_upper(), axis=(-1, -2)), s.tol, p - 1))
    h = np.full(len(xhat), np.inf)
    for a, target, k in terms:
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.minimum(h, np.where(a > 0, (target / a) ** (1.0 / k), np.inf))
    return 0.9 * h


def _common_step(h: np.ndarray, h_prev: float | None, left: float, grow: float) -> float:
    """The batch's step: the smallest proposal, at most ``grow`` times the last step (the remainder over the
    a-priori enclosure, not the proposal, often limits it), on the time grid (or all that is left)."""
    h = float(h.min())
    if h_prev is not None:
        h = min(h, grow * h_prev)
    return left if h >= left else max(_floor(h), _GRID)
