"""A neural-ODE classifier: inputs flow for a time ``T`` under a learned vector field, then a linear readout."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from neurodyn._checks import positive_float, positive_int
from neurodyn.data import moons
from neurodyn.errors import InvalidInputError
from neurodyn.integrate.tableau import TABLEAUX, rk_step

FIELDS = ("mlp", "tanh")
# the classifier's fixed-step schemes and their names among neurodyn's tableaux (as nd.ftle and
# nd.lyapunov_spectrum take them): "rk4" is classical RK4 everywhere, "rk4-3/8" Kutta's 3/8 rule (what
# torchdiffeq's fixed-grid "rk4" computes)
SCHEMES = {"rk4": "rk4", "rk4-3/8": "rk38", "midpoint": "midpoint", "euler": "euler"}


class ODEField(nn.Module):
    """A vector field ``forward(t, z) -> dz/dt`` on ``dim`` dimensions.

    ``kind="mlp"``: ``dz/dt = W2 tanh(W1 z + b1) + b2`` with ``hidden`` units; ``kind="tanh"``:
    ``dz/dt = tanh(W z + b)`` (``hidden`` unused). Autonomous: ``t`` is ignored.
    """

    def __init__(self, dim: int, hidden: int = 16, kind: str = "mlp"):
        super().__init__()
        if kind not in FIELDS:
            raise InvalidInputError(f"field kind must be one of {FIELDS}, got {kind!r}")
        self.dim, self.kind = dim, kind
        if kind == "mlp":
            self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, dim))
        else:
            self.net = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())

    def forward(self, t, z):
        return self.net(z)


class NeuralODEClassifier(nn.Module):
    """``logits = readout(phi_T([x, 0]))``: the input ``x`` (padded with ``augment`` zeros, Dupont et al. 2019)
    is carried by the flow ``phi_T`` of an :class:`ODEField` for time ``t`` (``steps`` equal steps of the
    fixed-step ``method``: ``"rk4"`` (classical RK4, default), ``"rk4-3/8"`` (Kutta's 3/8 rule, what
    torchdiffeq's fixed-grid ``"rk4"`` computes), ``"midpoint"`` or ``"euler"``, stepped by
    :func:`neurodyn.integrate.rk_step`, the stepper :func:`neurodyn.ftle` uses), and a linear layer reads the
    classes off the final state.

    Analyse it with :meth:`flow` (a :class:`neurodyn.Flow` of the field) and :meth:`ftle` (the FTLEs of the
    input-to-final-state map that the classifier computes, same solver, same steps).
    """

    def __init__(self, in_features: int = 2, n_classes: int = 2, *, hidden: int = 16, augment: int = 0,
                 field: str = "mlp", t: float = 1.0, steps: int = 10, method: str = "rk4"):
        super().__init__()
        self.in_features = positive_int(in_features, name="in_features")
        self.augment = positive_int(augment, name="augment", minimum=0)
        if method not in SCHEMES:
            raise InvalidInputError(f"method must be one of {sorted(SCHEMES)} (fixed-step), got {method!r}")
        self.t, self.steps, self.method = positive_float(t, name="t"), positive_int(steps, name="steps"), method
        self.field = ODEField(self.in_features + self.augment, positive_int(hidden, name="hidden"), field)
        self.readout = nn.Linear(self.field.dim, positive_int(n_classes, name="n_classes", minimum=2))

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_features) -> (..., in_features + augment)``: the initial state of the flow."""
        if x.shape[-1] != self.in_features:
            raise InvalidInputError(f"inputs have {x.shape[-1]} features; the classifier takes {self.in_features}")
        return nn.functional.pad(x, (0, self.augment))

    def transport(self, x: torch.Tensor) -> torch.Tensor:
        """``phi_T(lift(x))``: the final states, ``(..., in_features + augment)``."""
        tableau, h = TABLEAUX[SCHEMES[self.method]], self.t / self.steps
        z = (self.lift(x),)
        for i in range(self.steps):
            z = rk_step(tableau, lambda t, y: (self.field(t, y[0]),),
                        torch.tensor(i * h, dtype=x.dtype, device=x.device), z, h)
        return z[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.transport(x))

    def flow(self, *, dtype: torch.dtype = torch.float64):
        """The field as a :class:`neurodyn.Flow` on ``in_features + augment`` dimensions, with its analytic
        Jacobian (:func:`neurodyn.tanh_field`, on copies of the weights in ``dtype``)."""
        from neurodyn.systems.fields import tanh_field

        layers = [m for m in self.field.net if isinstance(m, nn.Linear)]
        name = f"{type(self).__name__} field"
        device = layers[0].weight.device
        if len(layers) == 1:
            return tanh_field(layers[0].weight.detach(), layers[0].bias.detach(), name=name, dtype=dtype,
                              device=device)
        return tanh_field(layers[0].weight.detach(), layers[0].bias.detach(), W_out=layers[1].weight.detach(),
                          b_out=layers[1].bias.detach(), name=name, dtype=dtype, device=device)

    def ftle(self, points, *, k: int = 1, **kwargs):
        """FTLEs of the input-to-final-state map ``x -> phi_T([x, 0])`` at ``points: (P, in_features)``: the
        singular values of ``D phi_T`` restricted to the input directions (the augmented coordinates start at
        zero and are not perturbed), with the classifier's own time, step count and scheme. Other keywords go
        to :func:`neurodyn.ftle`. The returned field's ``points`` are the inputs."""
        from neurodyn.lyapunov.ftle import ftle

        fixed = {"directions", "steps"} & set(kwargs)
        if fixed:
            raise InvalidInputError(f"{sorted(fixed)} cannot be changed here: the perturbations are the input "
                                    "directions, and the horizon is t= (time units) with the step dt=")
        system = self.flow()
        x = _input_batch(points, self.in_features, system.dtype)
        directions = torch.eye(system.dim, self.in_features, dtype=system.dtype)
        settings = dict(t=self.t, dt=self.t / self.steps, method=SCHEMES[self.method])
        settings.update(kwargs)
        out = ftle(system, self.lift(x), k=k, directions=directions, **settings)
        return replace(out, points=x)

    def long_time_lyapunov(self, points, *, t: float = 100.0, dt: float = 0.05, transient: float = 10.0, **kwargs):
        """Lyapunov spectrum of the trained field over long times (chaos detection): trajectories from
        ``lift(points)`` run for ``transient`` time units (the state, then the tangent frame aligning with the
        Oseledets directions) and then ``t`` measured time units (RK4 with step ``dt``), averaged over the
        points (:func:`neurodyn.lyapunov_spectrum`; other keywords go to it). A positive leading exponent means
        sensitive dependence beyond the classifier's horizon; a bounded field whose trajectories escape to
        infinity gives exponents tending to 0."""
        from neurodyn.lyapunov.spectrum import lyapunov_spectrum

        system = self.flow()
        x0 = self.lift(_input_batch(points, self.in_features, system.dtype))
        dt = positive_float(dt, name="dt")
        settings = dict(transient=round(transient / dt), tangent_transient=round(transient / dt))
        settings.update(kwargs)
        return lyapunov_spectrum(system, steps=max(1, round(positive_float(t, name="t") / dt)), dt=dt, x0=x0,
                                 **settings)


def _input_batch(points, features: int, dtype) -> torch.Tensor:
    """``points`` as a ``(P, features)`` batch (a single point ``(features,)`` becomes ``(1, features)``)."""
    try:
        x = torch.as_tensor(points).to(dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"points must be a tensor of inputs, got {type(points).__name__}") from exc
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] != features or len(x) == 0:
        raise InvalidInputError(f"points has shape {tuple(x.shape)}; give a non-empty batch (P, {features}) of "
                                "inputs (or one input of shape ({features},))")
    return x


