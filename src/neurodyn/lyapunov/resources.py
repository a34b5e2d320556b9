"""What a Lyapunov run will cost, checked before it starts (memory from the array sizes, time from timed steps),
and the memory it holds while it runs.

Why identical runs peaked at very different memory: a step allocates and frees frame-sized arrays (``J Q``, the
QR's factors, the cell's Jacobian blocks: megabytes each for an LSTM-128). glibc's allocator serves such sizes
from its heap once its dynamic mmap threshold has risen, and memory freed there is kept by the process rather
than returned, so the resident size grew by hundreds of megabytes to gigabytes (LSTM-128, batch 16, 300 steps:
+1010 MB in one run and +379 MB in an identical one; ``malloc_trim`` gave back all but 40 MB of it) depending on
how the frees happened to fragment the heap. Nothing was retained by the run itself. :class:`MemoryGuard` reads
the resident size after every interval (every :data:`GUARD_EVERY` steps for small runs) and hands freed heap
memory back (``malloc_trim``) whenever the growth exceeds twice the run's estimated need, which bounds the peak
by what the run needs: three identical runs then grew by 214, 223 and 225 MB (the bound, 136 MB, plus one
step's temporaries).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._resources import GIB, available_bytes
from neurodyn.errors import InvalidInputError
from neurodyn.integrate.tableau import TABLEAUX

SLOW_RUN_SECONDS = 180.0  # warn (without a progress bar) when a run is predicted to take longer
GUARD_EVERY = 64  # steps between two reads of the resident size, for runs that need less than GUARD_LARGE
GUARD_LARGE = 8 * 2**20  # bytes: runs needing more are checked after every interval (one read costs ~10 us)
GUARD_SLACK = 64 * 2**20  # bytes of growth always tolerated (the interpreter's own churn)


def working_frames(method: str | None) -> int:
    """How many frame-sized arrays ``(batch, n, k)`` a run keeps alive at its peak (an upper estimate).

    A map step holds the frame, its image ``J Q``, the dense Jacobian blocks of a recurrent cell and the
    arrays of the QR (Householder factor and the new ``Q``); drawing the first frame holds three more.
    Measured peaks of GRU/LSTM runs (hidden 256-512, batch 8-16) were 6-8 frames above the interpreter's own
    memory: 8. A fixed-step Runge–Kutta step of ``s`` stages adds its stage values:
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


def _resident_bytes() -> int | None:
    """The process's resident set size from ``/proc/self/statm`` (``None`` where there is none)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _malloc_trim():
    """glibc's ``malloc_trim`` (``None`` on other C libraries)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TRIM = _malloc_trim()


@dataclass
class MemoryGuard:
    """Bounds the resident memory a CPU run adds to ``max(2 * need, need + GUARD_SLACK)`` bytes at every check
    (``need`` the estimate of :func:`check_memory`, or what the run still holds after a trim when the
    estimate was short, so that live memory is not trimmed at every step) by giving freed heap memory back to the
    system, and records the largest growth it saw (read after every interval of steps; every
    :data:`GUARD_EVERY` steps when ``need`` is below :data:`GUARD_LARGE`, as a small run cannot grow much).
    Inactive (``peak`` stays ``None``) off Linux/glibc or for runs on an accelerator."""

    need: int
    base: int | None = None
    peak: int | None = None
    trims: int = 0
    last: int = 0
    held: int = 0  # what the run was seen to hold after a trim that could not bring it under the bound

    @classmethod
    def start(cls, need: int, device: torch.device) -> MemoryGuard:
        active = device.type == "cpu" and _TRIM is not None
        if active:  # the baseline holds no freed heap, which a later trim would give back and count against the run
            _TRIM(0)
        base = _resident_bytes() if active else None
        return cls(need=need, base=base, peak=0 if base is not None else None)

    @property
    def bound(self) -> int:
        need = max(self.need, self.held)
        return max(2 * need, need + GUARD_SLACK)

    def check(self, steps_done: int) -> None:
        every = 1 if self.need >= GUARD_LARGE else GUARD_EVERY
        if self.base is None or steps_done - self.last < every:
            return
        self.last = steps_done
        grown = (_resident_bytes() or self.base) - self.base
        self.peak = max(self.peak, grown)
        if grown > self.bound:
            _TRIM(0)
            self.trims += 1
            live = (_resident_bytes() or self.base) - self.base
            if live > self.bound:  # the run holds more than estimated: trim again only above twice that
                self.held = live

    def settings(self) -> dict:
        """``memory_need_bytes`` (the estimate), ``memory_bound_bytes`` (what the guard holds the growth to) and
        ``memory_peak_bytes`` (the largest growth of the resident size seen after a check; ``None`` when not
        measured)."""
        return {"memory_need_bytes": self.need, "memory_bound_bytes": self.bound if self.base is not None else None,
                "memory_peak_bytes": self.peak}


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
    memory: MemoryGuard | None = None

    def tick(self, steps_done: int) -> None:
        """Call after each chunk of work with the number of steps done so far."""
        if self.memory is not None:
            self.memory.check(steps_done)
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
