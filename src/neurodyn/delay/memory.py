"""Memory capacity ``K tau`` of a neural DDE and what it guarantees (Kuehn & Kuntz 2025).

For ``dx/dt = f(x(t), x(t - tau))`` with ``|f(x, y) - f(x', y')|_2 <= K max(|x - x'|_2, |y - y'|_2)`` (``K`` the
Lipschitz constant of ``f`` as a functional on history segments with the sup norm, Driver's setting), the
product ``K tau`` is the *memory capacity*. If ``K tau e < 1`` the equation is ODE-like: there is an
``n``-dimensional family of special solutions, and every solution approaches one of them exponentially, at
least like ``exp(-t / tau)`` (Driver 1968, "On the behavior of the solutions of an n-dimensional nonautonomous
differential-delay equation with small delay", and Kuehn & Kuntz 2025, "The influence of the memory capacity of
neural DDEs on the universal approximation property", arXiv:2505.07244, Thm. 4.5); a non-augmented neural DDE in
that regime cannot approximate maps with a non-degenerate extremum (their Thm. 5.4). For large ``K tau``
universal approximation holds. ``K`` here is an upper bound, so ``K tau e >= 1`` does not prove the contrary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from neurodyn.delay.solve import as_delay_flow
from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.results import Result, Status

# Upper bounds of |sigma'| (global Lipschitz constants) of elementwise activations.
SLOPES = {nn.Tanh: 1.0, nn.ReLU: 1.0, nn.Identity: 1.0, nn.Sigmoid: 0.25, nn.Softplus: 1.0, nn.SiLU: 1.0999,
          nn.GELU: 1.1289, nn.Hardtanh: 1.0}


class NeuralDDE(nn.Module):
    """The neural DDE field ``f(x, x_tau) = net(cat(x, x_tau))`` with ``net`` an ``nn.Sequential`` of ``nn.Linear``
    layers and elementwise activations (non-augmented when the state ``dim`` is the data dimension).

    Args: dim (state ``n``), hidden (width), depth (hidden layers, default 1), activation (default ``nn.Tanh``),
    generator (seeds the initial weights: ``nn.Linear``'s default initialisation drawn from it).
    """

    def __init__(self, dim: int, hidden: int, *, depth: int = 1, activation=nn.Tanh, generator=None):
        super().__init__()
        self.dim = dim
        widths = [2 * dim] + [hidden] * depth + [dim]
        layers: list[nn.Module] = []
        for i in range(len(widths) - 1):
            lin = nn.Linear(widths[i], widths[i + 1], dtype=torch.float64)
            bound = 1 / math.sqrt(widths[i])
            with torch.no_grad():
                for p in (lin.weight, lin.bias):
                    p.copy_((torch.rand(p.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)
            layers.append(lin)
            if i < len(widths) - 2:
                layers.append(activation())
        self.net = nn.Sequential(*layers)

    def forward(self, t, x, x_tau):
        return self.net(torch.cat((x, x_tau), dim=-1))


def lipschitz_bound(net: nn.Sequential, dim: int) -> float:
    """An upper bound of ``K`` for ``f(x, y) = net(cat(x, y))`` in the norm of the module docstring.

    The product over the layers of the spectral norms ``|W|_2`` (the first layer's as
    ``min(|W_x|_2 + |W_y|_2, sqrt(2) |W|_2)``, its columns acting on ``x`` and on ``y``) and of the activations'
    slope bounds (:data:`SLOPES`). Spectral norms come from the SVD (relative error ~1e-15), enlarged by 1e-12.
    """
    K, first = 1.0, True
    for layer in net:
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().double()
            if first:
                Wx, Wy = W[:, :dim], W[:, dim:]
                K *= min(_norm(Wx) + _norm(Wy), math.sqrt(2) * _norm(W))
                first = False
            else:
                K *= _norm(W)
        elif type(layer) in SLOPES:
            K *= SLOPES[type(layer)]
        elif isinstance(layer, nn.LeakyReLU):
            K *= max(1.0, abs(layer.negative_slope))
        else:
            raise UnsupportedModelError(f"no Lipschitz bound for layer {type(layer).__name__}; supported are "
                                        f"nn.Linear, nn.LeakyReLU and {sorted(c.__name__ for c in SLOPES)}")
    return K * (1 + 1e-12)


def _norm(W: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(W, ord=2)) if W.numel() else 0.0


@dataclass(frozen=True, eq=False)
class MemoryCapacity(Result):
    """``K tau`` of a delay flow and the regime it certifies.

    Attributes:
        K: upper bound of the Lipschitz constant (1/time). tau: the delay (the longest, time units).
        K_tau: their product. ode_like: ``K tau e < 1`` (certified). attraction_rate: ``1 / tau`` (1/time),
        the rate at which solutions approach the special solutions when ``ode_like``, else ``None``.
        norm: the norm ``K`` refers to. source: how ``K`` was obtained. status: ``"ok"``.
    """

    K: float
    tau: float
    K_tau: float
    ode_like: bool
    attraction_rate: float | None
    norm: str
    source: str
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    @property
    def regime(self) -> str:
        return ("ODE-like (K tau e < 1: special solutions attract like exp(-t / tau))" if self.ode_like else
                "not certified ODE-like (K tau e >= 1 for this upper bound of K)")


NORM = "|f(x, y) - f(x', y')|_2 <= K max(|x - x'|_2, |y - y'|_2)"


def memory_capacity(system, *, lipschitz: float | None = None) -> MemoryCapacity:
    """The memory capacity ``K tau`` of a :class:`~neurodyn.DelayFlow` (see the module docstring).

    ``K`` is ``lipschitz`` when given (a bound the caller vouches for), else computed by :func:`lipschitz_bound`
    for a flow built by :meth:`DelayFlow.from_module` from a :class:`NeuralDDE` (or any module with an
    ``nn.Sequential`` ``net`` applied to ``cat(x, x_tau)``). With several delays ``tau`` is the longest.

    Returns: :class:`MemoryCapacity`. See also: :func:`neurodyn.lyapunov_spectrum` (the exponents below
    ``-1/tau`` measure the attraction), :func:`neurodyn.delay.solve_dde`.
    """
    system = as_delay_flow(system)
    if lipschitz is not None:
        K, source = float(lipschitz), "given"
        if not (math.isfinite(K) and K >= 0):
            raise InvalidInputError(f"lipschitz must be a finite non-negative number, got {lipschitz!r}")
    else:
        net = getattr(getattr(system, "module", None), "net", None)
        if not isinstance(net, nn.Sequential) or len(system.delays) != 1:
            raise UnsupportedModelError(
                f"no Lipschitz bound is known for {system.name!r}: pass lipschitz=, or build the flow with "
                "DelayFlow.from_module(NeuralDDE(...), tau) (a Sequential net on cat(x, x_tau), one delay)")
        K, source = lipschitz_bound(net, system.dim), "product of spectral norms and activation slopes"
    tau = system.tau_max
    ode_like = K * tau * math.e < 1
    return MemoryCapacity(K=K, tau=tau, K_tau=K * tau, ode_like=ode_like, attraction_rate=1 / tau if ode_like else None,
                          norm=NORM, source=source, settings={"delays": list(system.delays)})
