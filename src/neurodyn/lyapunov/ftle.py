"""Finite-time Lyapunov exponents (FTLE) of flows and maps at a batch of points."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import as_tensor, positive_float, positive_int, state_batch
from neurodyn.errors import DivergenceError, InvalidInputError
from neurodyn.integrate.variational import VariationalIntegrator
from neurodyn.results import Result
from neurodyn.systems.protocol import Flow
from neurodyn.systems.torch_adapters import as_system


@dataclass(frozen=True, eq=False)
class FTLEField(Result):
    """FTLEs at a batch of points.

    Attributes:
        points: ``(P, n)`` the initial points.
        exponents: ``(P, k)`` the ``k`` leading FTLEs, descending: ``(1/T) log sigma_i(D phi_T(x))`` for a
            flow, ``(1/L) log sigma_i(J_L ... J_1)`` for ``L`` steps of a map; in ``units``.
        history: ``(P, L, k)`` for maps, the FTLEs of the partial products ``J_l ... J_1`` after each step
            ``l`` (how growth builds up layer by layer); ``None`` for flows.
        horizon: the time ``T`` (flows) or number of steps ``L`` (maps).
        units: ``"nats/time"`` or ``"nats/step"``; kind, system, settings as in other results.
    """

    points: torch.Tensor
    exponents: torch.Tensor
    history: torch.Tensor | None
    horizon: float
    units: str
    kind: str
    system: str
    settings: dict = field(default_factory=dict)

    @property
    def maximal(self) -> torch.Tensor:
        """``(P,)`` the largest FTLE at each point."""
        return self.exponents[:, 0]

    def __repr__(self) -> str:
        m = self.maximal
        return (f"FTLEField({self.system}: {len(m)} points, horizon {self.horizon:g}, largest FTLE in "
                f"[{float(m.min()):.4g}, {float(m.max()):.4g}] {self.units})")

    def plot(self, ax=None, *, index: int = 0, dims: tuple[int, int] = (0, 1)):
        """The ``index``-th FTLE over the plane of coordinates ``dims`` of the points (a filled contour map
        when there are enough points, else a scatter). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        pts = self.points.detach().double().cpu()
        val = self.exponents[:, index].detach().double().cpu().numpy()
        x = pts[:, dims[0]].numpy()
        y = pts[:, dims[1]].numpy() if pts.shape[1] > 1 else 0 * x
        if len(val) >= 16 and pts.shape[1] > 1:
            art = ax.tricontourf(x, y, val, levels=30, cmap="magma")
        else:
            art = ax.scatter(x, y, c=val, cmap="magma")
        ax.figure.colorbar(art, ax=ax, label=f"FTLE λ{index + 1} ({self.units})")
        ax.set_xlabel(f"x{dims[0] + 1}")
        ax.set_ylabel(f"x{dims[1] + 1}" if pts.shape[1] > 1 else "")
        what = f"T = {self.horizon:g}" if self.kind == "flow" else f"{int(self.horizon)} steps"
        ax.set_title(f"FTLE of {self.system} ({what})", fontsize=10)
        return ax


def ftle(system, points, *, t: float | None = None, steps: int | None = None, k: int = 1, dt: float = 0.01,
         method: str = "rk4", rtol: float = 1e-9, atol: float = 1e-9, inputs=None) -> FTLEField:
    """Finite-time Lyapunov exponents at every point of a batch.

    For a flow, ``lambda_i(x) = (1/T) log sigma_i(D phi_T(x))``: the state and the full variational matrix
    ``D phi_t`` (started at the identity) are integrated together over ``[0, T]`` (fixed-step RK with ``dt``
    adjusted to divide ``T``, or adaptive torchdiffeq ``method``), batched over all points, and the singular
    values are taken at the end (Haller 2001; Shadden, Lekien & Marsden 2005). For a map iterated ``steps``
    times (e.g. the layers of a deep network, each step one layer), ``lambda_i = (1/L) log sigma_i(J_L ... J_1)``
    per step, with the partial products' FTLEs after every step in ``history``.

    The product is formed without re-orthonormalisation, so the horizon must keep ``sigma_1`` below the
    floating-point range (``T * lambda_1 < ~700`` nats); for long-time exponents use
    :func:`neurodyn.lyapunov_spectrum`.

    Args:
        system: a :class:`Map` or :class:`Flow` (or a module :func:`neurodyn.from_torch` accepts).
        points: ``(P, n)`` initial points (any input dimension ``n``; a 2-D grid plots as a map).
        t: horizon ``T`` of a flow (time units). steps: number ``L`` of map steps.
        k: how many leading FTLEs to return (default 1; at most ``n``).
        dt, method, rtol, atol: integration of a flow (as in :func:`neurodyn.lyapunov_spectrum`).
        inputs: ``(P, L, m)`` inputs of a driven map.

    Returns:
        :class:`FTLEField` (nats per unit time for flows, per step for maps).
    """
    system = as_system(system)
    is_flow = isinstance(system, Flow)
    x = state_batch(points, n=system.dim, name="points", dtype=system.dtype, device=system.device)
    n = system.dim
    k = positive_int(k, name="k")
    if k > n:
        raise InvalidInputError(f"k={k} exceeds the state dimension {n} of {system.name!r}")
    if is_flow:
        if t is None or steps is not None:
            raise InvalidInputError(f"{system.name!r} is a flow: give its horizon t= (time units), not steps=")
        T = positive_float(t, name="t")
        L = max(1, round(T / positive_float(dt, name="dt")))
        integ = VariationalIntegrator(system, dt=T / L, method=method, rtol=rtol, atol=atol)
    else:
        if steps is None or t is not None:
            raise InvalidInputError(f"{system.name!r} is a map: give the number of steps=, not t=")
        L = positive_int(steps, name="steps")
        T = float(L)
        if inputs is not None:
            inputs = as_tensor(inputs, name="inputs", dtype=system.dtype, device=system.device)
            if inputs.shape[:2] != (len(x), L) or inputs.shape[-1] != system.input_dim:
                raise InvalidInputError(f"inputs has shape {tuple(inputs.shape)}; expected ({len(x)}, {L}, "
                                        f"{system.input_dim})")
        elif system.input_dim:
            raise InvalidInputError(f"{system.name!r} is driven by inputs: pass inputs of shape ({len(x)}, {L}, "
                                    f"{system.input_dim})")
        integ = VariationalIntegrator(system, inputs=inputs)
    start = x.clone()
    Q = torch.eye(system.tangent_dim, dtype=x.dtype, device=x.device).expand(len(x), -1, -1).contiguous()
    history = []
    with torch.no_grad():
        for i in range(L):
            x, Q = integ.advance(x, Q, i)
            if not bool(torch.isfinite(Q).all()):
                raise DivergenceError(f"the variational matrix of {system.name!r} overflowed at step {i + 1} of "
                                      f"{L}: shorten the horizon", step=i + 1)
            if not is_flow:
                history.append(torch.log(torch.linalg.svdvals(Q)[:, :k]) / (i + 1))
        exponents = torch.log(torch.linalg.svdvals(Q)[:, :k]) / T
    return FTLEField(points=start, exponents=exponents, history=torch.stack(history, dim=1) if history else None,
                     horizon=T, units="nats/time" if is_flow else "nats/step", kind="flow" if is_flow else "map",
                     system=system.name, settings=dict(t=t, steps=L if not is_flow else None, k=k,
                                                       dt=T / L if is_flow else None,
                                                       method=method if is_flow else None))
