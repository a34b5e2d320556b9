"""Integration of states together with tangent frames: fixed-step Runge–Kutta tableaux and adaptive
solvers (torchdiffeq)."""

from neurodyn.integrate.tableau import EULER, MIDPOINT, RK4, RK38, TABLEAUX, ButcherTableau, rk_step
from neurodyn.integrate.variational import VariationalIntegrator

__all__ = ["EULER", "MIDPOINT", "RK4", "RK38", "TABLEAUX", "ButcherTableau", "VariationalIntegrator", "rk_step"]
