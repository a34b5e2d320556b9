"""Classifiers as flows: how well finite-time Lyapunov exponents find a classifier's decision boundary and its
adversarially fragile inputs (distance along the margin gradient, L2 PGD attack radii, ROC AUC).

The FTLEs themselves come from :func:`neurodyn.ftle` (for a neural-ODE classifier:
:meth:`neurodyn.models.NeuralODEClassifier.ftle`).
"""

from neurodyn.classifier.boundary import BoundaryLink, ftle_boundary_link, roc_auc

__all__ = ["BoundaryLink", "ftle_boundary_link", "roc_auc"]
