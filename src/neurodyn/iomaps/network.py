"""The networks the input–output analyses read: MLPs as ``nn.Sequential`` and the neural-ODE classifier.

A network is read once into a :class:`Network` record of float64 copies of its weights (the user's module is
never touched), which evaluates the input–output map ``f`` batched and differentiably (``torch.func``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from neurodyn.errors import InvalidInputError, NonFiniteError, UnsupportedModelError

# Elementwise activations with sigma' > 0 everywhere and sigma smooth (C^infinity): the hypotheses of the
# critical-point theorems. ReLU-type activations are refused: they are not differentiable at 0, so neither
# the theorems nor the Hessian (Morse index) apply.
ACTIVATIONS = {nn.Tanh: ("tanh", torch.tanh), nn.Sigmoid: ("sigmoid", torch.sigmoid),
               nn.Identity: ("identity", lambda x: x)}
FUNCTIONS = {name: fn for name, fn in ACTIVATIONS.values()}
# Derivatives in forms that stay accurate where the activation saturates: autograd's 1 - tanh(z)^2 is exactly 0
# in float64 once tanh(z) rounds to 1 (|z| > 19), which would make every saturated input look critical;
# 1 / cosh(z)^2 is accurate until it underflows (|z| > 355).
DERIVATIVES = {"tanh": lambda z: torch.cosh(z) ** -2, "sigmoid": lambda z: torch.sigmoid(z) * torch.sigmoid(-z),
               "identity": torch.ones_like}
SECOND = {"tanh": lambda z: -2 * torch.tanh(z) * torch.cosh(z) ** -2,
          "sigmoid": lambda z: torch.sigmoid(z) * torch.sigmoid(-z) * torch.tanh(-z / 2),  # s (1 - s) (1 - 2 s)
          "identity": torch.zeros_like}


@dataclass(frozen=True, eq=False)
class Network:
    """A feed-forward network read from a module: ``f(x) = L_K(a_{K-1}(... a_1(L_1(x))))``.

    Attributes:
        kind: ``"mlp"`` or ``"node"``.
        weights, biases: float64 copies of the linear maps' ``(out, in)`` weights and ``(out,)`` biases, in order.
        activations: per linear map, the names of the activations applied after it (empty for none).
        name: the module's class name, for messages.
        node: for a neural-ODE classifier, ``(in_features, augment, classifier)``; ``None`` for an MLP. Its first
            linear map is the input map ``x -> [A x + a, 0]`` (``A = I``, ``a = 0`` for the classifier alone),
            its second the readout.
    """

    kind: str
    weights: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor, ...]
    activations: tuple[tuple[str, ...], ...]
    name: str
    node: tuple | None = None

    @property
    def widths(self) -> list[int]:
        """``[n_0, n_1, ..., n_K]``: the input width, then each linear map's output width."""
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    @property
    def in_dim(self) -> int:
        return self.weights[0].shape[1]

    @property
    def out_dim(self) -> int:
        return self.weights[-1].shape[0]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The input–output map on ``x: (..., n_0)`` (MLPs only), ``(..., n_K)``."""
        if self.kind != "mlp":
            raise UnsupportedModelError(f"evaluating the input-output map of {self.name!r} (a neural ODE) is not "
                                        "supported here; pass an nn.Sequential MLP")
        for W, b, acts in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ W.T + b
            for a in acts:
                x = FUNCTIONS[a](x)
        return x

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        """``grad f (..., n_0)`` of a scalar-output MLP by backpropagation with saturation-safe activation
        derivatives (differentiable again by ``torch.func`` for the Hessian)."""
        saved = []
        for W, b, acts in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ W.T + b
            layer = []
            for a in acts:
                layer.append(x)
                x = FUNCTIONS[a](x)
            saved.append(layer)
        g = torch.ones_like(x)
        for W, acts, layer in zip(reversed(self.weights), reversed(self.activations), reversed(saved), strict=True):
            for a, z in zip(reversed(acts), reversed(layer), strict=True):
                g = g * DERIVATIVES[a](z)
            g = g @ W
        return g

    def gradient_hessian(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``grad f (P, n_0)`` and the Hessian ``(P, n_0, n_0)`` of a scalar-output MLP in one pass.

        With ``z`` the input of an activation ``a`` and ``Z = dz/dx`` (carried forward, ``(P, width, n_0)``), the
        linear maps have no curvature, so ``H = sum over activations of Z^T diag(df/da * a''(z)) Z`` (``df/da`` by
        backpropagation). Exact (no differencing), saturation-safe like :meth:`gradient`, and about three times
        faster than ``n_0`` forward-over-reverse products through :meth:`gradient` (4096 points of the 10-input
        network of ``bench/critical_points.py``: 0.21 s against 0.65 s)."""
        saved = []
        Zt = None  # dz/dx transposed, (P, n_0, width): one large product per linear map
        for W, b, acts in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ W.T + b
            Zt = W.T.expand(x.shape[0], *W.T.shape) if Zt is None else Zt @ W.T
            for a in acts:
                saved.append((a, x, Zt))
                Zt = Zt * DERIVATIVES[a](x)[:, None, :]
                x = FUNCTIONS[a](x)
        g = torch.ones_like(x)
        H = x.new_zeros(x.shape[0], self.in_dim, self.in_dim)
        k = len(saved)
        for W, acts in zip(reversed(self.weights), reversed(self.activations), strict=True):
            for _ in acts:
                k -= 1
                a, z, Zk = saved[k]
                H = H + (Zk * (g * SECOND[a](z))[:, None, :]) @ Zk.transpose(-1, -2)
                g = g * DERIVATIVES[a](z)
            g = g @ W
        return g, H

    def saturated(self, x: torch.Tensor) -> torch.Tensor:
        """``(...,)`` whether an activation derivative underflows to 0 at ``x``: the float64 gradient is then
        exactly 0 although the true one is not, and such a point cannot be judged critical."""
        out = torch.zeros(x.shape[:-1], dtype=torch.bool, device=x.device)
        for W, b, acts in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ W.T + b
            for a in acts:
                out |= (DERIVATIVES[a](x) == 0).any(-1)
                x = FUNCTIONS[a](x)
        return out


