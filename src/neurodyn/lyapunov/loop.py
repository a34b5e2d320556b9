"""The QR (Benettin) loop: push the state and the tangent frame, re-orthonormalise, tally the growth.

Loop state lives in two small records: :class:`Trajectory` (state, frame, step count, current interval) and
:class:`Tally` (growth summed over the measured part, per time block, and the running history).

Re-orthonormalising every ``q`` steps loses the weakest direction when the growth spread over the interval,
``s = log(R_11 / R_kk)``, approaches what the floating-point format resolves: the computed ``R_kk`` carries a
relative error of about ``u * exp(s)`` (``u`` the unit roundoff), and at ``s ~ -ln u`` (36 nats in float64) the
last columns of ``J^q Q`` are rounding noise along the first. The loop therefore requires ``s`` below
:func:`collapse_spread` (``-ln(u) / 2``: at least half the digits of ``R_kk`` survive, an error below ``1.5e-8``
per interval in float64) after every interval longer than one step; a fixed ``qr_every`` that breaks it raises.
The ``"auto"`` schedule (:mod:`neurodyn.lyapunov.schedule`) instead bounds the loss ``2 sqrt(m) u e^s`` per interval
against a tolerance and redoes an interval that overshot it one step at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from neurodyn.errors import InvalidInputError
from neurodyn.lyapunov.plan import RunPlan
from neurodyn.lyapunov.schedule import AUTO_TOL, MIN_INTERVALS, OVERSHOOT, QRLoss, growth_spread, longest_interval

N_BLOCKS = MIN_INTERVALS  # time blocks of a single trajectory's standard error
MAX_RECORDS = 1000
CHECK_EVERY = 64  # steps between finiteness checks on accelerators


def collapse_spread(dtype: torch.dtype) -> float:
    """Largest growth spread (nats) allowed between two re-orthonormalisations: ``-ln(u) / 2``."""
    return -0.5 * math.log(torch.finfo(dtype).eps)


def renormalise(Q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Orthonormalise the frame ``A = Q``: ``A = Q' R``; returns ``(Q', log|R_ii|)`` with shapes ``(B, m, k)``,
    ``(B, k)``.

    ``R`` comes from Householder QR (``geqrf``; its diagonal is read off the compact factor), ``Q' = A R^-1`` from
    one triangular solve, which costs ``m k^2`` flops at matrix-multiply speed where forming ``Q'`` from the
    reflectors (``orgqr``) costs twice that at LAPACK's slower panel speed (sixteen 256 x 256 frames, one thread:
    10 against 16 ms, plus a row-major copy). ``Q'`` is then orthonormal to about ``u e^s`` (``s`` the growth
    spread of ``A``), the same order as the rounding error of ``R``'s smallest diagonal entries that the
    re-orthonormalisation schedule already bounds (:mod:`neurodyn.lyapunov.schedule`), and the next interval's
    QR removes it again: it does not accumulate.
    """
    if Q.shape[-1] == 1:
        norm = torch.linalg.vector_norm(Q, dim=-2)
        return Q / norm.unsqueeze(-1), torch.log(norm)
    a, _ = torch.geqrf(Q)
    R = a[..., :Q.shape[-1], :]  # R is the upper triangle: LAPACK's triangular solve never reads the reflectors
    if Q.device.type != "cpu":  # below it; other backends get R alone
        R = R.triu()
    log_r = torch.log(torch.diagonal(R, dim1=-2, dim2=-1).abs())
    return torch.linalg.solve_triangular(R, Q, upper=True, left=False), log_r


class Diverged(Exception):
    """A state or the frame became non-finite; ``step`` counts from the start of the run, ``knob`` names the
    argument whose lowering is the likely cure."""

    def __init__(self, step: int, what: str, knob: str):
        super().__init__(what)
        self.step, self.what, self.knob = step, what, knob


@dataclass
class Trajectory:
    """Where the run is: state ``x: (B, n)``, frame ``Q: (B, m, k)``, steps done ``i``, current QR interval."""

    x: torch.Tensor
    Q: torch.Tensor
    i: int
    interval: int


