"""Memory and time a fixed-point search will need, estimated before it runs."""

from __future__ import annotations

import time
import warnings

import torch

from neurodyn._resources import available_bytes
from neurodyn.errors import InvalidInputError

# Floats held per start and state dimension while the batch is solved (iterate, residual, Newton step,
# gradient, their trial and output copies), and per start besides (radius, marks, status, counters):
# measured 390 MiB peak for one wave of 10^6 starts of the Henon map (n = 2), 428 MiB for three; 53 floats per
# start by this count.
FLOATS_PER_DIM, FLOATS_PER_START = 20, 13
# Seconds per start and residual evaluation, times this many (and 1 + n/32 for the Jacobians), estimate one wave's
# solve to within a factor of ~5 (measured on a loaded 2-core machine, one wave each: the Henon map with 10^5 and
# 10^6 starts, 1.6x and 1.2x under; a trained GRU with n = 128, 1024 and 4096 starts, 2.7x and 5x over; a random
# tanh RNN with n = 300, 2.5x under); a search estimated over LONG_RUN seconds without a progress bar warns.
EVALUATIONS_PER_START, LONG_RUN = 180.0, 300.0


def estimate_bytes(starts: int, n: int, dtype: torch.dtype) -> int:
    """Peak memory of solving ``starts`` starts of dimension ``n`` at once (Jacobians come in bounded chunks)."""
    return starts * (FLOATS_PER_DIM * n + FLOATS_PER_START) * torch.finfo(dtype).bits // 8


def check_memory(starts: int, n: int, dtype: torch.dtype, device: torch.device, *, name: str) -> None:
    """Refuse a search of ``starts`` starts whose estimated memory exceeds 80% of what is free, naming
    ``n_starts`` and how far to lower it."""
    need, free = estimate_bytes(starts, n, dtype), available_bytes(device)
    if free is not None and need > 0.8 * free:
        raise InvalidInputError(
            f"finding the fixed points of {name!r} from {starts} starts needs about {need / 2**30:.1f} GiB of memory, "
            f"more than the {free / 2**30:.1f} GiB free; lower n_starts (or give fewer starts) to at most "
            f"{int(0.8 * free) // (need // starts)}")


def warn_if_long(fun, x0: torch.Tensor, starts: int, *, progress: bool, name: str) -> None:
    """Warn when the estimated time of a search of up to ``starts`` starts (from one timed evaluation of the residual
    ``fun`` on up to 4096 of the starts ``x0``) passes a few minutes without a progress bar."""
    sample = x0[:4096]
    t0 = time.perf_counter()
    with torch.no_grad():
        fun(sample)
    seconds = (time.perf_counter() - t0) / len(sample) * starts * EVALUATIONS_PER_START * (1 + x0.shape[-1] / 32)
    if seconds > LONG_RUN and not progress:
        warnings.warn(f"finding the fixed points of {name!r} from up to {starts} starts could take about "
                      f"{seconds / 60:.0f} min (estimated); pass progress=True to follow it, or lower n_starts",
                      UserWarning, stacklevel=3)
