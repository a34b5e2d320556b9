"""How well FTLEs find a classifier's decision boundary and its adversarially fragile inputs."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.lyapunov.ftle import FTLEField
from neurodyn.results import Result

BISECTIONS = 40


@dataclass(frozen=True, eq=False)
class BoundaryLink(Result):
    """FTLE against distance to the decision boundary at each point.

    Attributes:
        points: ``(P, d)`` inputs. ftle: ``(P,)`` their largest FTLE.
        distance: ``(P,)`` distance to the decision boundary along the margin's gradient direction (input
            units; ``inf`` where no class change was found within ``reach``).
        perturbation: ``(P,)`` the smallest L2 perturbation found by the PGD attack that changes the predicted
            class (``inf`` where none up to ``reach``), or ``None`` if not run.
        eps: the "near the boundary" threshold. auc: ROC AUC of the FTLE as a score for ``distance < eps``
            (0.5 = no better than chance, 1 = every near point has a larger FTLE than every far one).
        spearman: Spearman rank correlation of FTLE with ``perturbation`` (negative when high FTLE marks
            fragile inputs), ``nan`` without the attack.
    """

    points: torch.Tensor
    ftle: torch.Tensor
    distance: torch.Tensor
    perturbation: torch.Tensor | None
    eps: float
    auc: float
    spearman: float
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        near = int((self.distance < self.eps).sum())
        return (f"BoundaryLink({len(self.ftle)} points, {near} within eps={self.eps:.3g} of the boundary: "
                f"AUC {self.auc:.3f}, Spearman(FTLE, PGD radius) {self.spearman:.3f})")

    def plot(self, ax=None):
        """FTLE against distance to the boundary (points within ``eps`` highlighted). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 4))
        d = self.distance.cpu().numpy()
        f = self.ftle.cpu().numpy()
        near = d < self.eps
        ax.scatter(d[~near], f[~near], s=6, c="0.5", label=f"distance ≥ {self.eps:.3g}")
        ax.scatter(d[near], f[near], s=6, c="C3", label=f"distance < {self.eps:.3g}")
        ax.set_xlabel("distance to decision boundary (input units)")
        ax.set_ylabel("largest FTLE")
        ax.set_title(f"FTLE as a boundary detector: AUC {self.auc:.3f}", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def roc_auc(score: torch.Tensor, positive: torch.Tensor) -> float:
    """ROC AUC of ``score`` for the boolean labels ``positive``: the probability that a random positive scores
    above a random negative (ties count one half), from the Mann–Whitney rank sum."""
    from scipy.stats import rankdata

    pos = positive.cpu().numpy().astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        raise InvalidInputError(f"the AUC needs points on both sides of the threshold; got {n_pos} near and "
                                f"{n_neg} far points: change eps")
    ranks = rankdata(score.cpu().numpy())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def ftle_boundary_link(classifier: nn.Module, field: FTLEField, *, eps: float | None = None,
                       reach: float | None = None, attack: bool = True, pgd_steps: int = 20,
                       radius_bisections: int = 12) -> BoundaryLink:
    """How well the largest FTLE predicts closeness to ``classifier``'s decision boundary.

    For each point ``x`` of ``field`` the distance to the boundary is measured along the direction that
    lowers the margin fastest, ``-grad m(x)/|grad m(x)|`` with ``m = logit of the predicted class - largest
    other logit``: the line is scanned in 64 steps up to ``reach`` for a change of predicted class, and the
    first change is located by bisection (to ``reach * 2**-40``). This is an upper bound on the Euclidean
    distance and equals it where the boundary is flat on that scale. The FTLE's ROC AUC as a score for
    ``distance < eps`` is reported.

    With ``attack``, an L2 PGD attack (Madry et al. 2018; ``pgd_steps`` normalised-gradient steps of size
    ``2.5 r / pgd_steps`` on the cross-entropy of the predicted class, projected onto the ball of radius
    ``r``, started at ``x``) finds the smallest successful radius per point by bisection over
    ``r`` (``radius_bisections`` rounds); its Spearman rank correlation with the FTLE is reported.

    Args:
        classifier: an ``nn.Module`` mapping ``(P, d)`` inputs to ``(P, classes)`` logits (evaluated on a
            private float64 copy in evaluation mode).
        field: the FTLEs at the inputs, e.g. from :meth:`neurodyn.models.NeuralODEClassifier.ftle`.
        eps: "near the boundary" threshold in input units (default 5% of the points' bounding-box diagonal).
        reach: the farthest distance searched (default the bounding-box diagonal).

    Returns:
        :class:`BoundaryLink`.
    """
    if not isinstance(classifier, nn.Module):
        raise InvalidInputError(f"classifier must be an nn.Module returning logits, got {type(classifier).__name__}")
    if not isinstance(field, FTLEField):
        raise InvalidInputError(f"field must be an FTLEField (from neurodyn.ftle), got {type(field).__name__}")
    x = field.points.detach().to(torch.float64)
    if x.ndim != 2 or len(x) < 2:
        raise InvalidInputError(f"field has points of shape {tuple(x.shape)}; the link needs a batch of at least 2 "
                                "inputs (P, d), some near the boundary and some far from it")
    diagonal = float(torch.linalg.vector_norm(x.max(0).values - x.min(0).values))
    if diagonal == 0 and (eps is None or reach is None):
        raise InvalidInputError("all points coincide, so eps and reach cannot be set from their spread: pass "
                                "eps= and reach= (input units)")
    eps = 0.05 * diagonal if eps is None else positive_float(eps, name="eps")
    reach = diagonal if reach is None else positive_float(reach, name="reach")
    model = copy.deepcopy(classifier).to(torch.float64).eval().requires_grad_(False)
    device = next(iter(model.parameters()), x).device
    x = x.to(device)
    with torch.no_grad():
        logits = model(x)
    if logits.ndim != 2 or logits.shape[0] != len(x) or logits.shape[1] < 2:
        raise InvalidInputError(f"classifier returned shape {tuple(logits.shape)} on {len(x)} points; expected "
                                f"({len(x)}, classes >= 2) logits")
    if not bool(torch.isfinite(logits).all()):
        raise NonFiniteError(f"classifier {type(classifier).__name__} returned {int((~torch.isfinite(logits)).sum())} "
                             "non-finite logit(s) (NaN or inf) at the field's points; check the model and its inputs")
    label = logits.argmax(-1)
    distance = _distance_along_gradient(model, x, label, reach)
    perturbation = _pgd_radius(model, x, label, reach, positive_int(pgd_steps, name="pgd_steps"),
                               positive_int(radius_bisections, name="radius_bisections")) if attack else None
    score = field.maximal.detach().to(torch.float64).cpu()
    auc = roc_auc(score, distance.cpu() < eps)
    rho = float("nan")
    if perturbation is not None:
        from scipy.stats import spearmanr

        rho = float(spearmanr(score.numpy(), np.minimum(perturbation.cpu().numpy(), reach)).statistic)
    return BoundaryLink(points=x.cpu(), ftle=score, distance=distance.cpu(),
                        perturbation=None if perturbation is None else perturbation.cpu(), eps=eps, auc=auc,
                        spearman=rho, settings=dict(reach=reach, attack=attack, pgd_steps=pgd_steps,
                                                    radius_bisections=radius_bisections))


def _margin(model, x, label):
    logits = model(x)
    own = logits.gather(-1, label[:, None])[:, 0]
    other = logits.scatter(-1, label[:, None], -torch.inf).max(-1).values
    return own - other


def _flipped(model, x, label) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(-1) != label


def _distance_along_gradient(model, x, label, reach: float, scan: int = 64) -> torch.Tensor:
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(_margin(model, xg, label).sum(), xg)
    direction = -grad / torch.linalg.vector_norm(grad, dim=-1, keepdim=True).clamp_min(1e-300)
    lo = torch.zeros(len(x), dtype=x.dtype, device=x.device)
    hi = torch.full_like(lo, torch.inf)
    for s in torch.linspace(0, reach, scan + 1, dtype=x.dtype)[1:].tolist():
        open_ = torch.isinf(hi)
        if not bool(open_.any()):
            break
        crossed = open_ & _flipped(model, x + s * direction, label)
        hi = torch.where(crossed, torch.full_like(hi, s), hi)
        lo = torch.where(open_ & ~crossed, torch.full_like(lo, s), lo)
    found = torch.isfinite(hi)
    lo, hi = lo[found], hi[found]
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        crossed = _flipped(model, x[found] + mid[:, None] * direction[found], label[found])
        hi, lo = torch.where(crossed, mid, hi), torch.where(crossed, lo, mid)
    out = torch.full((len(x),), torch.inf, dtype=x.dtype, device=x.device)
    out[found] = hi
    return out


def _pgd_success(model, x, label, radius: torch.Tensor, steps: int) -> torch.Tensor:
    """Whether an L2 PGD attack of radius ``radius`` (per point) changes the predicted class."""
    r = radius[:, None]
    step = 2.5 * r / steps
    delta = torch.zeros_like(x)
    success = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for _ in range(steps):
        d = delta.clone().requires_grad_(True)
        loss = nn.functional.cross_entropy(model(x + d), label, reduction="sum")
        (g,) = torch.autograd.grad(loss, d)
        delta = delta + step * g / torch.linalg.vector_norm(g, dim=-1, keepdim=True).clamp_min(1e-300)
        delta = delta * torch.clamp(r / torch.linalg.vector_norm(delta, dim=-1, keepdim=True).clamp_min(1e-300),
                                    max=1.0)
        success |= _flipped(model, x + delta, label)
    return success


def _pgd_radius(model, x, label, reach: float, steps: int, rounds: int) -> torch.Tensor:
    lo = torch.zeros(len(x), dtype=x.dtype, device=x.device)
    hi = torch.full_like(lo, reach)
    ok = _pgd_success(model, x, label, hi, steps)
    for _ in range(rounds):
        mid = 0.5 * (lo + hi)
        win = _pgd_success(model, x, label, mid, steps)
        hi, lo = torch.where(win, mid, hi), torch.where(win, lo, mid)
    return torch.where(ok, hi, torch.full_like(hi, torch.inf))
