"""Bifurcations of equilibria in one parameter: branches by pseudo-arclength continuation with their folds,
branch points and Hopf points, and Hopf points with their first Lyapunov coefficient."""

from neurodyn.continuation.branch import Branch, SpecialPoint, continue_equilibria
from neurodyn.continuation.hopf import HopfPoint, find_hopf_points, first_lyapunov_coefficient

__all__ = ["Branch", "HopfPoint", "SpecialPoint", "continue_equilibria", "find_hopf_points",
           "first_lyapunov_coefficient"]
