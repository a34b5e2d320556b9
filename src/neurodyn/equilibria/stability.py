"""Linear stability of fixed points (maps) and equilibria (flows) from the Jacobian's eigenvalues.

A map's fixed point is stable when every multiplier lies inside the unit circle, ``|mu| < 1``; a flow's
equilibrium when every eigenvalue lies in the open left half-plane, ``Re(lambda) < 0``. Eigenvalues within
``eig_tol`` of the boundary make the point non-hyperbolic: linearisation does not decide its stability.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn import _linalg


@dataclass(frozen=True)
class Linearisation:
    """Eigen-data of ``P`` Jacobians ``(P, n, n)``.

    Attributes:
        eigenvalues: ``(P, n)`` complex, sorted by decreasing ``|mu|`` (maps) or ``Re(lambda)`` (flows).
        eigenvectors: ``(P, n, k)`` complex, unit columns for the ``k`` leading eigenvalues.
        n_unstable: ``(P,)`` eigenvalues outside the unit circle / in the right half-plane.
        n_center: ``(P,)`` eigenvalues within ``eig_tol`` of the stability boundary.
        labels: one classification per point (see :func:`classify`).
    """

    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    n_unstable: torch.Tensor
    n_center: torch.Tensor
    labels: list[str]


def growth(eigenvalues: torch.Tensor, kind: str) -> torch.Tensor:
    """Signed distance from the stability boundary: ``|mu| - 1`` (map) or ``Re(lambda)`` (flow)."""
    return eigenvalues.abs() - 1 if kind == "map" else eigenvalues.real


def classify(eigenvalues: torch.Tensor, kind: str, *, eig_tol: float = 1e-8,
             uncertainty: torch.Tensor | None = None) -> tuple[list[str], torch.Tensor, torch.Tensor]:
    """Labels, unstable counts and centre counts for ``(P, n)`` eigenvalues of maps or flows.

    Labels: ``stable node`` / ``stable focus`` (all inside; focus if any eigenvalue is complex),
    ``unstable node`` / ``unstable focus`` (all outside), ``saddle`` / ``saddle-focus`` (both; the number of
    unstable directions is in ``n_unstable``), and ``non-hyperbolic`` when an eigenvalue sits on the
    boundary (``|mu| = 1`` or ``Re = 0`` within ``eig_tol``), with ``(singular Jacobian)`` added when that
    eigenvalue makes the root-finding Jacobian singular (``mu = 1`` for maps, ``lambda = 0`` for flows).
    ``uncertainty (P,)``, if given, widens the boundary band of each point (how far its eigenvalues may be
    from those at the exact point, e.g. for a root known only approximately).
    """
    grow = growth(eigenvalues, kind)
    scale = eigenvalues.abs().amax(-1, keepdim=True).clamp_min(1)
    band = eig_tol * scale if uncertainty is None else eig_tol * scale + uncertainty.unsqueeze(-1)
    centre = grow.abs() <= band
    unstable = (grow > 0) & ~centre
    stable = (grow < 0) & ~centre
    complex_ = eigenvalues.imag.abs() > band
    singular = ((eigenvalues - (1.0 if kind == "map" else 0.0)).abs() <= band).any(-1)
    labels = []
    for i in range(eigenvalues.shape[0]):
        if bool(centre[i].any()):
            label = "non-hyperbolic" + (" (singular Jacobian)" if bool(singular[i]) else "")
        else:
            focus = bool(complex_[i].any())
            if bool(stable[i].all()):
                label = "stable focus" if focus else "stable node"
            elif bool(unstable[i].all()):
                label = "unstable focus" if focus else "unstable node"
            else:
                label = "saddle-focus" if focus else "saddle"
        labels.append(label)
    return labels, unstable.sum(-1), centre.sum(-1)


def linearise(jacobians: torch.Tensor, kind: str, *, n_vectors: int, eig_tol: float = 1e-8,
              uncertainty: torch.Tensor | None = None) -> Linearisation:
    """Eigen-decompose ``(P, n, n)`` Jacobians of ``f`` and classify each point (see :func:`classify`)."""
    P, n, _ = jacobians.shape
    if P == 0:
        cdt = torch.complex128 if jacobians.dtype == torch.float64 else torch.complex64
        empty = torch.zeros(0, n, dtype=cdt, device=jacobians.device)
        zero = torch.zeros(0, dtype=torch.long, device=jacobians.device)
        return Linearisation(empty, empty.unsqueeze(-1)[..., :0], zero, zero, [])
    vals, vecs = _linalg.eig_leading(jacobians, lambda v: growth(v, kind), n_vectors)
    labels, n_unstable, n_centre = classify(vals, kind, eig_tol=eig_tol, uncertainty=uncertainty)
    return Linearisation(vals, vecs, n_unstable, n_centre, labels)
