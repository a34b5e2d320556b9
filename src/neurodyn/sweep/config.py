"""One network of a sweep (:class:`SweepConfig`), and grids or random sets of them."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, fields

import torch

from neurodyn.errors import InvalidInputError
from neurodyn.sweep.tasks import TASKS

CELLS = ("rnn", "gru", "lstm")


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines one network's row: the cell (``rnn`` tanh, ``gru``, ``lstm``), ``hidden`` units,
    the recurrent weights' initial ``gain`` (entries ``N(0, gain^2 / hidden)``), Adam's learning rate ``lr``,
    the ``seed`` (weights, batches), the ``task`` and the training and spectrum budgets. Its :attr:`id` is a hash
    of all of it, so a rerun of the same sweep finds its finished rows."""

    cell: str = "rnn"
    hidden: int = 16
    gain: float = 1.0
    lr: float = 1e-2
    seed: int = 0
    task: str = "digits"
    iterations: int = 300
    batch: int = 64
    spectrum_steps: int = 200
    spectrum_batch: int = 4

    def __post_init__(self):
        if self.cell not in CELLS:
            raise InvalidInputError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.task not in TASKS:
            raise InvalidInputError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        for name in ("hidden", "iterations", "batch", "spectrum_steps", "spectrum_batch"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("gain", "lr"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidInputError(f"{name} must be a positive number, got {v!r}")

    @property
    def id(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def grid(**values) -> list[SweepConfig]:
    """Every combination of the given values, e.g. ``grid(cell=["rnn", "gru"], gain=[0.5, 1, 2], seed=[0, 1])``;
    fields not given keep :class:`SweepConfig`'s defaults."""
    names = {f.name for f in fields(SweepConfig)}
    unknown = set(values) - names
    if unknown:
        raise InvalidInputError(f"unknown sweep field(s) {sorted(unknown)}; the fields are {sorted(names)}")
    lists = {k: (list(v) if isinstance(v, list | tuple) else [v]) for k, v in values.items()}
    return [SweepConfig(**dict(zip(lists, combo, strict=True))) for combo in itertools.product(*lists.values())]


def random_configs(n: int, *, seed: int = 0, cells=CELLS, hidden=(8, 32), gain=(0.3, 3.0), lr=(1e-3, 3e-2),
                   **fixed) -> list[SweepConfig]:
    """``n`` configurations drawn from ``seed``: a cell from ``cells``, ``hidden`` uniform in the integer range,
    ``gain`` and ``lr`` log-uniform in their ranges, network seeds ``0 .. n-1``; other fields from ``fixed``."""
    gen = torch.Generator().manual_seed(seed)

    def loguniform(lo, hi):
        return float(math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * torch.rand((), generator=gen)))

    out = []
    for i in range(n):
        out.append(SweepConfig(cell=cells[int(torch.randint(len(cells), (), generator=gen))],
                               hidden=int(torch.randint(hidden[0], hidden[1] + 1, (), generator=gen)),
                               gain=loguniform(*gain), lr=loguniform(*lr), seed=i, **fixed))
    return out
