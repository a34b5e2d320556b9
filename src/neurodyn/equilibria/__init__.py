"""Fixed points, equilibria and slow points, and their linear stability."""

from neurodyn.equilibria.find import find_fixed_points
from neurodyn.equilibria.result import FixedPoints, PointSet

__all__ = ["FixedPoints", "PointSet", "find_fixed_points"]
