"""``solve_dde``: trajectories of a :class:`~neurodyn.DelayFlow` from a batch of initial histories."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn.delay.scheme import DelayScheme, make_scheme
from neurodyn.delay.system import DelayFlow
from neurodyn.errors import DivergenceError, InvalidInputError, UnsupportedModelError
from neurodyn.results import Result, Status


@dataclass(frozen=True, eq=False)
class DelaySolution(Result):
    """A solution of a delay equation on ``[0, t_end]`` at the integrator's nodes.

    Attributes:
        t: ``(T,)`` times ``0, dt, ..., t_end``.
        x: ``(B, T, n)`` the states of the ``B`` histories (differentiable when the field's parameters are).
        status: ``"ok"``. system: the system's name. settings: ``dt``, ``method``, ``steps``, the delays.
    """

    t: torch.Tensor
    x: torch.Tensor
    status: Status
    system: str
    settings: dict = field(default_factory=dict)

    @property
    def final(self) -> torch.Tensor:
        """``x(t_end)``: ``(B, n)``."""
        return self.x[:, -1]

    def plot(self, ax=None, *, coordinate: int = 0):
        """Coordinate ``coordinate`` of every trajectory against time; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        t = self.t.detach().cpu().numpy()
        for b in range(self.x.shape[0]):
            ax.plot(t, self.x[b, :, coordinate].detach().cpu().numpy(), lw=1)
        ax.set_xlabel("time")
        ax.set_ylabel(f"x_{coordinate}(t)")
        ax.set_title(f"{self.system}", fontsize=10)
        return ax


def as_delay_flow(system) -> DelayFlow:
    if not isinstance(system, DelayFlow):
        raise UnsupportedModelError(f"expected a neurodyn.DelayFlow, got {type(system).__name__}; wrap the field with "
                                    "neurodyn.DelayFlow(field, dim, delays) or DelayFlow.from_module(module, delays)")
    return system


def initial_window(scheme: DelayScheme, history, *, name: str = "history"):
    """Values and slopes ``(B, N + 1, n)`` of the initial histories at the window's nodes, and ``phi'(0-)`` ``(B, n)``.

    The slope stored at node 0 is the solution's, ``field(0, phi(0), phi(-tau))`` (the right-hand derivative):
    the history's own slope there is kept apart for the interval ``[-dt, 0]`` (see :meth:`DelayScheme.delayed`).
    """
    system = scheme.system
    X, S = system.history_nodes(history, scheme.window_times().to(system.device), name=name)
    X, S = X.contiguous(), S.contiguous()
    left_slope = S[:, -1]
    s0 = system.probe(X[:, -1], scheme.delayed(X, S, 0.0))  # x(-tau_j) sit on nodes
    S = torch.cat((S[:, :-1], s0.unsqueeze(1)), dim=1)
    return X, S, left_slope


def solve_dde(system: DelayFlow, t_end: float, *, dt: float, history=None, method: str = "rk4",
              record_every: int = 1) -> DelaySolution:
    """Integrate ``dx/dt = field(t, x(t), x(t - tau_j))`` from the histories ``phi`` on ``[-tau_max, 0]`` to ``t_end``.

    Algorithm: the method of steps with the explicit Runge–Kutta ``method`` and the cubic Hermite continuous
    extension for the delayed values (:mod:`neurodyn.delay.scheme`); order ``min(p, 4)`` for a scheme of order
    ``p`` (checked by the tests on ``x' = -x(t - 1)``). The derivative jump at ``t = 0`` (``phi'(0-)`` against
    ``field(0, ...)``) is respected: the history's interval uses the history's slope. Batched over histories,
    differentiable with ``torch.autograd`` through the field's parameters and the history.

    Args:
        system: a :class:`~neurodyn.DelayFlow`.
        t_end: final time (time units), a multiple of ``dt``.
        dt: the step; it must divide every delay (else :class:`~neurodyn.InvalidInputError` naming ``dt``).
        history: initial histories (see :class:`~neurodyn.DelayFlow`): constant ``(n,)``/``(B, n)`` or a callable
            ``phi(t)``; default the system's ``history``.
        method: ``"rk4"`` (default), ``"rk38"``, ``"midpoint"`` or ``"euler"``.
        record_every: keep every this many nodes in the result.

    Returns:
        :class:`DelaySolution`. A state that becomes non-finite raises :class:`~neurodyn.DivergenceError` with
        the step.

    See also: :func:`neurodyn.lyapunov_spectrum` (delay flows), :func:`neurodyn.memory_capacity`.
    """
    system = as_delay_flow(system)
    scheme = make_scheme(system, dt, method)
    steps = round(float(t_end) / scheme.dt)
    if steps < 1 or abs(steps * scheme.dt - float(t_end)) > 1e-9 * max(1.0, abs(float(t_end))):
        raise InvalidInputError(f"t_end={t_end!r} must be a positive multiple of dt={scheme.dt:g}")
    if not isinstance(record_every, int) or record_every < 1:
        raise InvalidInputError(f"record_every must be a positive integer, got {record_every!r}")
    X, S, left = initial_window(scheme, history)
    xs = [X[:, -1]]
    for k in range(steps):
        jump = _jump(scheme, k, left)
        t = torch.tensor(k * scheme.dt, dtype=X.dtype, device=X.device)
        X, S = scheme.step(X, S, t, jump)
        if not bool(torch.isfinite(X[:, -1]).all()):
            raise DivergenceError(f"{system.name!r}: the state became non-finite at t = {(k + 1) * scheme.dt:g} "
                                  f"(step {k + 1} of {steps}); lower dt, or check the history and the parameters",
                                  step=k + 1)
        if (k + 1) % record_every == 0:
            xs.append(X[:, -1])
    t = torch.arange(0, steps + 1, record_every, dtype=torch.float64) * scheme.dt
    settings = {"dt": scheme.dt, "method": method, "steps": steps, "delays": list(system.delays)}
    return DelaySolution(t=t, x=torch.stack(xs, dim=1), status=Status.OK, system=system.name, settings=settings)


def _jump(scheme: DelayScheme, k: int, left_slope: torch.Tensor):
    """The breaking point at 0 sits at the right end of the delayed interval of the delays with ``N_j = k + 1``."""
    if k + 1 > scheme.nodes:
        return None
    mask = torch.tensor([q == k + 1 for q in scheme.lags], device=left_slope.device)
    return (mask, left_slope) if bool(mask.any()) else None