@dataclass(frozen=True)
class TrainedClassifier:
    """The trained ``model`` (evaluation mode), its final training ``loss`` (cross-entropy), its ``accuracy`` on
    held-out data, and the data: ``X_train, y_train, X_test, y_test``."""

    model: NeuralODEClassifier
    loss: float
    accuracy: float
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


ARCHITECTURE = ("hidden", "augment", "field", "t", "steps", "method")


def train_moons_classifier(*, n_train: int = 1000, n_test: int = 1000, noise: float = 0.1, epochs: int = 400,
                           lr: float = 0.02, seed: int = 0, **architecture) -> TrainedClassifier:
    """Train a :class:`NeuralODEClassifier` on two moons (:func:`neurodyn.data.moons`) with full-batch Adam
    (float32, cosine learning-rate decay, seeded; the global random state is saved and restored). With the
    defaults it reaches > 97% test accuracy in a few seconds on a CPU.

    Args:
        n_train, n_test: training and held-out examples (default 1000 each); noise: the moons' noise (0.1).
        epochs: full-batch Adam steps (default 400) at learning rate ``lr`` (0.02), cosine-decayed.
        seed: seeds the data (``seed`` and ``seed + 1``) and the initial weights.
        **architecture: the model's keywords, as in :class:`NeuralODEClassifier`: ``hidden`` (16), ``augment``
            (0), ``field`` (``"mlp"``), ``t`` (1.0), ``steps`` (10), ``method`` (``"rk4"``); any other name raises
            :class:`~neurodyn.InvalidInputError`.
    """
    unknown = sorted(set(architecture) - set(ARCHITECTURE))
    if unknown:
        raise InvalidInputError(f"train_moons_classifier got unknown argument(s) {unknown}; the model's are "
                                f"{list(ARCHITECTURE)} and the training's n_train, n_test, noise, epochs, lr, seed")
    epochs = positive_int(epochs, name="epochs")
    X, y = moons(n_train, noise=noise, seed=seed)
    X_test, y_test = moons(n_test, noise=noise, seed=seed + 1)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only: fork_rng restores just that one
        model = NeuralODEClassifier(2, 2, **architecture)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss = torch.tensor(math.nan)
    for _ in range(epochs):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(X_test).argmax(-1) == y_test).double().mean())
    return TrainedClassifier(model=model, loss=loss.item(), accuracy=accuracy, X_train=X, y_train=y,
                             X_test=X_test, y_test=y_test)
