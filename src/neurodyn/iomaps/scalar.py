"""The scalar input–output map ``f: R^n -> R`` of a network, with its gradient, for the critical-point search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor
from neurodyn.errors import InvalidInputError
from neurodyn.iomaps.network import Network, read_network


@dataclass(frozen=True, eq=False)
class ScalarMap:
    """``f (P, n) -> (P,)``, ``gradient (P, n) -> (P, n)``, ``hessian (P, n) -> (P, n, n)``, and
    ``saturated (P, n) -> (P,)``: where the float64 gradient is not trustworthy (an activation derivative
    underflows to 0)."""

    in_dim: int
    f: Callable
    gradient: Callable
    hessian: Callable
    saturated: Callable
    name: str


def _reverse_over_reverse(f: Callable) -> tuple[Callable, Callable]:
    """Gradient and Hessian of a batched ``f`` (no cross-sample terms) by autograd, double backward; faster
    than ``torch.func`` transforms through the many small operations of an ODE solve."""

    def gradient(X):
        with torch.enable_grad():
            X = X.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(f(X).sum(), X)
        return g

    def hessian(X):
        with torch.enable_grad():
            X = X.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(f(X).sum(), X, create_graph=True)
            cols = [torch.autograd.grad(g[:, i].sum(), X, retain_graph=i + 1 < X.shape[-1])[0]
                    for i in range(X.shape[-1])]
        return torch.stack(cols, -1)

    return gradient, hessian


def _selector(output, out_dim: int, name: str) -> torch.Tensor:
    """The output weights ``u (out_dim,)`` of ``f = u . outputs``."""
    if output is None:
        if out_dim != 1:
            raise InvalidInputError(f"{name} has {out_dim} outputs; critical points need a scalar map: pass output=k "
                                    "(one output) or output=u (the combination u . outputs, e.g. a logit difference)")
        return torch.ones(1, dtype=torch.float64)
    if isinstance(output, int) and not isinstance(output, bool):
        if not 0 <= output < out_dim:
            raise InvalidInputError(f"output={output} is not an output index of {name} (0 to {out_dim - 1})")
        return torch.eye(out_dim, dtype=torch.float64)[output]
    u = as_tensor(output, name="output", dtype=torch.float64, device="cpu")
    if u.shape != (out_dim,):
        raise InvalidInputError(f"output must be an index or a vector of {out_dim} weights for the outputs of {name}, "
                                f"got shape {tuple(u.shape)}")
    return u


def _mlp_map(net: Network, u: torch.Tensor, name: str) -> ScalarMap:
    net = Network(net.kind, (*net.weights, u[None]), (*net.biases, torch.zeros(1, dtype=torch.float64)),
                  (*net.activations, ()), net.name)
    return ScalarMap(net.in_dim, lambda x: net(x)[..., 0], net.gradient, lambda x: net.gradient_hessian(x)[1],
                     net.saturated, name)


def _node_outputs(net: Network) -> Callable:
    """``x (..., n) -> readout(phi_T([A x + a, 0])) (..., m)`` with the classifier's own fixed-grid scheme and
    step count, batched (the samples do not interact)."""
    from neurodyn.integrate import TABLEAUX, rk_step
    from neurodyn.models.node import SCHEMES

    model = net.node[2]
    system = model.flow()  # float64 copies of the field's weights
    tab, steps = TABLEAUX[SCHEMES[model.method]], model.steps
    h = model.t / steps
    W, b = net.weights[1], net.biases[1]
    lift, shift = net.weights[0], net.biases[0]

    def outputs(x):
        z = x @ lift.T + shift
        for i in range(steps):
            (z,) = rk_step(tab, lambda t, y: (system.f(y[0], t),), torch.as_tensor(i * h, dtype=z.dtype), (z,), h)
        return z @ W.T + b

    return outputs


def _node_map(net: Network, u: torch.Tensor, name: str) -> ScalarMap:
    """``f(x) = u . readout(phi_T([A x + a, 0]))``."""
    outputs = _node_outputs(net)

    def f(x):
        return outputs(x) @ u

    gradient, hessian = _reverse_over_reverse(f)
    return ScalarMap(net.in_dim, f, gradient, hessian, lambda x: torch.zeros(x.shape[:-1], dtype=torch.bool), name)


def vector_map(model) -> tuple[Network, Callable]:
    """``model`` read into a :class:`Network` and its batched input–output map ``x (P, n) -> (P, m)``."""
    net = read_network(model)
    return net, (net if net.kind == "mlp" else _node_outputs(net))


def scalar_map(model, output=None) -> ScalarMap:
    """``model``'s input–output map made scalar by ``output`` (``None`` for a single output, an index, or
    weights ``u`` of ``u . outputs``)."""
    net = read_network(model)
    name = type(model).__name__
    u = _selector(output, net.out_dim, name)
    return _mlp_map(net, u, name) if net.kind == "mlp" else _node_map(net, u, name)
