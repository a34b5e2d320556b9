"""Distances between a finite network and its mean-field limit, and the observed convergence rate.

The state of a network whose nodes are ordered by position in [0, 1] defines, on each of M node slices, an
empirical measure of the states of that slice's nodes; :func:`slice_wasserstein` compares two such networks
(or a network and the particle method of its limit) slice by slice with the 1-D Wasserstein-1 distance
``W1(mu, nu) = int_0^1 |F_mu^{-1}(u) - F_nu^{-1}(u)| du`` (Villani, *Optimal Transport*, 2009, Remark 2.19).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from neurodyn._checks import positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status


def slice_wasserstein(x: torch.Tensor, reference: torch.Tensor, slices: int) -> torch.Tensor:
    """Per-slice Wasserstein-1 distances between the empirical state measures of two networks.

    Args:
        x: states ``(N,)`` of a network whose node ``i`` sits at position ``(i - 1/2)/N`` (nodes ordered by
            position; for a :class:`BlockGraph`, particle ``(m, p)`` at index ``m P + p``).
        reference: states ``(N_ref,)`` of the other network (e.g. the limit's particle method), same ordering.
        slices: number ``M`` of node slices; ``N`` and ``N_ref`` must be multiples of it.

    Returns:
        ``(M,)``: on slice ``m``, ``W1`` between the empirical measure of the ``N/M`` states of ``x`` and the
        ``N_ref/M`` states of ``reference`` in that slice (``scipy.stats.wasserstein_distance``, exact for
        empirical measures). States are compared on the line: wrap phases consistently first (or compare
        unwrapped phases).
    """
    from scipy.stats import wasserstein_distance

    slices = positive_int(slices, name="slices")
    a, b = (torch.as_tensor(v, dtype=torch.float64).detach().cpu() for v in (x, reference))
    for name, v in (("x", a), ("reference", b)):
        if v.ndim != 1 or len(v) % slices:
            raise InvalidInputError(f"{name} must be 1-d with a multiple of slices = {slices} entries, got shape "
                                    f"{tuple(v.shape)}")
    pa, pb = a.reshape(slices, -1).numpy(), b.reshape(slices, -1).numpy()
    return torch.tensor([wasserstein_distance(u, v) for u, v in zip(pa, pb, strict=True)], dtype=torch.float64)


@dataclass(frozen=True)
class ConvergenceRate(Result):
    """Distance to a limit against size, and the observed rate ``p`` of ``distance ~ C N^{-p}``.

    Attributes:
        sizes: ``(k,)`` sizes ``N``.
        distances: ``(k,)`` distances.
        rate: ``-slope`` of the least-squares line through ``(log N, log distance)``.
        monotone: whether the distance falls at every refinement.
        status: ``ok``; ``too short`` when the sizes span less than two decades.
    """

    sizes: torch.Tensor
    distances: torch.Tensor
    rate: float
    monotone: bool
    status: Status

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        ax = ax or plt.gca()
        ax.loglog(self.sizes.numpy(), self.distances.numpy(), "o-", label=f"observed rate {self.rate:.2f}")
        ax.set_xlabel("N")
        ax.set_ylabel("distance to the limit")
        ax.legend()
        return ax


def convergence_rate(sizes, distances) -> ConvergenceRate:
    """Fit ``distance ~ C N^{-rate}`` by least squares in log–log; status ``too short`` unless the sizes
    span at least two decades (``max/min >= 100``) with three or more points.

    See also: :func:`slice_wasserstein`.
    """
    n = torch.as_tensor(sizes, dtype=torch.float64).reshape(-1)
    d = torch.as_tensor(distances, dtype=torch.float64).reshape(-1)
    if len(n) != len(d) or len(n) < 2 or bool((n <= 0).any()) or bool((d <= 0).any()):
        raise InvalidInputError("sizes and distances must be positive and of equal length >= 2, got "
                                f"{len(n)} sizes and {len(d)} distances")
    slope = np.polyfit(np.log(n.numpy()), np.log(d.numpy()), 1)[0]
    order = torch.argsort(n)
    monotone = bool((d[order][1:] < d[order][:-1]).all())
    enough = len(n) >= 3 and float(n.max() / n.min()) >= 100
    return ConvergenceRate(n, d, float(-slope), monotone, Status.OK if enough else Status.TOO_SHORT)
