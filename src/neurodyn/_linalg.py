"""The library's own imports of :mod:`neurodyn.linalg` (its former private name)."""

from neurodyn.linalg import GRADED, eig, eig_leading, eigvals, is_graded

__all__ = ["GRADED", "eig", "eig_leading", "eigvals", "is_graded"]
