"""The memory-capacity experiment of Kuehn & Kuntz (2025): non-augmented 1-D neural DDEs fitted to ``x -> x^2``.

The input ``x`` in ``[-1, 1]`` is the constant initial history; the output is ``a x(T) + c`` (an affine read-out,
still non-augmented: the state has the data's dimension 1). ``x^2`` has a non-degenerate minimum at 0; for
``K tau e < 1`` the map ``x -> x(T)`` is ODE-like, hence monotone in 1-D, and cannot fit it (their Thm. 5.4);
with a long delay the history enters the field as a parameter and the fit succeeds. The sweep trains one network
per delay and reports the final loss against the memory capacity ``K tau`` of the trained field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from neurodyn.delay.memory import NeuralDDE, lipschitz_bound
from neurodyn.delay.solve import solve_dde
from neurodyn.delay.system import DelayFlow
from neurodyn.results import Result, Status


@dataclass(frozen=True)
class SweepSettings:
    """Sizes of :func:`memory_sweep`: delays ``taus`` (time units), Adam ``iterations`` at learning rate ``lr``,
    ``hidden`` units, read-out time ``T``, step ``dt`` (must divide every delay and ``T``), ``points`` inputs, and
    the weight-norm constraint ``max_lipschitz``: after every step the last layer is scaled down so that the
    field's Lipschitz bound stays at most this (1/time), which fixes where each delay puts ``K tau``."""

    taus: tuple[float, ...] = (0.1, 0.5, 1.0)
    iterations: int = 80
    lr: float = 0.05
    hidden: int = 8
    T: float = 1.0
    dt: float = 0.1
    points: int = 32
    max_lipschitz: float = 3.0
    seed: int = 0


@dataclass(frozen=True, eq=False)
class MemorySweep(Result):
    """Final training loss of ``x -> x^2`` against ``K tau`` per delay.

    Attributes: taus; K (Lipschitz bounds of the trained fields); K_tau; loss (final mean squared error); the
    loss of the best constant fit ``baseline`` (what no learning achieves); status ``"ok"``; settings.
    """

    taus: torch.Tensor
    K: torch.Tensor
    K_tau: torch.Tensor
    loss: torch.Tensor
    baseline: float
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def plot(self, ax=None):
        """Final loss against ``K tau`` (log-log), the line ``K tau = 1/e`` marked; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.loglog(self.K_tau.numpy(), self.loss.numpy(), "o-")
        for kt, ls, tau in zip(self.K_tau.tolist(), self.loss.tolist(), self.taus.tolist(), strict=True):
            ax.annotate(f"τ={tau:g}", (kt, ls), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axvline(1 / math.e, color="tab:red", ls="--", lw=1, label="K τ = 1/e")
        ax.axhline(self.baseline, color="grey", lw=0.8, label="best constant fit")
        ax.set_xlabel("memory capacity K τ (trained field)")
        ax.set_ylabel("final loss (MSE)")
        ax.legend(fontsize=8)
        ax.set_title("non-augmented 1-D neural DDEs on x → x²", fontsize=10)
        return ax


def train_one(tau: float, s: SweepSettings) -> tuple[float, float]:
    """Train one network with delay ``tau``; returns ``(final loss, K bound of the trained field)``."""
    gen = torch.Generator().manual_seed(s.seed)
    net = NeuralDDE(1, s.hidden, generator=gen)
    readout = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    x = torch.linspace(-1, 1, s.points, dtype=torch.float64).unsqueeze(-1)
    flow = DelayFlow(lambda t, y, yd: net(t, y, yd), 1, tau, name=f"neural DDE (tau={tau:g})")
    opt = torch.optim.Adam([*net.parameters(), readout], lr=s.lr)

    def loss_fn():
        end = solve_dde(flow, s.T, dt=s.dt, history=x, record_every=round(s.T / s.dt)).final
        return ((readout[0] * end + readout[1] - x**2) ** 2).mean()

    for _ in range(s.iterations):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        with torch.no_grad():
            net.net[-1].weight.mul_(min(1.0, s.max_lipschitz / lipschitz_bound(net.net, 1)))
    with torch.no_grad():
        final = float(loss_fn())
    return final, lipschitz_bound(net.net, 1)


def memory_sweep(settings: SweepSettings | None = None) -> MemorySweep:
    """Train a non-augmented 1-D neural DDE on ``x -> x^2`` (``x`` in ``[-1, 1]``) for each delay in
    ``settings.taus`` (Adam on the mean squared error, backpropagating through :func:`~neurodyn.delay.solve_dde`)
    and return the final losses with the trained fields' memory capacities ``K tau``
    (:func:`~neurodyn.memory_capacity`'s bound). See the module docstring for the theory.
    """
    s = settings or SweepSettings()
    results = [train_one(tau, s) for tau in s.taus]
    taus = torch.tensor(s.taus, dtype=torch.float64)
    K = torch.tensor([r[1] for r in results], dtype=torch.float64)
    x = torch.linspace(-1, 1, s.points, dtype=torch.float64)
    baseline = float(((x**2 - (x**2).mean()) ** 2).mean())
    return MemorySweep(taus=taus, K=K, K_tau=K * taus, loss=torch.tensor([r[0] for r in results]), baseline=baseline,
                       settings={k: getattr(s, k) for k in s.__dataclass_fields__})
