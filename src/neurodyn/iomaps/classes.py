"""Trained MLPs of each architecture class and the critical-point structure the theorems predict for them."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from neurodyn._checks import positive_float, positive_int
from neurodyn.iomaps.architecture import MORSE_GENERIC, NO_CRITICAL, ArchitectureClass, architecture_class
from neurodyn.iomaps.critical import CriticalPoints, critical_points
from neurodyn.results import Result, Status

# (name, widths): widths never increase; an increase with no narrow layer before it; a narrow layer (width 1 <
# input width 2) followed by an increase
CLASSES = (("non-augmented", (2, 2, 1)), ("augmented", (2, 16, 1)), ("bottleneck", (2, 1, 16, 1)))
TARGET = "exp(-|x|^2)"


@dataclass(frozen=True, eq=False)
class TrainedClass:
    """One trained MLP: ``name`` and ``widths`` of its class, its :class:`ArchitectureClass`, the critical points
    found in the box, the final training loss (mean squared error), the structure the theorem ``predicted``
    (``"none"``, ``"Morse"`` or ``"degenerate"``), the ``observed`` one (the same words, ``"mixed"`` for Morse
    and degenerate points together) and whether they ``agree``. ``model`` is the trained float64 network."""

    name: str
    widths: tuple[int, ...]
    architecture: ArchitectureClass
    points: CriticalPoints
    loss: float
    predicted: str
    observed: str
    agree: bool
    model: nn.Sequential


@dataclass(frozen=True, eq=False)
class MorseClasses(Result):
    """Three tanh MLPs ``R^2 -> R`` (one per architecture class) fitted to the same bump, with their critical
    points.

    Attributes:
        classes: one :class:`TrainedClass` per class (non-augmented, augmented, bottleneck).
        target: the function fitted; box: the half-width of the square ``[-box, box]^2`` (training inputs and
            critical-point search).
        agree: whether every class shows the structure predicted.
        status: :attr:`Status.OK`; settings: what produced the result.
    """

    classes: list[TrainedClass]
    target: str
    box: float
    agree: bool
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["classes"] = [dict(name=c.name, widths=list(c.widths), category=c.architecture.category,
                               guarantee=c.architecture.guarantee, points=len(c.points),
                               degenerate=int(c.points.degenerate.sum()),
                               morse_index=c.points.morse_index.tolist(), loss=c.loss, predicted=c.predicted,
                               observed=c.observed, agree=c.agree) for c in self.classes]
        return out

    def __repr__(self) -> str:
        lines = [f"MorseClasses(fitted to {self.target} on [-{self.box:g}, {self.box:g}]^2; "
                 f"{'all agree' if self.agree else 'NOT all agree'})"]
        for c in self.classes:
            lines.append(f"  {c.name} {list(c.widths)}: {len(c.points)} critical points, predicted {c.predicted}, "
                         f"observed {c.observed}; loss {c.loss:.2e}")
        return "\n".join(lines)

    def plot(self, axes=None):
        """Each network's map over the box with its critical points marked by Morse index (degenerate ones as
        crosses), one panel per class. Returns the axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, len(self.classes), figsize=(5.5 * len(self.classes), 4.5))
        for ax, c in zip(axes, self.classes, strict=True):
            c.points.plot(ax=ax)
            ax.set_title(f"{c.name} {'-'.join(map(str, c.widths))}: predicted {c.predicted}, observed {c.observed}",
                         fontsize=9)
        return axes


def _predicted(arch: ArchitectureClass) -> str:
    if arch.guarantee.startswith(NO_CRITICAL):
        return "none"
    return "Morse" if arch.guarantee.startswith(MORSE_GENERIC) else "degenerate"


def _observed(cp: CriticalPoints) -> str:
    if len(cp) == 0:
        return "none"
    degenerate = int(cp.degenerate.sum())
    return "Morse" if degenerate == 0 else "degenerate" if degenerate == len(cp) else "mixed"


def _fit(widths: tuple[int, ...], x: torch.Tensor, y: torch.Tensor, epochs: int, lr: float, seed: int):
    """A float64 tanh MLP of ``widths`` fitted by full-batch Adam (initialisation seeded; the global random
    state is saved and restored). Returns the network and its final loss."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        layers = []
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(a, b, dtype=torch.float64), nn.Tanh()]
        net = nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(epochs):
        loss = ((net(x)[:, 0] - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return net.requires_grad_(False), float(((net(x)[:, 0] - y) ** 2).mean())


def morse_classes(*, epochs: int = 400, n_points: int = 400, n_starts: int = 256, box: float = 2.0, lr: float = 0.02,
                  seed: int = 0) -> MorseClasses:
    """Fit one tanh MLP of each architecture class to the bump ``exp(-|x|^2)`` on ``[-box, box]^2`` and find
    their critical points: the theorems (Kuehn & Kuntz) predict none for ``2-2-1`` (widths never increase),
    generically Morse ones for ``2-16-1`` (here the bump's maximum), and only degenerate ones for the bottleneck
    ``2-1-16-1`` (it computes ``h(w . x + b)``, constant along a line: its critical points fill lines).

    Args:
        epochs: full-batch Adam steps per network (learning rate ``lr``).
        n_points: uniform training inputs in the box (seeded).
        n_starts: starts of each critical-point search (one wave).
        box: half-width of the square (input units).
        seed: seed of the inputs and of every initialisation (the global random state is not used).

    Returns:
        :class:`MorseClasses` (``.plot()``: the three maps with their critical points).

    See also: :func:`neurodyn.architecture_class`, :func:`neurodyn.critical_points`.
    """
    epochs, n_points = positive_int(epochs, name="epochs"), positive_int(n_points, name="n_points")
    n_starts, seed = positive_int(n_starts, name="n_starts"), positive_int(seed, name="seed", minimum=0)
    box, lr = positive_float(box, name="box"), positive_float(lr, name="lr")
    gen = torch.Generator().manual_seed(seed)
    x = (2 * torch.rand(n_points, 2, generator=gen, dtype=torch.float64) - 1) * box
    y = torch.exp(-(x * x).sum(-1))
    classes = []
    for i, (name, widths) in enumerate(CLASSES):
        net, loss = _fit(widths, x, y, epochs, lr, seed + i)
        arch = architecture_class(net)
        cp = critical_points(net, (-box, box), n_starts=n_starts, max_starts=n_starts, seed=seed)
        predicted, observed = _predicted(arch), _observed(cp)
        classes.append(TrainedClass(name, widths, arch, cp, loss, predicted, observed, predicted == observed, net))
    return MorseClasses(classes=classes, target=TARGET, box=box, agree=all(c.agree for c in classes),
                        settings=dict(epochs=epochs, n_points=n_points, n_starts=n_starts, box=box, lr=lr, seed=seed))
