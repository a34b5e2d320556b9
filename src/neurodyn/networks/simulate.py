"""Order parameters and fixed-step integration of large networks with an observable recorded on the way.

Global order parameter ``Z = r e^{i psi} = (1/N) sum_j e^{i x_j}`` (Kuramoto 1975); local order parameter
``z_i = (1/d) sum_j A_ij e^{i x_j}`` over the node's neighbourhood, normalised by ``d = N`` (graphon scaling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import DivergenceError, InvalidInputError
from neurodyn.integrate import RK4, rk_step
from neurodyn.networks.coupling import SeparableCoupling
from neurodyn.results import Result, Status


def _one(x):
    return torch.ones_like(x).unsqueeze(-1)


def _cos(x):
    return torch.cos(x).unsqueeze(-1)


def _sin(x):
    return torch.sin(x).unsqueeze(-1)


_COS, _SIN = SeparableCoupling(_one, _cos, name="cos(x_j)"), SeparableCoupling(_one, _sin, name="sin(x_j)")


def order_parameter(x: torch.Tensor) -> torch.Tensor:
    """Complex order parameter ``Z = (1/N) sum_j e^{i x_j}`` of phases ``x: (..., N)``; ``r = |Z|``: ``(...)``."""
    return torch.polar(torch.ones_like(x), x).mean(-1)


def local_order_parameter(graph, x: torch.Tensor) -> torch.Tensor:
    """Local order parameters ``z_i = (1/N) sum_j A_ij e^{i x_j}`` (complex, ``(..., N)``), one product with ``A``
    (O(edges) sparse, O(N r) low rank); over the node positions of a graphon sample they approximate the
    profile ``z(y) = int W(y, y') e^{i x(y')} dy'``."""
    return torch.complex(graph.interact(_COS, x), graph.interact(_SIN, x)) / graph.n


def order_parameter_r(x: torch.Tensor) -> torch.Tensor:
    """``r = |Z|`` of phases ``x: (..., N)``: ``(...)``."""
    return order_parameter(x).abs()


@dataclass(frozen=True)
class Trajectory(Result):
    """An observable recorded along a fixed-step RK4 run.

    Attributes:
        times: ``(T,)`` recording times.
        values: ``(T, ...)`` the observable at those times.
        final: the state at ``t_end``.
        dt: the step.
        status: ``ok``.
    """

    times: torch.Tensor
    values: torch.Tensor
    final: torch.Tensor
    dt: float
    status: Status = Status.OK

    def mean(self, t_from: float) -> torch.Tensor:
        """Time average of the observable over ``t >= t_from``."""
        keep = self.times >= t_from
        if not bool(keep.any()):
            raise InvalidInputError(f"no recorded time at or after t_from = {t_from}")
        return self.values[keep].mean(0)

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        ax = ax or plt.gca()
        v = self.values.reshape(len(self.times), -1)
        ax.plot(self.times.numpy(), v.numpy())
        ax.set_xlabel("t")
        return ax


def simulate(system, x0: torch.Tensor, *, t_end: float, dt: float, observe: Callable = order_parameter_r,
             every: int = 1) -> Trajectory:
    """Integrate ``dx/dt = field(t, x)`` with classical RK4 at fixed step ``dt`` from ``x0: (..., n)`` to
    ``t_end``, recording ``observe(x)`` every ``every`` steps (default: the order parameter ``r``).

    Memory is O(state + records), so millions of particles fit. The field is probed once at ``x0``; NaN/inf
    mid-run raises :class:`~neurodyn.DivergenceError` with the step.

    See also: :func:`order_parameter`, :func:`sweep_coupling`.
    """
    t_end, dt = positive_float(t_end, name="t_end"), positive_float(dt, name="dt")
    every = positive_int(every, name="every")
    x = torch.as_tensor(x0, dtype=system.dtype)
    system.probe(x, torch.zeros((), dtype=x.dtype))
    steps = round(t_end / dt)
    if abs(steps * dt - t_end) > 1e-9 * t_end:
        raise InvalidInputError(f"t_end = {t_end} is not a whole number of steps dt = {dt}; choose t_end = k * dt")

    def rhs(t, y):
        return (system.field(t, y[0]),)

    times, values = [0.0], [observe(x)]
    for k in range(1, steps + 1):
        x = rk_step(RK4, rhs, (k - 1) * dt, (x,), dt)[0]
        if k % every == 0 or k == steps:
            if not bool(torch.isfinite(x).all()):
                raise DivergenceError(f"the state of {system.name!r} became non-finite by step {k}; reduce dt",
                                      step=k)
            times.append(k * dt)
            values.append(observe(x))
    return Trajectory(torch.tensor(times, dtype=torch.float64), torch.stack(values), x, dt)
