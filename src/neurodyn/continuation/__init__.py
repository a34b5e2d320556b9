"""Bifurcations of equilibria in one parameter: Hopf points with their first Lyapunov coefficient."""

from neurodyn.continuation.hopf import HopfPoint, find_hopf_points, first_lyapunov_coefficient

__all__ = ["HopfPoint", "find_hopf_points", "first_lyapunov_coefficient"]
