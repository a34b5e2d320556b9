"""Train one network of a sweep, score it and compute its Lyapunov spectrum: one row of the result store."""

from __future__ import annotations

import platform
import time
import traceback
import warnings
from dataclasses import asdict

import torch
from torch import nn

from neurodyn.errors import ConvergenceWarning
from neurodyn.sweep.config import SweepConfig
from neurodyn.sweep.tasks import make_task

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class SweepNet(nn.Module):
    """A one-layer ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (batch first) with a linear readout at every step."""

    def __init__(self, cell: str, input_dim: int, hidden: int, output_dim: int):
        super().__init__()
        self.rnn = _CELLS[cell](input_dim, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, output_dim)

    def forward(self, x):
        return self.readout(self.rnn(x)[0])


def train_and_measure(config: SweepConfig) -> dict:
    """The row of ``config`` (trained with the process's torch threads: one per Dask worker, whose processes start
    with ``OMP_NUM_THREADS=1``): its fields, ``id``, test ``performance`` (accuracy in [0, 1]), final training
    ``loss``, the Lyapunov ``exponents`` (nats per step, descending, mean over held-out input sequences) and
    their standard errors, timings and versions, ``status`` ``"ok"``; or ``status="error"`` with the error
    (never raises, so one failing network does not stop a sweep)."""
    from neurodyn import __version__
    from neurodyn.lyapunov.spectrum import lyapunov_spectrum
    from neurodyn.systems import from_torch

    row = dict(asdict(config), id=config.id, status="ok", error="", performance=float("nan"), loss=float("nan"),
               exponents=[], exponents_stderr=[], notes="", train_seconds=float("nan"), lyapunov_seconds=float("nan"),
               versions=f"neurodyn {__version__}, torch {torch.__version__}, python {platform.python_version()}")
    try:
        warm = min(50, config.spectrum_steps // 4)  # steps that align the tangent frame before measuring
        task = make_task(config.task, seed=config.seed, spectrum_batch=config.spectrum_batch,
                         spectrum_steps=config.spectrum_steps + warm)
        gen = torch.Generator().manual_seed(config.seed)
        model = SweepNet(config.cell, task.input_dim, config.hidden, task.output_dim)
        with torch.no_grad():  # recurrent weights N(0, gain^2 / hidden), every gate
            for name, p in model.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.copy_(torch.randn(p.shape, generator=gen) * config.gain / config.hidden**0.5)
                elif name.startswith("weight_ih"):
                    p.copy_(torch.randn(p.shape, generator=gen) / task.input_dim**0.5)
                else:
                    p.zero_()
            for p in model.readout.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        t0 = time.perf_counter()
        loss = torch.tensor(float("nan"))
        for _ in range(config.iterations):
            x, y = task.batch(config.batch, gen)
            loss = task.loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        row["train_seconds"] = time.perf_counter() - t0
        row["loss"] = float(loss.detach())
        with torch.no_grad():
            row["performance"] = task.score(model(task.test[0]), task.test[1])
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:  # convergence notes go into the row
            warnings.simplefilter("always", ConvergenceWarning)
            spec = lyapunov_spectrum(from_torch(model.rnn), steps=config.spectrum_steps,
                                     inputs=task.spectrum_inputs, transient=0, tangent_transient=warm,
                                     seed=config.seed, strict=False)  # a flagged spectrum is kept, with its note
        row["notes"] = "; ".join(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
        row["lyapunov_seconds"] = time.perf_counter() - t0
        row["exponents"] = [float(v) for v in spec.exponents]
        row["exponents_stderr"] = [float(v) for v in spec.stderr]
    except Exception as exc:  # recorded in the row: the sweep goes on and a rerun retries it
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    return row
