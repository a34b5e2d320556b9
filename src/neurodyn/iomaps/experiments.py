"""The 1-D reversal experiment: a neural ODE without augmentation cannot learn ``g(x) = -x``; with one
augmented dimension it can."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.models.node import NeuralODEClassifier
from neurodyn.results import Result, Status


@dataclass(frozen=True, eq=False)
class ReversalFit(Result):
    """A neural ODE's time-T map fitted to ``g(x) = -x`` on ``[-1, 1]`` (mean squared error of the first
    coordinate of ``phi_T([x, 0])``).

    Attributes:
        augment: augmented dimensions; loss: final training loss; losses: ``(epochs,)`` the loss per epoch.
        bound: ``mean((y - mean y)^2)``, the smallest loss of any non-decreasing map on these points (the best
            non-decreasing fit of the decreasing targets ``y = -x`` is their mean: isotonic regression). Without
            augmentation the time-T map is increasing, so its loss cannot go below it.
        increasing: whether the fitted map (first coordinate) is increasing on the training points.
        model: the trained :class:`~neurodyn.models.node.NeuralODEClassifier` (its readout unused).
        status: :attr:`Status.OK`; settings: what produced the fit.
    """

    augment: int
    loss: float
    losses: torch.Tensor
    bound: float
    increasing: bool
    model: NeuralODEClassifier
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["model"] = repr(self.model)
        return out


def fit_reversal(*, augment: int = 0, hidden: int = 16, n_points: int = 128, epochs: int = 800, lr: float = 0.02,
                 t: float = 1.0, steps: int = 10, seed: int = 0) -> ReversalFit:
    """Fit the time-``t`` map of a neural ODE (``hidden`` tanh units, ``augment`` extra zero-initialised
    dimensions, ``steps`` RK4 steps) to ``g(x) = -x`` on ``n_points`` equally spaced ``x`` in ``[-1, 1]`` by
    full-batch Adam (learning rate ``lr`` with cosine decay, ``epochs`` steps, float32, initialisation seeded;
    the global random state is saved and restored). With ``augment=0`` the loss stays at or above
    :attr:`ReversalFit.bound` (about 1/3: the obstruction of :func:`neurodyn.embedding_obstructions`); with
    ``augment=1`` it falls below 1e-3 (the flow can turn ``(x, 0)`` through the plane to ``(-x, 0)``).

    Returns:
        :class:`ReversalFit`.

    See also: :func:`neurodyn.embedding_obstructions` (Dupont et al. 2019; Kuehn & Kuntz).
    """
    augment = positive_int(augment, name="augment", minimum=0)
    epochs, n_points = positive_int(epochs, name="epochs"), positive_int(n_points, name="n_points", minimum=2)
    lr = positive_float(lr, name="lr")
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only: fork_rng restores just that one
        model = NeuralODEClassifier(1, 2, hidden=hidden, augment=augment, t=t, steps=steps)
    x = torch.linspace(-1.0, 1.0, n_points)[:, None]
    y = -x
    opt = torch.optim.Adam(model.field.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    losses = torch.empty(epochs)
    for i in range(epochs):
        loss = ((model.transport(x)[:, :1] - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[i] = loss.detach()
    model.eval()
    with torch.no_grad():
        out = model.transport(x)[:, 0]
        final = float(((out[:, None] - y) ** 2).mean())
    return ReversalFit(augment=augment, loss=final, losses=losses, bound=float(((y - y.mean()) ** 2).mean()),
                       increasing=bool((out[1:] > out[:-1]).all()), model=model,
                       settings=dict(hidden=hidden, n_points=n_points, epochs=epochs, lr=lr, t=t, steps=steps,
                                     seed=seed))
