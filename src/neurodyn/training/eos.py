"""Edge of stability: sharpness tracked along a training run against the optimizer's stability threshold."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from neurodyn._checks import positive_float, positive_int
from neurodyn._settings import with_options
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result
from neurodyn.training.sharpness import SharpnessSettings, sharpness


def stability_threshold(lr: float, momentum: float = 0.0, nesterov: bool = False, *, dampening: float = 0.0,
                        weight_decay: float = 0.0) -> float:
    """The largest sharpness ``lambda_max(H)`` (loss units per squared parameter unit) at which PyTorch's SGD
    with learning rate ``lr`` is stable on a quadratic: ``2/lr`` for GD, ``(2 + 2 beta)/lr`` for heavy-ball
    momentum ``beta``, ``(2 + 2 beta)/(lr (1 + 2 beta))`` for Nesterov (Cohen et al. 2021, appendix); dampening
    ``tau`` scales the step to ``lr (1 - tau)``, and weight decay ``wd`` adds ``wd`` to every curvature, so the
    threshold on ``lambda_max(H)`` drops by ``wd``."""
    lr = positive_float(lr, name="lr")
    beta, tau = float(momentum), float(dampening)
    if not 0 <= beta < 1:
        raise InvalidInputError(f"momentum must be in [0, 1), got {momentum}")
    if not 0 <= tau < 1:
        raise InvalidInputError(f"dampening must be in [0, 1), got {dampening}")
    if beta == 0:  # PyTorch keeps no momentum buffer then: plain GD whatever the dampening
        return 2 / lr - weight_decay
    step = lr * (1 - tau)
    if nesterov:
        return (2 + 2 * beta) / (step * (1 + 2 * beta)) - weight_decay
    return (2 + 2 * beta) / step - weight_decay


def _optimizer_threshold(optimizer) -> tuple[float, str]:
    """Threshold and a description for a torch optimizer (``nan`` where the raw Hessian does not decide it).
    Parameter groups with different settings get the smallest threshold (the first group to go unstable)."""
    if not isinstance(optimizer, torch.optim.SGD):
        return math.nan, f"{type(optimizer).__name__} (preconditioned: the raw Hessian's threshold does not apply)"
    values, whats = [], set()
    for group in optimizer.param_groups:
        beta, nesterov = group.get("momentum", 0.0), group.get("nesterov", False)
        values.append(stability_threshold(group["lr"], beta, nesterov, dampening=group.get("dampening", 0.0),
                                          weight_decay=group.get("weight_decay", 0.0)))
        whats.add("Nesterov" if nesterov and beta else ("heavy-ball" if beta else "GD"))
    return min(values), "/".join(sorted(whats))


@dataclass(frozen=True, eq=False)
class EdgeOfStability(Result):
    """A tracked training run.

    Attributes:
        steps, loss: every recorded step and its training loss.
        sharpness_steps, sharpness, threshold: the steps at which ``lambda_max(H)`` of the full-batch loss was
            computed, its values and the optimizer's stability threshold then (``2/lr`` for GD).
        optimizer: what the threshold refers to. hvps: Hessian-vector products spent.
    """

    steps: list
    loss: list
    sharpness_steps: list
    sharpness: list
    threshold: list
    optimizer: str
    hvps: int
    settings: dict = field(default_factory=dict)

    def ratio(self) -> torch.Tensor:
        """``sharpness / threshold`` at each measurement (1 = the edge of stability)."""
        return torch.tensor(self.sharpness, dtype=torch.float64) / torch.tensor(self.threshold, dtype=torch.float64)

    def __repr__(self) -> str:
        last = f"{self.sharpness[-1]:.4g} vs threshold {self.threshold[-1]:.4g}" if self.sharpness else "none"
        return f"EdgeOfStability({len(self.steps)} steps, {self.optimizer}, last sharpness {last})"

    def plot(self, ax=None, *, label: str | None = None, color=None, show_loss: bool = True):
        """Sharpness against the threshold over training (left axis) and, with ``show_loss``, the loss (right
        axis, log scale). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        line, = ax.plot(self.sharpness_steps, self.sharpness, marker=".", ms=3, color=color,
                        label=f"sharpness{' ' + label if label else ''}")
        ax.plot(self.sharpness_steps, self.threshold, ls="--", color=line.get_color(),
                label=f"stability threshold{' ' + label if label else ''}")
        ax.set_xlabel("step")
        ax.set_ylabel("λmax(H)")
        if show_loss:
            twin = ax.twinx()
            twin.semilogy(self.steps, self.loss, color=line.get_color(), alpha=0.3, lw=0.8)
            twin.set_ylabel("training loss (faint)")
        ax.set_title(f"Edge of stability ({self.optimizer})", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
        return ax


TRACKER_SETTINGS = SharpnessSettings(tol=1e-4, max_iter=100)
TRACKER_ARGUMENTS = ("model", "loss_fn", "data", "optimizer", "lr", "momentum", "nesterov", "every", "settings")


class EdgeOfStabilityTracker:
    """Attach to any training loop: call the tracker once per optimizer step (after ``optimizer.step()``) with
    the step's loss; every ``every`` calls it computes the sharpness ``lambda_max(H)`` of the full-batch loss on
    ``data`` at the parameters after that step (Lanczos, warm-started from the previous top eigenvector with a
    random part mixed in) and the optimizer's stability threshold (:func:`stability_threshold`, read from
    ``optimizer`` each time, so schedules are followed). The recorded loss is the one passed in, i.e. usually
    the loss before the step.

    ``tracker.result()`` gives an :class:`EdgeOfStability` with a plot. The model is read, never changed.

    Each measurement is :func:`sharpness` with ``settings`` (a :class:`SharpnessSettings`, default ``tol=1e-4,
    max_iter=100``; its fields are also keywords, e.g. ``tol=1e-6``), the seed advanced by the step.

    Example::

        tracker = EdgeOfStabilityTracker(model, loss_fn, (X, y), optimizer=opt, every=20)
        for step in range(steps):
            loss = loss_fn(model(X), y); opt.zero_grad(); loss.backward(); opt.step()
            tracker(loss)
        tracker.result().plot()
    """

    def __init__(self, model: nn.Module, loss_fn, data, *, optimizer=None, lr: float | None = None,
                 momentum: float = 0.0, nesterov: bool = False, every: int = 10,
                 settings: SharpnessSettings | None = None, **options):
        if (optimizer is None) == (lr is None):
            raise InvalidInputError("give either optimizer= (its learning rate and momentum are read) or lr=")
        self.model, self.loss_fn, self.data, self.optimizer = model, loss_fn, data, optimizer
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.every = positive_int(every, name="every")
        self.settings = with_options(SharpnessSettings, settings if settings is not None else TRACKER_SETTINGS,
                                     options, "EdgeOfStabilityTracker", arguments=TRACKER_ARGUMENTS)
        self.tol, self.max_iter = self.settings.tol, self.settings.max_iter
        self.chunk_size, self.seed = self.settings.chunk_size, self.settings.seed
        self.steps, self.loss, self.sharp_steps, self.sharp, self.thresholds = [], [], [], [], []
        self.what = "GD"
        self.hvps = 0
        self._v = None

    def threshold(self) -> float:
        if self.optimizer is not None:
            value, self.what = _optimizer_threshold(self.optimizer)
            return value
        self.what = "Nesterov" if self.nesterov else ("heavy-ball" if self.momentum else "GD")
        return stability_threshold(self.lr, self.momentum, self.nesterov)

    def __call__(self, loss=None) -> float | None:
        """Record one step; returns the sharpness when it was measured at this step, else ``None``."""
        step = len(self.steps)
        self.steps.append(step)
        if isinstance(loss, torch.Tensor):
            loss = loss.detach()
        self.loss.append(float(loss) if loss is not None else math.nan)
        if step % self.every:
            return None
        res = sharpness(self.model, self.loss_fn, self.data, settings=replace(self.settings, seed=self.seed + step),
                        v0=self._v)
        self._v = res.eigenvectors[0]
        self.hvps += res.hvps
        self.sharp_steps.append(step)
        self.sharp.append(res.max)
        self.thresholds.append(self.threshold())
        return res.max

    def result(self) -> EdgeOfStability:
        return EdgeOfStability(steps=list(self.steps), loss=list(self.loss), sharpness_steps=list(self.sharp_steps),
                               sharpness=list(self.sharp), threshold=list(self.thresholds), optimizer=self.what,
                               hvps=self.hvps, settings=dict(every=self.every, tol=self.tol))


def half_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``(1/2n) sum_i |output_i - target_i|^2``: the squared loss whose Hessian at interpolation is ``J^T J / n``.
    ``output`` and ``target`` must have the same shape (no broadcasting)."""
    if output.shape != target.shape:
        raise InvalidInputError(f"half_mse: output has shape {tuple(output.shape)} but target {tuple(target.shape)}; "
                                "give targets of the output's shape (e.g. y[:, None] for one output)")
    return 0.5 * ((output - target) ** 2).reshape(len(output), -1).sum(-1).mean()


def eos_digits(lrs=(0.2, 0.1), *, steps: int = 1500, n: int = 500, hidden: int = 64, every: int = 25,
               seed: int = 0, progress: bool = False) -> dict[float, EdgeOfStability]:
    """The edge-of-stability phenomenon (Cohen et al. 2021, ICLR) on handwritten digits: full-batch GD on the
    first ``n`` examples of ``sklearn.datasets.load_digits`` (pixels scaled to [0, 1]) with a tanh MLP
    ``64 -> hidden -> hidden -> 10`` and the squared loss :func:`half_mse`, float32, the same
    seeded initialisation for every learning rate. The sharpness rises during training (progressive sharpening)
    until it reaches ``2/lr``, then hovers there while the loss keeps falling, non-monotonically.

    Returns:
        ``{lr: EdgeOfStability}``.
    """
    from neurodyn._progress import progress_bar
    from neurodyn.data import digits
    from neurodyn.models.mlp import digits_mlp

    X, Y = digits(n)

    out = {}
    for lr in lrs:
        net = digits_mlp(hidden, seed=seed)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        tracker = EdgeOfStabilityTracker(net, half_mse, (X, Y), optimizer=opt, every=every, seed=seed)
        steps = positive_int(steps, name="steps")
        with progress_bar(progress, steps, f"GD at lr={lr:g}") as advance:
            for _ in range(steps):
                loss = half_mse(net(X), Y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tracker(loss.item())
                if advance is not None:
                    advance(1)
        out[lr] = tracker.result()
    return out
