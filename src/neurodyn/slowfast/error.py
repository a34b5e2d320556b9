"""How well the reduced system tracks the full one, and how fast full trajectories approach the slow manifold."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torchdiffeq import odeint

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import DivergenceError, InvalidInputError
from neurodyn.results import Result, Status
from neurodyn.slowfast.chart import solve_fast


def trajectory(system, x0: torch.Tensor, t: float, steps: int, *, rtol: float, atol: float) -> torch.Tensor:
    """States ``(steps + 1, B, n)`` of ``system`` from ``x0 (B, n)`` on the grid ``t * i / steps``: one adaptive
    dopri5 solve over the whole grid (torchdiffeq), so the step size carries over from one interval to the next."""
    times = torch.linspace(0, t, steps + 1, dtype=x0.dtype, device=x0.device)
    try:
        with torch.no_grad():
            return odeint(lambda s, x: system.f(x, s), x0, times, rtol=rtol, atol=atol, method="dopri5")
    except AssertionError as exc:  # torchdiffeq signals a collapsing step size this way
        raise DivergenceError(f"{system.name!r}: the adaptive solver failed on [0, {t:g}] ({exc}); the solution may "
                              "blow up there, or loosen rtol/atol", step=0) from exc


def manifold_distance(split, xs: torch.Tensor) -> torch.Tensor:
    """``|A_f (w - w*(z))|`` for states ``xs (..., n)``: the distance along the fast fibre to the slow manifold."""
    chart = split.chart
    flat = xs.reshape(-1, xs.shape[-1])
    z, w = chart.coords(flat)
    sol = solve_fast(split.system, chart, z, split.order)
    d = torch.linalg.vector_norm((w - sol.y) @ chart.fast_basis.T, dim=-1)
    return torch.where(sol.converged, d, float("nan")).reshape(xs.shape[:-1])


def decay_rate(times: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Per column of ``d (T, B)``: the exponential decay rate ``-d log d / dt``, fitted by least squares over the
    second half of the stretch where ``d`` stays above its floor, ``max(1e-6 d[0], 30 d[-1])``: the end value is
    where the decay stops (the computed manifold's own error, or the integration's), and 30 times above it the
    fit is biased by at most about 3%. NaN with fewer than 3 points, or when ``d`` starts below ``1e-9`` (on the
    manifold already)."""
    rates = []
    for j in range(d.shape[1]):
        col = d[:, j]
        floor = max(1e-6 * float(col[0]), 30 * float(col[-1]))
        below = torch.nonzero(~(col > floor)).flatten()
        end = int(below[0]) if len(below) else len(col)
        start = end // 2
        if end - start < 3 or not bool(col[0] > 1e-9):
            rates.append(float("nan"))
            continue
        tt, y = times[start:end], torch.log(col[start:end])
        tc = tt - tt.mean()
        rates.append(float(-(tc * (y - y.mean())).sum() / (tc * tc).sum()))
    return torch.tensor(rates, dtype=d.dtype)


