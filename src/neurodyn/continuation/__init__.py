"""Bifurcations in one and two parameters: equilibrium branches by pseudo-arclength continuation with their
folds, branch points and Hopf points; Hopf points with their first Lyapunov coefficient; the periodic orbits
born there with their Floquet multipliers, and their continuation in the parameter; curves of Hopf points and
of folds in a plane of two parameters."""

from neurodyn.continuation.branch import Branch, SpecialPoint, continue_equilibria
from neurodyn.continuation.core import ContinuationSettings
from neurodyn.continuation.curves import BifurcationCurve, CurveEvent, continue_fold_curve, continue_hopf_curve
from neurodyn.continuation.cycles import CycleEvent, OrbitBranch, continue_periodic_orbits
from neurodyn.continuation.hopf import find_hopf_points, first_lyapunov_coefficient
from neurodyn.continuation.orbits import PeriodicOrbit, periodic_orbit
from neurodyn.continuation.points import HopfPoint, HopfPoints

__all__ = ["BifurcationCurve", "Branch", "ContinuationSettings", "CurveEvent", "CycleEvent", "HopfPoint", "HopfPoints",
           "OrbitBranch", "PeriodicOrbit", "SpecialPoint", "continue_equilibria", "continue_fold_curve",
           "continue_hopf_curve", "continue_periodic_orbits", "find_hopf_points", "first_lyapunov_coefficient",
           "periodic_orbit"]