@dataclass
class Tally:
    """Growth ``log|R_ii|`` summed over the measured part: in total, per time block (for a single trajectory's
    standard error), at the half-way point (for the drift test), and every ``record_every`` steps."""

    steps: int  # measured steps planned
    time_per_step: float
    acc: torch.Tensor  # (B, k)
    blocks: torch.Tensor  # (N_BLOCKS, B, k)
    block_steps: list[int] = field(default_factory=lambda: [0] * N_BLOCKS)
    half: torch.Tensor | None = None  # (B, k) rate at the first re-orthonormalisation past T/2
    half_at: int = 0
    measured: int = 0
    qr_events: int = 0
    qr_loss: float = 0.0  # the "auto" schedule's predicted rounding loss summed over the measured intervals
    longest: int = 0  # the longest measured interval
    last_record: int = 0
    records: list[torch.Tensor] = field(default_factory=list)
    record_t: list[float] = field(default_factory=list)

    @classmethod
    def empty(cls, plan: RunPlan) -> Tally:
        B, k = plan.x.shape[0], plan.Q0.shape[-1]
        return cls(steps=plan.steps, time_per_step=plan.time_per_step, acc=plan.x.new_zeros(B, k),
                   blocks=plan.x.new_zeros(N_BLOCKS, B, k))

    def add(self, growth: torch.Tensor, n_steps: int) -> None:
        start = self.measured
        self.acc = self.acc + growth
        b = min(N_BLOCKS - 1, start * N_BLOCKS // self.steps)
        self.blocks[b] += growth
        self.block_steps[b] += n_steps
        self.measured = start + n_steps
        self.qr_events += 1
        self.longest = max(self.longest, n_steps)
        if self.half is None and self.measured * 2 >= self.steps:
            self.half, self.half_at = self.acc / (self.measured * self.time_per_step), self.measured
        if self.measured - self.last_record >= max(1, self.steps // MAX_RECORDS) or self.measured == self.steps:
            self.last_record = self.measured
            self.records.append(self.acc.mean(0) / (self.measured * self.time_per_step))
            self.record_t.append(self.measured * self.time_per_step)


def run_state_only(plan: RunPlan, traj: Trajectory, n: int, tick) -> None:
    """``n`` steps of the state alone (the transient)."""
    every_step = traj.x.device.type == "cpu"
    for j in range(n):
        traj.x = plan.integ.advance(traj.x, None, traj.i)[0]
        traj.i += 1
        if every_step or traj.i % CHECK_EVERY == 0 or j == n - 1:
            _check_state(plan, traj.x, traj.i, every_step)
        tick(traj.i)


def run_with_frame(plan: RunPlan, traj: Trajectory, n: int, tally: Tally | None, tick) -> None:
    """``n`` steps of state and frame, re-orthonormalised every ``traj.interval`` steps and at the end; the
    growth is added to ``tally`` unless it is ``None`` (the frame-alignment phase)."""
    every_step = traj.x.device.type == "cpu"
    limit = collapse_spread(traj.Q.dtype)
    model = QRLoss.for_run(traj.Q.shape[-2], traj.Q.dtype, plan.time_per_step)
    longest = longest_interval(plan.steps)
    done = 0
    while done < n:
        todo = min(traj.interval, n - done)
        x, Q, i = traj.x, traj.Q, traj.i
        for j in range(todo):
            x, Q = plan.integ.advance(x, Q, i)
            i += 1
            if every_step or i % CHECK_EVERY == 0 or j == todo - 1:
                _check_state(plan, x, i, every_step)
        Q, growth = renormalise(Q)
        if not bool(torch.isfinite(growth).all()):
            if plan.qr_every is None and todo > 1:  # "auto": a step collapsed a direction; redo one step at a time
                traj.interval = 1
                continue
            traj.x, traj.Q, traj.i = x, Q, i
            raise Diverged(i, *_frame_failure(plan, todo))
        loss = 0.0
        if plan.qr_every is None:  # "auto": one step cannot be shortened, a longer interval may be redone
            spread = growth_spread(growth)
            loss = model.loss(spread, todo)
            if todo > 1 and loss > OVERSHOOT * AUTO_TOL:
                traj.interval = 1  # the spread rate jumped: redo this stretch from its start, one step per interval
                continue
            if todo == traj.interval:
                traj.interval = model.next_interval(spread, todo, traj.interval, longest=longest)
        elif todo > 1 and (spread := growth_spread(growth)) > limit:
            raise _collapse_error(plan, todo, spread, limit)
        traj.x, traj.Q, traj.i = x, Q, i
        done += todo
        if tally is not None:
            tally.add(growth, todo)
            tally.qr_loss += loss * todo
        tick(traj.i)


def _check_state(plan: RunPlan, x: torch.Tensor, i: int, every_step: bool) -> None:
    if not bool(torch.isfinite(x).all()):
        what = ("the state became non-finite (NaN/inf)" if every_step else
                f"the state became non-finite (NaN/inf) within the {CHECK_EVERY} steps before")
        knob = ("lower dt (or the tolerances), or check x0 and the parameters" if plan.is_flow else
                "check x0, the inputs and the parameters (the map's orbit escapes to infinity)")
        raise Diverged(i, what, knob)


def _frame_failure(plan: RunPlan, todo: int) -> tuple[str, str]:
    """Message and cure when the frame's growth over ``todo`` steps is non-finite."""
    if todo > 1:
        return (f"the tangent frame over- or underflowed in the {todo} steps since the last re-orthonormalisation",
                f"lower qr_every (now {plan.settings['qr_every']}) so that the frame is re-orthonormalised before "
                "its growth leaves the floating-point range")
    what = "the tangent frame became non-finite (NaN/inf; a Jacobian that is singular or overflows)"
    return what, ("lower dt, or check x0 and the parameters" if plan.is_flow else "check x0 and the parameters")


def _collapse_error(plan: RunPlan, todo: int, spread: float, limit: float) -> InvalidInputError:
    if spread < 1.8 * limit:  # measured, not saturated: the spread grows about linearly with the interval
        cure = f"about {max(1, int(todo * limit / spread))} keeps the spread in range"
    else:  # the weakest directions are pure rounding: the true spread is larger than measured
        cure = "the true spread is larger than measured, so start from 1"
    return InvalidInputError(
        f"{plan.system.name!r}: the tangent directions grew apart by {spread:.3g} nats (or more) in the {todo} steps "
        f"between two re-orthonormalisations, beyond the {limit:.3g} nats {plan.Q0.dtype} resolves, so the weakest "
        f"directions were lost to rounding and the exponents would be wrong; lower qr_every (now {plan.qr_every}; "
        f"{cure}) or pass qr_every='auto'"
    )
