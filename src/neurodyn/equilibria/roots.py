"""Distinct roots and how many starts reached each: merging new roots, greedy deduplication, Chao1."""

from __future__ import annotations

from dataclasses import dataclass

import torch


def distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact pairwise distances ``(A, B)`` (the matrix-product shortcut loses ~1e-8 relative, too much for
    deduplication)."""
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def dedup(points: torch.Tensor, priority: torch.Tensor, radius: float,
          error: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy clustering of ``points (P, n)``: in order of ``priority (P,)`` (ascending; ties keep their order),
    each point not yet taken becomes the representative of every untaken point within ``radius`` (plus both
    points' ``error (P,)`` estimates, if given). Returns the representatives' indices ``(R,)`` and each point's
    cluster ``(P,)``."""
    cluster = torch.full((len(points),), -1, dtype=torch.long)
    if len(points) == 0:
        return cluster[:0], cluster
    reach = radius if error is None else radius + error.unsqueeze(0) + error.unsqueeze(1)
    close = (distances(points, points) <= reach).cpu()
    reps = []
    for i in torch.argsort(priority, stable=True).tolist():
        if cluster[i] < 0:
            cluster[close[i] & (cluster < 0)] = len(reps)
            reps.append(i)
    return torch.tensor(reps, dtype=torch.long), cluster


def count(cluster: torch.Tensor, weights: torch.Tensor, size: int) -> torch.Tensor:
    """``(size,)`` sums of the integer ``weights (P,)`` over each cluster."""
    return torch.zeros(size, dtype=torch.long).index_add_(0, cluster.cpu(), weights.cpu().long())


@dataclass(frozen=True)
class Roots:
    """Distinct roots ``points (R, n)`` and ``hits (R,)``: how many starts (plain or deflated solves) ended at each."""

    points: torch.Tensor
    hits: torch.Tensor

    @classmethod
    def empty(cls, like: torch.Tensor) -> Roots:
        return cls(like[:0], torch.zeros(0, dtype=torch.long))

    def __len__(self) -> int:
        return len(self.points)

    def merge(self, points: torch.Tensor, residual: torch.Tensor, radius: float) -> tuple[Roots, torch.Tensor]:
        """These roots and the newly reached ``points (P, n)`` (with ``residual (P,)``) as distinct roots within
        ``radius``: known roots first, so they keep their identity; among new ones the smallest residual
        represents its cluster. Returns the merged roots and the index of each point's root ``(P,)``."""
        # most points are copies of the root their start joined: cluster each distinct point once
        unique, inverse, counts = torch.unique(points, dim=0, return_inverse=True, return_counts=True)
        best = residual.new_full((len(unique),), float("inf")).scatter_reduce(0, inverse, residual, "amin")
        allp = torch.cat([self.points, unique])
        prio = torch.cat([torch.full((len(self),), -1.0, dtype=best.dtype, device=best.device), best])
        reps, cluster = dedup(allp, prio, radius)
        hits = count(cluster, torch.cat([self.hits, counts.cpu()]), len(reps))
        return Roots(allp[reps.to(allp.device)], hits), cluster[len(self):][inverse.cpu()]


def chao1(hits: torch.Tensor) -> tuple[int, int, float]:
    """Chao's (1984) lower-bound estimate of how many roots there are, from how often each found one was hit:
    ``S_obs + f1^2 / (2 f2)`` (``S_obs + f1 (f1 - 1) / 2`` when ``f2 = 0``), with ``f1``/``f2`` the roots hit
    once/twice. Returns ``(f1, f2, estimate)``."""
    f1, f2 = int((hits == 1).sum()), int((hits == 2).sum())
    extra = f1 * f1 / (2 * f2) if f2 else f1 * (f1 - 1) / 2
    return f1, f2, len(hits) + extra
