"""The memories of a GRU trained on the flip-flop task: its fixed points, the bit patterns they store and its
Lyapunov spectrum under task inputs (the demo's first study, usable on its own)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn.data import flip_flop
from neurodyn.models.flipflop import TrainedFlipFlop, train_flip_flop
from neurodyn.results import Result, Status, to_jsonable


@dataclass(frozen=True, eq=False)
class FlipFlopStudy(Result):
    """A trained flip-flop GRU analysed as a dynamical system.

    Attributes:
        trained: the :class:`~neurodyn.models.flipflop.TrainedFlipFlop` (model, loss, held-out accuracy).
        fixed_points: :func:`~neurodyn.find_fixed_points` of the GRU at zero input.
        spectrum: :func:`~neurodyn.lyapunov_spectrum` of the GRU driven by flip-flop inputs.
        patterns: the distinct sign patterns the readout gives at the stable fixed points (the stored memories).
        saddle_dims: the unstable dimension of every saddle.
        status: the first status of ``fixed_points`` and ``spectrum`` that is not ok, else ``"ok"``.
    """

    trained: TrainedFlipFlop
    fixed_points: object
    spectrum: object
    patterns: tuple[tuple[int, ...], ...]
    saddle_dims: tuple[int, ...]
    status: Status = Status.OK

    def to_dict(self) -> dict:
        """JSON-safe: the training's loss and accuracy (not the model), both analyses' dicts, the patterns."""
        return to_jsonable(dict(loss=self.trained.loss, accuracy=self.trained.accuracy,
                                fixed_points=self.fixed_points.to_dict(), spectrum=self.spectrum.to_dict(),
                                patterns=self.patterns, saddle_dims=self.saddle_dims, status=self.status))

    def plot(self, ax=None):
        """The fixed points over the trajectories' leading principal components. Returns the axes."""
        return self.fixed_points.plot(ax=ax)


def flip_flop_study(*, n_bits: int = 3, hidden: int = 24, iterations: int = 600, n_starts: int = 512,
                    drive_steps: int = 600, seed: int = 0) -> FlipFlopStudy:
    """Train a GRU on the ``n_bits`` flip-flop task, find its zero-input fixed points and measure its Lyapunov
    spectrum under task inputs.

    :func:`~neurodyn.models.train_flip_flop` (``hidden`` units, ``iterations``, ``seed``); then, from a generator
    seeded with ``seed + 1``, 32 task sequences of 100 steps seed :func:`~neurodyn.find_fixed_points`
    (``n_starts`` starts), the readout's signs at the stable points give the stored patterns, and 8 task
    sequences of ``drive_steps + 100`` steps drive :func:`~neurodyn.lyapunov_spectrum` (all exponents, 50 + 50
    transient steps, ``qr_every="auto"``). A memory is a stable fixed point; the saddles between them have
    1, 2, ... unstable directions (a cube's edges, faces and centre for 3 bits).

    Returns:
        :class:`FlipFlopStudy`.
    """
    import neurodyn as nd

    trained = train_flip_flop(n_bits=n_bits, hidden=hidden, iterations=iterations, seed=seed)
    gru = trained.model.rnn
    gen = torch.Generator().manual_seed(seed + 1)
    inputs, _ = flip_flop(n_bits, batch=32, steps=100, generator=gen)
    fp = nd.find_fixed_points(gru, inputs=inputs, n_starts=n_starts, seed=seed)
    with torch.no_grad():
        bits = torch.sign(trained.model.readout(fp.fixed.stable.points.float())).int().tolist()
    saddles = tuple(int(fp.fixed.n_unstable[i]) for i, st in enumerate(fp.fixed.stability) if st.startswith("saddle"))
    drive, _ = flip_flop(n_bits, batch=8, steps=drive_steps + 100, generator=gen)
    spec = nd.lyapunov_spectrum(gru, inputs=drive.double(), transient=50, tangent_transient=50, qr_every="auto")
    status = next((Status(r.status) for r in (fp, spec) if not Status(r.status).ok), Status.OK)
    patterns = tuple(sorted({tuple(b) for b in bits}))
    return FlipFlopStudy(trained=trained, fixed_points=fp, spectrum=spec, patterns=patterns, saddle_dims=saddles,
                         status=status)
