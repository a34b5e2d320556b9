"""Classifiers as flows: how well finite-time Lyapunov exponents find a classifier's decision boundary and its
adversarially fragile inputs (distance along the margin gradient, L2 PGD attack radii, ROC AUC), and the whole
study of a 2-D neural-ODE classifier (:func:`classifier_ftle_study`).

The FTLEs themselves come from :func:`neurodyn.ftle` (for a neural-ODE classifier:
:meth:`neurodyn.models.NeuralODEClassifier.ftle`).
"""

from neurodyn.classifier.boundary import BoundaryLink, ftle_boundary_link, roc_auc
from neurodyn.classifier.study import ClassifierFTLE, StudySettings, classifier_ftle_study

__all__ = ["BoundaryLink", "ClassifierFTLE", "StudySettings", "classifier_ftle_study", "ftle_boundary_link", "roc_auc"]
