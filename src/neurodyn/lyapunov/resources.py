"""What a Lyapunov run will cost, checked before it starts: memory from the array sizes, time from timed steps."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._resources import GIB, available_bytes
from neurodyn.errors import InvalidInputError
from neurodyn.integrate.tableau import TABLEAUX

SLOW_RUN_SECONDS = 180.0  # warn (without a progress bar) when a run is predicted to take longer


def working_frames(method: str | None) -> int:
    """How many frame-sized arrays ``(batch, n, k)`` a run keeps alive at its peak (an upper estimate).

    A map step holds the frame, its image ``J Q``, the dense Jacobian blocks of a recurrent cell and the
    arrays of the QR (Householder factor, the new ``Q`` and its row-major copy); drawing the first frame
    holds three more. Measured peaks of GRU/LSTM runs (hidden 256-512, batch 8-16) were 6-8 frames above
    the interpreter's own memory: 8. A fixed-step Runge–Kutta step of ``s`` stages adds its stage values:
    ``s + 8``; an adaptive solver keeps its stages, error estimate and interpolant: 16.
    """
    if method is None:
        return 8
    tab = TABLEAUX.get(method)
    return tab.stages + 8 if tab is not None else 16


def estimate_bytes(system, *, batch: int, k: int, method: str | None) -> int:
    """Peak memory of a run: ``working_frames * batch * n * k`` numbers, plus a dense Jacobian ``batch * n * n``
    per evaluation when the system has an analytic Jacobian but no structured push-forward."""
    n, item = system.dim, torch.empty((), dtype=system.dtype).element_size()
    numbers = working_frames(method) * batch * n * k + 4 * batch * n
    if system.has_analytic_jacobian and system.frame_push_forward is None:
        numbers += batch * n * n
    return numbers * item


def check_memory(system, *, batch: int, k: int, method: str | None, records: int) -> int:
    """Raise :class:`~neurodyn.InvalidInputError` when the run would need more memory than is free, saying how
    much, why, and which argument to lower; returns the estimate in bytes."""
    need = estimate_bytes(system, batch=batch, k=k, method=method) + records * k * 8
    free = available_bytes(system.device)
    if free is None or need <= free:
        return need
    fit_k = max(0, math.floor(k * free / need))
    fit_batch = max(0, math.floor(batch * free / need))
    raise InvalidInputError(
        f"the Lyapunov run of {system.name!r} needs about {need / GIB:.3g} GiB ({working_frames(method)} working "
        f"copies of a {batch} x {system.dim} x {k} tangent frame of {system.dtype}) but only {free / GIB:.3g} GiB "
        f"is free on {system.device}; lower k (the number of exponents: about {fit_k} fit) or the batch of "
        f"sequences/initial states (about {fit_batch} fit), or use a smaller dtype"
    )


@dataclass
class RunMeter:
    """Advances the progress bar (when there is one) and otherwise times the first steps of a run, warning once
    when the whole run would take more than :data:`SLOW_RUN_SECONDS`."""

    total: int
    label: str
    bar: Callable[[int], None] | None = None
    shown: int = 0
    started: float | None = None
    first: int = 0
    judged: bool = False

    def tick(self, steps_done: int) -> None:
        """Call after each chunk of work with the number of steps done so far."""
        if self.bar is not None:
            if steps_done - self.shown >= 64 or steps_done == self.total:
                self.bar(steps_done - self.shown)
                self.shown = steps_done
        elif not self.judged:
            self._judge(steps_done)

    def _judge(self, steps_done: int) -> None:
        now = time.perf_counter()
        if self.started is None:  # the first step pays one-time costs: time from its end
            self.started, self.first = now, steps_done
            return
        elapsed, steps = now - self.started, steps_done - self.first
        if elapsed < 0.5 and steps_done < self.total:
            return
        self.judged = True
        per_step = elapsed / max(steps, 1)
        predicted = per_step * (self.total - self.first)
        if predicted > SLOW_RUN_SECONDS:
            warnings.warn(f"{self.label} will take about {predicted / 60:.0f} minutes ({self.total} steps at "
                          f"{1e3 * per_step:.3g} ms each); pass progress=True to follow it, or fewer steps",
                          UserWarning, stacklevel=6)
