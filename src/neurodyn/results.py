"""Shared behaviour of result dataclasses: the status vocabulary, JSON-safe ``to_dict``, saving, ``strict``."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import numpy as np
import torch

from neurodyn._files import atomic_write
from neurodyn.errors import ConvergenceError


class Status(StrEnum):
    """The one vocabulary of result statuses; each value is the message shown to the user.

    A status is a ``str``, so ``result.status == "converged"`` works. :attr:`ok` is false for the statuses
    that say an answer cannot be trusted as it stands (what is missing is in the name); drivers called with
    ``strict=True`` raise :class:`~neurodyn.ConvergenceError` for those instead of returning them.
    """

    # iterative estimates (Lyapunov exponents, sharpness, Newton and shooting corrections)
    CONVERGED = "converged"
    UNCONVERGED = "unconverged"  # the diagnostic ran and says the estimate has not settled
    TOO_SHORT = "too short"  # too little data for the diagnostic to judge convergence
    DIVERGED = "diverged"  # NaN/inf appeared mid-run
    FAILED = "failed"  # a correction (Newton, shooting) stopped above its tolerance
    # searches (fixed points, Hopf points, critical points)
    OK = "ok"
    NONE_FOUND = "none found"
    SATURATED = "saturated"  # the last waves of starts found no new root
    MAY_BE_INCOMPLETE = "may be incomplete"  # the search budget ran out while starts still found new roots
    # proofs
    PROVED = "proved"
    NOT_PROVED = "not proved"
    # continuation: why a branch stopped
    REACHED_STOP = "reached stop"
    LEFT_INTERVAL = "left interval"
    MAX_POINTS = "max_points"
    STEP_TOO_SMALL = "step too small"
    BOGDANOV_TAKENS = "Bogdanov-Takens point"
    AMPLITUDE_ZERO = "amplitude -> 0"
    PERIOD_TOO_LONG = "period > max_period"
    # structure (time-scale separation)
    NO_SEPARATION = "no separation"
    GAP_CLOSES = "gap closes"  # separated at some of the states only (each state says whether it is)

    @property
    def ok(self) -> bool:
        """False for the statuses that say the answer cannot be trusted as it stands."""
        return self not in _NOT_OK


_NOT_OK = frozenset({Status.UNCONVERGED, Status.TOO_SHORT, Status.DIVERGED, Status.FAILED, Status.NOT_PROVED,
                     Status.MAY_BE_INCOMPLETE, Status.STEP_TOO_SMALL})


def to_jsonable(value):
    """Tensors/arrays to nested lists, non-finite floats to the strings "nan"/"inf"/"-inf"."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.ndarray) and np.iscomplexobj(value):
        return {"real": to_jsonable(value.real), "imag": to_jsonable(value.imag)}
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()] if value.ndim else to_jsonable(value.item())
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


class Result:
    """Mixin for frozen result dataclasses."""

    def to_dict(self) -> dict:
        """All fields as JSON-safe Python objects (tensors become lists), plus the result type."""
        out = {"type": type(self).__name__}
        for field in dataclasses.fields(self):
            out[field.name] = to_jsonable(getattr(self, field.name))
        return out

    def save_json(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``, whole or not at all; an existing file is replaced only
        with ``overwrite=True`` (otherwise :class:`~neurodyn.errors.OutputExistsError`)."""
        return atomic_write(path, json.dumps(self.to_dict(), indent=2), overwrite=overwrite)


class ResultSequence(Sequence):
    """Mixin for results that are collections (e.g. ``HopfPoints``, ``Proofs``): ``len``, iteration and indexing
    over the tuple field named by the class attribute ``items`` (a slice gives a tuple)."""

    items: str = "items"

    def __len__(self) -> int:
        return len(getattr(self, self.items))

    def __getitem__(self, index):
        return getattr(self, self.items)[index]

    def __iter__(self):
        return iter(getattr(self, self.items))


# Statuses that leave no answer to return (nothing was measured, nothing was found where one was sought): the
# default policy raises for these.
_NO_ANSWER = frozenset({Status.DIVERGED, Status.TOO_SHORT, Status.FAILED})


def finish(result, *, strict: bool | None, what: str):
    """The one failure policy of every driver: ``result``, or a :class:`~neurodyn.ConvergenceError`.

    ``strict=True`` raises for every status that is not ok; ``strict=None`` (every driver's default) raises only
    where there is no answer (``diverged``, ``too short``, ``failed``) and returns a flagged answer
    (``unconverged``, ``may be incomplete``, ``not proved``, ``step too small``) with its status; ``strict=False``
    always returns the result. ``what`` names the computation in the message (e.g. ``"the Lyapunov spectrum
    of 'lorenz'"``); the partial result rides on the exception as ``.result``.
    """
    status = Status(result.status)
    if not status.ok and (strict or (strict is None and status in _NO_ANSWER)):
        raise ConvergenceError(f"{what}: {status.value}; see the result's status and settings, or pass "
                               "strict=False to get the partial result", result=result)
    return result
