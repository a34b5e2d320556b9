"""Attractors of flows from many starts: omega-limit sets, their basins, and their kinds from the Lyapunov spectrum
(equilibrium, limit cycle, torus, chaotic), with the periodic orbit of every limit cycle.

``neurodyn.attractors`` at the top level is the function :func:`~neurodyn.attractors.find.attractors`; the types
are exported there too (``neurodyn.Attractors``, ``neurodyn.Attractor``, ``neurodyn.AttractorSettings``).
"""

from neurodyn.attractors.classify import KINDS
from neurodyn.attractors.find import attractors
from neurodyn.attractors.result import Attractor, Attractors
from neurodyn.attractors.settings import AttractorSettings

__all__ = ["KINDS", "Attractor", "AttractorSettings", "Attractors", "attractors"]
