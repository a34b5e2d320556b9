"""The concentric-annuli classification of Dupont et al. (2019): a plane neural ODE cannot separate a disk
from the annulus around it; one augmented dimension can."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.models.node import NeuralODEClassifier
from neurodyn.results import Result, Status

RADII = (0.5, 1.0, 1.5)  # inner disk |x| < 0.5 (class 0), annulus 1 < |x| < 1.5 (class 1), as in Dupont et al.
CIRCLE = 720  # points on the middle circle of the annulus where the witness is sought


@dataclass(frozen=True, eq=False)
class AnnuliFit(Result):
    """A neural-ODE classifier ``readout(phi_T([x, 0]))`` trained on the concentric annuli, with the topological
    witness that a non-augmented one cannot separate them.

    For ``augment = 0`` the time-T map ``phi_T`` is an orientation-preserving homeomorphism of the plane, so the
    image of the circle ``|x| = 1.25`` (inside the annulus) winds once around ``phi_T(0)``; it therefore crosses
    every line through ``phi_T(0)``, and the decision function ``d = logit_1 - logit_0`` (affine in
    ``phi_T(x)``) takes on that circle a value ``<= d(0)``: some annulus point is ranked no more "outer" than
    the disk's centre. With augmentation nothing forces this.

    Attributes:
        augment: augmented dimensions; loss: final cross-entropy; losses: ``(epochs,)`` per epoch.
        accuracy: on the training points.
        gap: ``min over the circle of d - d(0)``: ``<= 0`` is forced without augmentation (so a point of the
            circle and the centre cannot both be classified right unless ``d`` is 0 between them).
        witness: ``(2,)`` the circle point where that minimum is attained.
        winding: the winding number of ``phi_T(circle)`` around ``phi_T(0)`` (``augment = 0`` only; 1 for an
            orientation-preserving homeomorphism), ``None`` with augmentation (the image lies in 3 or more
            dimensions).
        x, y: the training inputs ``(N, 2)`` and labels ``(N,)``; model: the trained classifier.
        status: :attr:`Status.OK`; settings: what produced the fit.
    """

    augment: int
    loss: float
    losses: torch.Tensor
    accuracy: float
    gap: float
    witness: torch.Tensor
    winding: int | None
    x: torch.Tensor
    y: torch.Tensor
    model: NeuralODEClassifier
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["model"] = repr(self.model)
        for k in ("x", "y"):
            out.pop(k)
        return out

    def __repr__(self) -> str:
        return (f"AnnuliFit(augment={self.augment}: loss {self.loss:.3g}, accuracy {self.accuracy:.3f}, "
                f"gap {self.gap:+.3g}, winding {self.winding})")

    def trajectories(self, n: int = 60, samples: int = 11) -> torch.Tensor:
        """``(samples, n, in + augment)`` states along the flow of ``n`` training inputs (evenly chosen), at
        ``samples`` equally spaced times in ``[0, T]`` (sampled at the classifier's own RK steps)."""
        from neurodyn.integrate import TABLEAUX, rk_step
        from neurodyn.models.node import SCHEMES

        m = self.model
        idx = torch.linspace(0, len(self.x) - 1, n).long()
        tab, h = TABLEAUX[SCHEMES[m.method]], m.t / m.steps
        z = (m.lift(self.x[idx]),)
        states = [z[0]]
        with torch.no_grad():
            for i in range(m.steps):
                z = rk_step(tab, lambda t, y: (m.field(t, y[0]),), torch.as_tensor(i * h), z, h)
                states.append(z[0])
        keep = torch.linspace(0, m.steps, min(samples, m.steps + 1)).round().long()
        return torch.stack(states)[keep]

    def plot(self, ax=None, n: int = 60):
        """Trajectories of ``n`` training inputs under the flow (blue: disk, red: annulus; dots at the end): in
        the plane without augmentation, in 3-D with it (``ax`` must then be a 3-D axes, or ``None``). Returns
        the axes."""
        import matplotlib.pyplot as plt

        traj = self.trajectories(n).numpy()
        idx = torch.linspace(0, len(self.x) - 1, n).long()
        colours = ["tab:blue" if int(c) == 0 else "tab:red" for c in self.y[idx]]
        three = self.augment > 0
        if ax is None:
            fig = plt.figure(figsize=(5.5, 5))
            ax = fig.add_subplot(projection="3d" if three else None)
        for j in range(n):
            coords = (traj[:, j, 0], traj[:, j, 1], traj[:, j, -1]) if three else (traj[:, j, 0], traj[:, j, 1])
            ax.plot(*coords, color=colours[j], lw=0.8, alpha=0.7)
            ax.scatter(*[c[-1:] for c in coords], color=colours[j], s=8)
        ax.set_title(f"augment = {self.augment}: loss {self.loss:.3g}, accuracy {self.accuracy:.2f}", fontsize=9)
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
        if three:
            ax.set_zlabel("z3 (augmented)")
        return ax


def annuli_data(n_points: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_points`` float32 inputs, half uniform (in area) in the disk ``|x| < 0.5`` (label 0), half in the
    annulus ``1 < |x| < 1.5`` (label 1); seeded."""
    gen = torch.Generator().manual_seed(seed)
    half = n_points // 2
    r0, r1, r2 = RADII
    u = torch.rand(n_points, generator=gen)
    r = torch.cat([r0 * u[:half].sqrt(), (r1**2 + (r2**2 - r1**2) * u[half:]).sqrt()])
    phi = 2 * math.pi * torch.rand(n_points, generator=gen)
    x = torch.stack([r * torch.cos(phi), r * torch.sin(phi)], -1)
    return x, torch.cat([torch.zeros(half, dtype=torch.long), torch.ones(n_points - half, dtype=torch.long)])


def _winding(curve: torch.Tensor, centre: torch.Tensor) -> int:
    """Winding number of the closed polygon ``curve (K, 2)`` around ``centre (2,)``: the summed angle steps."""
    v = curve - centre
    ang = torch.atan2(v[:, 1], v[:, 0])
    step = torch.diff(torch.cat([ang, ang[:1]]))
    step = (step + math.pi) % (2 * math.pi) - math.pi
    return round(float(step.sum()) / (2 * math.pi))


def fit_annuli(*, augment: int = 0, hidden: int = 16, n_points: int = 256, epochs: int = 300, lr: float = 0.02,
               t: float = 1.0, steps: int = 10, seed: int = 0) -> AnnuliFit:
    """Train a neural-ODE classifier (``hidden`` tanh units, ``augment`` zero-initialised extra dimensions,
    ``steps`` RK4 steps over ``[0, t]``) on the concentric annuli of Dupont, Doucet & Teh, *Augmented neural
    ODEs*, NeurIPS 2019 (disk ``|x| < 0.5`` against annulus ``1 < |x| < 1.5``) by full-batch Adam on the
    cross-entropy (learning rate ``lr``, cosine decay, ``epochs`` steps, float32, initialisation seeded; the
    global random state is saved and restored), then measure the obstruction's witness (see
    :class:`AnnuliFit`). Without augmentation the loss plateaus and ``gap <= 0``; with ``augment=1`` the classes
    separate (accuracy 1, ``gap > 0``).

    Returns:
        :class:`AnnuliFit` (``.plot()``: the trajectories).

    See also: :func:`neurodyn.iomaps.fit_reversal` (the 1-D analogue), :func:`neurodyn.embedding_obstructions`.
    """
    augment = positive_int(augment, name="augment", minimum=0)
    epochs, n_points = positive_int(epochs, name="epochs"), positive_int(n_points, name="n_points", minimum=4)
    lr = positive_float(lr, name="lr")
    hidden, steps = positive_int(hidden, name="hidden"), positive_int(steps, name="steps")
    t, seed = positive_float(t, name="t"), positive_int(seed, name="seed", minimum=0)
    x, y = annuli_data(n_points, seed)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only: fork_rng restores just that one
        model = NeuralODEClassifier(2, 2, hidden=hidden, augment=augment, t=t, steps=steps)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    losses = torch.empty(epochs)
    for i in range(epochs):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[i] = loss.detach()
    model.eval()
    theta = torch.linspace(0, 2 * math.pi, CIRCLE + 1)[:-1]
    circle = 1.25 * torch.stack([torch.cos(theta), torch.sin(theta)], -1)
    with torch.no_grad():
        logits = model(x)
        final = float(torch.nn.functional.cross_entropy(logits, y))
        accuracy = float((logits.argmax(-1) == y).float().mean())
        pts = torch.cat([torch.zeros(1, 2), circle])
        d = model(pts) @ torch.tensor([-1.0, 1.0])
        k = int(d[1:].argmin())
        winding = _winding(model.transport(circle), model.transport(pts[:1])[0]) if augment == 0 else None
    return AnnuliFit(augment=augment, loss=final, losses=losses, accuracy=accuracy, gap=float(d[1 + k] - d[0]),
                     witness=circle[k], winding=winding, x=x, y=y, model=model,
                     settings=dict(hidden=hidden, n_points=n_points, epochs=epochs, lr=lr, t=t, steps=steps,
                                   seed=seed))
