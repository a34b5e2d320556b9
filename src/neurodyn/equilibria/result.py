"""The :class:`FixedPoints` result and its sets of points."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from neurodyn.results import Result, Status

if TYPE_CHECKING:
    from neurodyn.equilibria.waves import Saturation

COLOURS = {"stable": "tab:green", "saddle": "tab:orange", "unstable": "tab:red", "non-hyperbolic": "tab:purple"}


def _family(label: str) -> str:
    for key in ("non-hyperbolic", "unstable", "saddle", "stable"):
        if label.startswith(key):
            return key
    return "stable"


@dataclass(frozen=True, eq=False)
class PointSet(Result):
    """Distinct points with their linearisation.

    Attributes:
        points: ``(P, n)`` states.
        residual: ``(P,)`` ``|F(x)|_2`` with ``F(x) = step(x, u*) - x`` (map) or ``field(t, x)`` (flow).
        q: ``(P,)`` the speed ``q = |F(x)|^2 / 2``.
        eigenvalues: ``(P, n)`` complex eigenvalues of ``d step/dx`` (maps: multipliers, sorted by decreasing
            modulus) or ``d field/dx`` (flows: sorted by decreasing real part).
        eigenvectors: ``(P, n, k)`` complex unit eigenvectors of the ``k`` leading eigenvalues.
        n_unstable: ``(P,)`` unstable directions (``|mu| > 1`` / ``Re(lambda) > 0``).
        stability: one label per point: stable/unstable node or focus, saddle or saddle-focus, or
            non-hyperbolic (with "(singular Jacobian)" when the root-finding Jacobian is singular there).
        hits: ``(P,)`` how many starts ended at the point (a rough size of its basin under the solver).
    """

    points: torch.Tensor
    residual: torch.Tensor
    q: torch.Tensor
    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    n_unstable: torch.Tensor
    stability: list[str]
    hits: torch.Tensor

    def __len__(self) -> int:
        return self.points.shape[0]

    def select(self, mask: torch.Tensor) -> PointSet:
        """The points where the boolean ``mask (P,)`` is true."""
        idx = torch.nonzero(mask.to(torch.bool).cpu()).flatten()
        return PointSet(
            points=self.points[idx], residual=self.residual[idx], q=self.q[idx],
            eigenvalues=self.eigenvalues[idx], eigenvectors=self.eigenvectors[idx],
            n_unstable=self.n_unstable[idx], stability=[self.stability[i] for i in idx.tolist()],
            hits=self.hits[idx],
        )

    @property
    def stable(self) -> PointSet:
        """The stable points (attractors)."""
        return self.select(torch.tensor([s.startswith("stable") for s in self.stability], dtype=torch.bool))


@dataclass(frozen=True, eq=False)
class FixedPoints(Result):
    """Fixed points of a map (``x = step(x, u*)``) or equilibria of a flow (``field(t, x) = 0``), and slow points.

    Attributes:
        fixed: the exact fixed points: residual ``<= tol`` (a :class:`PointSet`).
        slow: slow points: local minima of ``q`` (or the solver's last iterates) with ``tol < |F| <=
            sqrt(2 slow_q)``, deduplicated more loosely; empty when none were found.
        kind: ``"map"`` or ``"flow"``; system: the system's name.
        u_star: the constant input ``(m,)`` of a driven map (``None`` otherwise).
        trajectories: ``(S, T, n)`` a few sampled trajectories, for context in :meth:`plot`.
        starts: how the starts ended: counts of ``root`` (including those that joined a root another start
            reached), ``stationary``, ``maxiter``, ``diverged`` and ``outside`` (left the search region).
        status: a :class:`~neurodyn.Status`: ``"saturated"`` (no new root in the last waves of starts, or every
            root reached by two starts or more), ``"may be incomplete"`` (the start budget ran out while waves
            still found roots: see ``saturation.estimated_total``) or ``"none found"``.
        settings: everything that produced the result.
        saturation: how complete the search looks (a :class:`Saturation`: roots found per wave of starts, Chao's
            estimate of how many there are).
    """

    fixed: PointSet
    slow: PointSet
    kind: str
    system: str
    u_star: torch.Tensor | None
    trajectories: torch.Tensor
    starts: dict
    status: Status
    settings: dict = field(default_factory=dict)
    saturation: Saturation | None = None

    def __len__(self) -> int:
        return len(self.fixed)

    @property
    def points(self) -> torch.Tensor:
        """``(P, n)`` the exact fixed points."""
        return self.fixed.points

    def __repr__(self) -> str:
        kinds = {}
        for s in self.fixed.stability:
            kinds[s] = kinds.get(s, 0) + 1
        summary = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        return (f"FixedPoints({self.system}: {len(self.fixed)} fixed ({summary or 'none'}), "
                f"{len(self.slow)} slow)")

    def _projection(self):
        """A 2-D projection: the coordinates for n <= 2, else the top principal components of the samples."""
        n = self.points.shape[-1] if len(self.fixed) else self.trajectories.shape[-1]
        if n <= 2:
            def proj(x):
                x = x.double().cpu()
                return x if n == 2 else torch.cat([x, torch.zeros_like(x)], dim=-1)
            return proj, ("x1", "x2" if n == 2 else "")
        data = self.trajectories.reshape(-1, n).double().cpu()
        if data.shape[0] < 2:
            data = torch.cat([data, self.points.double().cpu(), self.slow.points.double().cpu()])
        mean = data.mean(0)
        _, s, vt = torch.linalg.svd(data - mean, full_matrices=False)
        var = (s * s) / (s * s).sum().clamp_min(1e-300)
        comps = vt[:2].T
        labels = tuple(f"PC{i + 1} ({100 * float(var[i]):.0f}% var.)" for i in range(2))
        return (lambda x: (x.double().cpu() - mean) @ comps), labels

    def plot(self, ax=None, *, trajectories: int = 8):
        """Points projected on the plane of the sampled trajectories' two leading principal components
        (the raw coordinates in 1-D/2-D), coloured by stability, with ``trajectories`` sampled trajectories
        for context and slow points as grey crosses. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        proj, (xl, yl) = self._projection()
        for traj in self.trajectories[:trajectories]:
            xy = proj(traj).numpy()
            ax.plot(xy[:, 0], xy[:, 1], color="0.75", lw=0.7, zorder=1)
        if len(self.slow):
            xy = proj(self.slow.points).numpy()
            ax.scatter(xy[:, 0], xy[:, 1], marker="x", color="0.4", s=25, label=f"slow points ({len(self.slow)})",
                       zorder=2)
        if len(self.fixed):
            xy = proj(self.fixed.points).numpy()
            fams = [_family(s) for s in self.fixed.stability]
            for fam in COLOURS:
                idx = [i for i, f in enumerate(fams) if f == fam]
                if idx:
                    ax.scatter(xy[idx, 0], xy[idx, 1], color=COLOURS[fam], edgecolor="k", s=60, zorder=3,
                               label=f"{fam} ({len(idx)})")
            for i, f in enumerate(fams):
                if f == "saddle":
                    ax.annotate(str(int(self.fixed.n_unstable[i])), xy[i], textcoords="offset points",
                                xytext=(5, 5), fontsize=7)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
        what = "fixed points" if self.kind == "map" else "equilibria"
        ax.set_title(f"{what} of {self.system} (saddles labelled by unstable dimension)", fontsize=9)
        return ax
