"""Former home of the FTLE/decision-boundary analysis, now :mod:`neurodyn.classifier`; these names stay importable
from here for one release."""

from neurodyn.classifier.boundary import BoundaryLink, ftle_boundary_link, roc_auc

__all__ = ["BoundaryLink", "ftle_boundary_link", "roc_auc"]
