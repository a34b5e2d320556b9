"""From the tallied growth to a :class:`LyapunovSpectrum`: exponents, standard errors, drift and status.

The status says ``converged`` only when the convergence diagnostic had the data to judge: a half-way estimate
taken before the end, finite standard errors, and enough re-orthonormalisations in the measured part: at least
:data:`MIN_QR_EVENTS` for a single trajectory (so that every one of the ten time blocks behind its standard
error holds growth), at least :data:`MIN_QR_EVENTS_BATCH` (two per half of the drift test) when the standard
error comes from a batch of trajectories. Otherwise it is ``too short``.
With two or more exponents the standard errors must also be below :data:`PRECISION` of the spectrum's spread
(else ``unconverged``: the estimate is returned, flagged, as it is after a drift test that fails).
With enough data, the run is ``converged`` when the drift between the estimates at ``T/2`` and ``T`` stays
within 3 standard errors or ``convergence_tol``, else ``unconverged``.
"""

from __future__ import annotations

import math
import warnings

import torch

from neurodyn.errors import ConvergenceWarning
from neurodyn.lyapunov.loop import N_BLOCKS, Tally
from neurodyn.lyapunov.plan import RunPlan
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.schedule import AUTO_TOL, longest_interval
from neurodyn.results import Status

MIN_QR_EVENTS = N_BLOCKS
MIN_QR_EVENTS_BATCH = 4
# With two or more exponents, every standard error must also be below this fraction of the spectrum's spread
# (largest minus smallest exponent): otherwise "within 3 standard errors" says nothing (Lorenz over 0.1 time
# units: standard errors 1.5 against a spread of 10, and lambda_1 = 8.7 would pass the drift test).
PRECISION = 0.1


def summarise(plan: RunPlan, tally: Tally, *, diverged_at: int | None, convergence_tol: float,
              label: str, extra: dict | None = None) -> LyapunovSpectrum:
    """The result of a run (the summary is small: it is computed on the CPU whatever device the run used);
    ``extra`` joins the result's settings (the memory the run held)."""
    B, k = tally.acc.shape
    acc, blocks = tally.acc.cpu(), tally.blocks.cpu()
    T = tally.measured * plan.time_per_step
    per_sample = acc / T
    order = torch.argsort(per_sample.mean(0), descending=True)  # QR already orders them; keep it explicit
    per_sample = per_sample[:, order] * plan.log_scale
    exponents = per_sample.mean(0)
    stderr = _stderr(plan, tally, per_sample, blocks, order)
    half_est = (tally.half.cpu().mean(0)[order] * plan.log_scale) if tally.half is not None else exponents
    drift = (exponents - half_est).abs()
    records = [r.cpu() for r in tally.records]
    history = torch.stack(records)[:, order] * plan.log_scale if records else exponents.new_zeros(0, k)
    status = _status(plan, tally, exponents, stderr, drift, diverged_at, convergence_tol)
    return LyapunovSpectrum(
        exponents=exponents, stderr=stderr, per_sample=per_sample, history=history,
        history_time=torch.tensor(tally.record_t, dtype=torch.float64), drift=drift, status=status,
        units=plan.units, system=plan.system.name, kind=plan.system.kind, method=label,
        settings=dict(plan.settings, measured_steps=tally.measured, qr_events=tally.qr_events,
                      **_schedule_settings(plan, tally), **(extra or {})),
        diverged_at=diverged_at,
    )


def _stderr(plan: RunPlan, tally: Tally, per_sample, blocks, order) -> torch.Tensor:
    """Across the batch when it has two or more members, else across the filled time blocks of one run (each
    block's rate over its own length)."""
    if per_sample.shape[0] >= 2:
        return per_sample.std(0) / math.sqrt(per_sample.shape[0])
    filled = [b for b in range(N_BLOCKS) if tally.block_steps[b] > 0]
    if len(filled) > 1:
        lengths = torch.tensor([tally.block_steps[b] * plan.time_per_step for b in filled], dtype=blocks.dtype)
        rates = blocks[filled, 0][:, order] / lengths.unsqueeze(-1) * plan.log_scale
        return rates.std(0) / math.sqrt(len(filled))
    return torch.full_like(per_sample[0], float("nan"))


def _status(plan: RunPlan, tally: Tally, exponents, stderr, drift, diverged_at, convergence_tol: float) -> Status:
    name, units = plan.system.name, plan.units
    if diverged_at is not None:
        return Status.DIVERGED
    need = MIN_QR_EVENTS if tally.acc.shape[0] == 1 else MIN_QR_EVENTS_BATCH
    if tally.qr_events < need or tally.half_at >= tally.measured or not bool(torch.isfinite(stderr).all()):
        warnings.warn(
            f"the Lyapunov run of {name!r} is too short to judge convergence: {tally.qr_events} "
            f"re-orthonormalisation(s) in {tally.measured} measured steps, at least {need} needed "
            f"{'for one trajectory' if need == MIN_QR_EVENTS else 'for a batch'}; increase steps (or lower "
            "qr_every)", ConvergenceWarning, stacklevel=5,
        )
        return Status.TOO_SHORT
    if len(stderr) >= 2 and not _precise(stderr, exponents):
        warnings.warn(
            f"the Lyapunov exponents of {name!r} are not settled: standard errors up to "
            f"{float(stderr.max()):.3g} {units}, more than {PRECISION:.0%} of the spectrum's spread, so a drift "
            "test within them would pass vacuously; increase steps", ConvergenceWarning, stacklevel=5,
        )
        return Status.UNCONVERGED
    allowed = torch.clamp(3 * stderr, min=convergence_tol)
    if bool((drift <= allowed).all()):
        return Status.CONVERGED
    warnings.warn(
        f"Lyapunov exponents of {name!r} still drift by up to {float(drift.max()):.3g} {units} between T/2 and T; "
        "increase steps", ConvergenceWarning, stacklevel=5,
    )
    return Status.UNCONVERGED


def _precise(stderr: torch.Tensor, exponents: torch.Tensor) -> bool:
    """Every standard error below :data:`PRECISION` of the spread of ``exponents``."""
    spread = float(exponents.max() - exponents.min())
    return bool((stderr <= PRECISION * spread).all())


def _schedule_settings(plan: RunPlan, tally: Tally) -> dict:
    """The ``"auto"`` schedule's tolerance, the rounding loss it predicts for this run (nats per step or time
    unit, averaged over the measured steps; see :mod:`neurodyn.lyapunov.schedule`), the longest interval it could
    take and the longest it took."""
    if plan.qr_every is not None:
        return {}
    return {"qr_tol": AUTO_TOL, "qr_loss": tally.qr_loss / max(tally.measured, 1),
            "qr_max_interval": longest_interval(plan.steps), "qr_longest_interval": tally.longest}