def _linear(layer: nn.Linear, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    W = layer.weight.detach().to(dtype=torch.float64, device="cpu").clone()
    b = (layer.bias.detach().to(dtype=torch.float64, device="cpu").clone() if layer.bias is not None
         else torch.zeros(W.shape[0], dtype=torch.float64))
    if not (bool(torch.isfinite(W).all()) and bool(torch.isfinite(b).all())):
        raise NonFiniteError(f"{where} has non-finite weights or bias (NaN or inf); the input-output map is "
                             "undefined there: check the training run that produced them")
    return W, b


def _read_mlp(model: nn.Sequential) -> Network:
    weights, biases, acts = [], [], []
    for i, layer in enumerate(model):
        where = f"layer {i} ({type(layer).__name__}) of the nn.Sequential"
        if isinstance(layer, nn.Linear):
            W, b = _linear(layer, where)
            if weights and W.shape[1] != weights[-1].shape[0]:
                raise InvalidInputError(f"{where} takes {W.shape[1]} inputs but the layer before gives "
                                        f"{weights[-1].shape[0]}")
            weights.append(W)
            biases.append(b)
            acts.append([])
        elif type(layer) in ACTIVATIONS:
            if not weights:
                raise UnsupportedModelError(f"{where}: the network must start with an nn.Linear")
            acts[-1].append(ACTIVATIONS[type(layer)][0])
        else:
            raise UnsupportedModelError(
                f"{where} is not supported: the input-output analyses read nn.Linear layers and the smooth, "
                "strictly increasing elementwise activations nn.Tanh, nn.Sigmoid (and nn.Identity); ReLU-type "
                "activations are not differentiable, so the critical-point theorems and Hessians do not apply")
    if not weights:
        raise UnsupportedModelError("the nn.Sequential has no nn.Linear layer; nothing maps inputs to outputs")
    return Network("mlp", tuple(weights), tuple(biases), tuple(tuple(a) for a in acts), "nn.Sequential")


def _read_node(model, first: nn.Linear | None = None) -> Network:
    """The classifier ``model`` (after the input map ``first``, if given) as ``x -> [A x + a, 0]`` (the lift),
    then the flow, then the readout."""
    readout = model.readout
    W, b = _linear(readout, f"the readout of {type(model).__name__}")
    n_in, aug = model.in_features, model.augment
    if first is None:
        A, a = torch.eye(n_in, dtype=torch.float64), torch.zeros(n_in, dtype=torch.float64)
    else:
        A, a = _linear(first, "layer 0 (Linear) of the nn.Sequential")
        if A.shape[0] != n_in:
            raise InvalidInputError(f"layer 0 (Linear) of the nn.Sequential gives {A.shape[0]} outputs but the "
                                    f"{type(model).__name__} after it takes {n_in} inputs")
    lift = torch.cat([A, A.new_zeros(aug, A.shape[1])])  # x -> [A x + a, 0]
    for p in model.field.parameters():
        if not bool(torch.isfinite(p.detach()).all()):
            raise NonFiniteError(f"the vector field of {type(model).__name__} has non-finite weights (NaN or inf)")
    return Network("node", (lift, W), (torch.cat([a, a.new_zeros(aug)]), b), ((), ()), type(model).__name__,
                   node=(n_in, aug, model))


def read_network(model) -> Network:
    """Read ``model`` (an ``nn.Sequential`` MLP, a :class:`neurodyn.models.node.NeuralODEClassifier`, or
    ``nn.Sequential(nn.Linear, NeuralODEClassifier)``: a neural ODE with an input affine map) into a
    :class:`Network`; :class:`~neurodyn.UnsupportedModelError` naming the layer for anything else."""
    from neurodyn.models.node import NeuralODEClassifier

    if isinstance(model, NeuralODEClassifier):
        return _read_node(model)
    if (isinstance(model, nn.Sequential) and len(model) == 2 and isinstance(model[0], nn.Linear)
            and isinstance(model[1], NeuralODEClassifier)):
        return _read_node(model[1], model[0])
    if isinstance(model, nn.Sequential):
        return _read_mlp(model)
    if isinstance(model, nn.Linear):
        return _read_mlp(nn.Sequential(model))
    raise UnsupportedModelError(f"{type(model).__name__} is not supported: pass an nn.Sequential of nn.Linear "
                                "layers and tanh/sigmoid activations, or a neurodyn.models NeuralODEClassifier")
