"""Bifurcations of equilibria in one parameter: branches by pseudo-arclength continuation with their folds,
branch points and Hopf points, Hopf points with their first Lyapunov coefficient, and the periodic orbits born
there with their Floquet multipliers."""

from neurodyn.continuation.branch import Branch, SpecialPoint, continue_equilibria
from neurodyn.continuation.hopf import HopfPoint, find_hopf_points, first_lyapunov_coefficient
from neurodyn.continuation.orbits import PeriodicOrbit, periodic_orbit

__all__ = ["Branch", "HopfPoint", "PeriodicOrbit", "SpecialPoint", "continue_equilibria", "find_hopf_points",
           "first_lyapunov_coefficient", "periodic_orbit"]