@dataclass(frozen=True, eq=False)
class ReductionError(Result):
    """Reduced against full trajectories from the same initial states (returned by :meth:`SlowFastSplit.error`).

    Attributes:
        times: ``(T,)``. full: ``(T, B, n)`` full trajectories; reduced: ``(T, B, k)`` reduced ones from the
            initial states' slow coordinates (the projection along the fast fibres); full_slow: ``(T, B, k)``
            the full trajectories' slow coordinates.
        slow_error: ``(T, B)`` ``|z_full(t) - z_reduced(t)|`` in slow coordinates.
        distance: ``(T, B)`` ``|x_full(t) - M(z_reduced(t))|``: the full state against the reduced state lifted
            onto the slow manifold.
        manifold_distance: ``(T, B)`` distance of the full trajectory to the slow manifold along the fast fibre.
        phase, manifold_phase: ``(T, B, 2)`` the full trajectories and the lifted reduced ones (on the slow
            manifold) in the plane of the first slow and the first fast coordinate.
        max_error: the largest ``distance`` after the initial layer (``t >= layer``; NaN if none is).
        layer: the end of the initial (boundary) layer (default ``10 / fast_rate``).
        approach_rate: ``(B,)`` decay rate of the distance to the slow manifold, fitted on a separate run over
            ``[0, 12 / fast_rate]`` (120 steps) over the later half of its decay (see :func:`decay_rate`; NaN for a
            state that starts on the manifold); predicted_rate: the split's slowest fast rate, which it should
            approach.
        status: ``"ok"``.
    """

    times: torch.Tensor
    full: torch.Tensor
    full_slow: torch.Tensor
    reduced: torch.Tensor
    slow_error: torch.Tensor
    distance: torch.Tensor
    manifold_distance: torch.Tensor
    phase: torch.Tensor
    manifold_phase: torch.Tensor
    max_error: float
    layer: float
    approach_rate: torch.Tensor
    predicted_rate: float
    status: Status
    system: str
    settings: dict = field(default_factory=dict)

    def plot(self, axes=None):
        """Three panels: full trajectories against the slow manifold (lifted reduced trajectories) in the plane
        of the first slow and fast coordinates; reduced (lines) against full (dots) first slow coordinate over
        time; distances to the slow manifold and to the lifted reduced state (log scale). Returns the axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 3, figsize=(15, 4))
        t = self.times.numpy()
        for j in range(self.full.shape[1]):
            line, = axes[0].plot(self.phase[:, j, 0].numpy(), self.phase[:, j, 1].numpy(), ".-", ms=2, lw=0.6)
            axes[0].plot(self.manifold_phase[:, j, 0].numpy(), self.manifold_phase[:, j, 1].numpy(), lw=2,
                         alpha=0.5, color=line.get_color())
            axes[1].plot(t, self.reduced[:, j, 0].numpy(), lw=1.2, color=line.get_color())
            axes[1].plot(t, self.full_slow[:, j, 0].numpy(), ".", ms=3, color=line.get_color())
        axes[0].set_xlabel("slow coordinate z1")
        axes[0].set_ylabel("fast coordinate w1")
        axes[0].set_title("full trajectories (dots) and the slow manifold (thick)", fontsize=10)
        axes[1].set_xlabel("time")
        axes[1].set_ylabel("slow coordinate z1")
        axes[1].set_title("reduced (lines) vs full (dots)", fontsize=10)
        axes[2].semilogy(t, self.distance.numpy(), color="tab:red", lw=0.8)
        axes[2].semilogy(t, self.manifold_distance.numpy(), color="tab:blue", lw=0.8, ls="--")
        axes[2].axvline(self.layer, color="grey", lw=0.8, ls="--")
        axes[2].set_xlabel("time")
        axes[2].set_ylabel("distance (blue dashed: to manifold, red: to reduced)")
        return axes


def reduction_error(split, t: float, *, states=None, steps: int = 100, layer: float | None = None,
                    rtol: float = 1e-8, atol: float = 1e-10) -> ReductionError:
    """Integrate the full and the reduced system of ``split`` over ``[0, t]`` from the same initial states.

    The reduced trajectory starts at the initial state's slow coordinates ``z0 = slow_dual (x0 - origin)``
    (the projection onto the slow manifold along the fast fibres). After an initial layer of a few fast time
    constants the full state is within ``O(eps)`` of the reduced state lifted onto the slow manifold (Fenichel
    theory; Tikhonov's theorem); ``manifold_distance`` decays at the fast rate.

    Args:
        split: a :class:`SlowFastSplit`.
        t: the horizon (time units). states: ``(B, n)`` initial states (default: the split's states).
        steps: grid intervals. layer: the end of the initial layer for ``max_error`` (default ``10 / fast_rate``,
            when the fast transient has decayed by ``e^-10``).
        rtol, atol: tolerances of the adaptive dopri5 integration (torchdiffeq).

    Returns:
        :class:`ReductionError`.
    """
    t = positive_float(t, name="t")
    steps = positive_int(steps, name="steps", minimum=2)
    system = split.system
    if system is None:
        raise InvalidInputError("this split has no system attached (it was rebuilt from a dict); recompute it "
                                "with slow_fast(system, states)")
    x0 = split.states if states is None else state_batch(states, n=system.dim, name="states",
                                                          dtype=system.dtype, device=system.device)
    reduced = split.reduced()
    full = trajectory(system, x0, t, steps, rtol=rtol, atol=atol)
    z0 = split.slow_coordinates(x0)
    red = trajectory(reduced, z0, t, steps, rtol=rtol, atol=atol)
    times = torch.linspace(0, t, steps + 1, dtype=x0.dtype)
    t_fast = 12.0 / split.fast_rate  # the approach to the manifold, on its own time scale
    d_fast = manifold_distance(split, trajectory(system, x0, t_fast, 120, rtol=rtol, atol=atol))
    z_full = split.slow_coordinates(full)
    lifted = split.manifold_point(red.reshape(-1, split.n_slow)).reshape(full.shape)
    distance = torch.linalg.vector_norm(full - lifted, dim=-1)
    chart = split.chart
    (zf, wf), (zl, wl) = chart.coords(full), chart.coords(lifted)
    d_manifold = manifold_distance(split, full)
    layer = 10.0 / split.fast_rate if layer is None else positive_float(layer, name="layer")
    after = times >= layer
    max_error = float(distance[after].max()) if bool(after.any()) else float("nan")
    rate = decay_rate(torch.linspace(0, t_fast, 121, dtype=x0.dtype), d_fast)
    return ReductionError(
        times=times, full=full, full_slow=z_full, reduced=red,
        slow_error=torch.linalg.vector_norm(z_full - red, dim=-1), distance=distance, manifold_distance=d_manifold,
        phase=torch.stack((zf[..., 0], wf[..., 0]), -1), manifold_phase=torch.stack((zl[..., 0], wl[..., 0]), -1),
        max_error=max_error, layer=layer, approach_rate=rate, predicted_rate=split.fast_rate, status=Status.OK,
        system=split.system_name, settings={"t": t, "steps": steps, "rtol": rtol, "atol": atol})
