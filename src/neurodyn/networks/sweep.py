"""Critical coupling by a sweep: time-averaged order parameter ``r(K)`` of one network at many couplings,
integrated as one batch, and the onset read off the supercritical branch."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_float
from neurodyn.errors import InvalidInputError
from neurodyn.networks.simulate import order_parameter_r, simulate
from neurodyn.results import Result, Status


@dataclass(frozen=True)
class CouplingSweep(Result):
    """Time-averaged order parameter against coupling strength.

    Attributes:
        K: ``(n,)`` couplings.
        r: ``(n,)`` time average of ``r(t)`` over ``t >= average_from``.
        r_std: ``(n,)`` its standard deviation over that window (finite-N fluctuation).
        K_c: onset estimate: zero of the least-squares line through ``(K, r^2)`` at the points with
            ``window[0] < r < window[1]`` (near onset a supercritical branch has ``r^2 ~ c (K - K_c)``);
            NaN when fewer than two points fall in the window.
        window: the ``r`` range used for the fit.
        status: ``ok``, or ``none found`` when no estimate could be made.
    """

    K: torch.Tensor
    r: torch.Tensor
    r_std: torch.Tensor
    K_c: float
    window: tuple[float, float]
    status: Status

    def plot(self, ax=None, *, K_c_theory: float | None = None):
        import matplotlib.pyplot as plt

        ax = ax or plt.gca()
        ax.errorbar(self.K.numpy(), self.r.numpy(), yerr=self.r_std.numpy(), fmt="o-", label="network")
        if K_c_theory is not None:
            ax.axvline(K_c_theory, color="k", ls="--", label="theory K_c")
        ax.set_xlabel("K")
        ax.set_ylabel("r")
        ax.legend()
        return ax


def sweep_coupling(network, K, x0: torch.Tensor, *, t_end: float, dt: float, average_from: float,
                   every: int = 10, window: tuple[float, float] = (0.1, 0.5)) -> CouplingSweep:
    """Run ``network`` (parameter ``"K"``) at every coupling in ``K`` from the phases ``x0: (N,)`` as one batch
    with fixed-step RK4 (see :func:`simulate`) and average ``r(t)`` over ``[average_from, t_end]``.

    Args:
        network: a :class:`ParticleNetwork` with parameter ``"K"`` (e.g. :func:`kuramoto`).
        K: 1-d couplings.
        x0: initial phases ``(N,)``, shared by every coupling.
        t_end, dt, every: as for :func:`simulate`.
        average_from: start of the averaging window (after the transient).
        window: the ``r`` range whose points fit the onset (see :class:`CouplingSweep`).
    """
    K = as_tensor(K, name="K", dtype=torch.float64, device=None)
    if K.ndim != 1 or len(K) == 0:
        raise InvalidInputError(f"K must be a non-empty 1-d list of couplings, got shape {tuple(K.shape)}")
    if network.params is None or "K" not in network.params:
        raise InvalidInputError(f"{network.name!r} has no parameter 'K' to sweep")
    positive_float(average_from, name="average_from")
    x0 = torch.as_tensor(x0, dtype=network.dtype)
    if x0.shape != (network.dim,):
        raise InvalidInputError(f"x0 has shape {tuple(x0.shape)}; give one state of {network.name!r}, shape "
                                f"({network.dim},), shared by every coupling")
    batch = network.with_params(K=K.view(-1, 1))
    run = simulate(batch, x0.expand(len(K), -1).clone(), t_end=t_end, dt=dt, observe=order_parameter_r, every=every)
    keep = run.times >= average_from
    if not bool(keep.any()):
        raise InvalidInputError(f"average_from = {average_from} is after t_end = {t_end}")
    r, r_std = run.values[keep].mean(0), run.values[keep].std(0)
    lo, hi = window
    sel = (r > lo) & (r < hi)
    if int(sel.sum()) < 2:
        return CouplingSweep(K, r, r_std, float("nan"), (lo, hi), Status.NONE_FOUND)
    slope, intercept = torch.linalg.lstsq(torch.stack((K[sel], torch.ones_like(K[sel])), 1),
                                          (r[sel] ** 2).unsqueeze(1)).solution.squeeze(1)
    return CouplingSweep(K, r, r_std, float(-intercept / slope), (lo, hi), Status.OK)
