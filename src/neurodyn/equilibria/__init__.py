"""Fixed points, equilibria and slow points, and their linear stability.

``solver`` (the batched trust-region dogleg solver, :func:`neurodyn.equilibria.solver.solve`) is public for
residuals of one's own.
"""

from neurodyn.equilibria import solver
from neurodyn.equilibria.find import find_fixed_points
from neurodyn.equilibria.result import FixedPoints, PointSet
from neurodyn.equilibria.settings import SearchSettings
from neurodyn.equilibria.waves import Saturation

__all__ = ["FixedPoints", "PointSet", "Saturation", "SearchSettings", "find_fixed_points", "solver"]
