"""neurodyn: neural networks as dynamical systems.

The public surface is re-exported here; everything else is internal.
"""

from neurodyn import meanfield, training
from neurodyn.continuation import (
    Branch,
    HopfPoint,
    PeriodicOrbit,
    continue_equilibria,
    find_hopf_points,
    periodic_orbit,
)
from neurodyn.equilibria import FixedPoints, find_fixed_points
from neurodyn.errors import (
    ConvergenceWarning,
    DivergenceError,
    InvalidInputError,
    ModelLoadError,
    NeurodynError,
    NonFiniteError,
    UnsafeFileError,
    UnsupportedModelError,
)
from neurodyn.lyapunov import (
    BoundaryLink,
    FTLEField,
    LyapunovSpectrum,
    ftle,
    ftle_boundary_link,
    lyapunov_spectrum,
    max_lyapunov,
)
from neurodyn.systems import Flow, Map, from_torch, henon, logistic, lorenz, random_tanh_rnn, tanh_family, tanh_field

__version__ = "0.1.0"

__all__ = [
    "BoundaryLink",
    "Branch",
    "ConvergenceWarning",
    "DivergenceError",
    "FTLEField",
    "FixedPoints",
    "HopfPoint",
    "Flow",
    "InvalidInputError",
    "LyapunovSpectrum",
    "Map",
    "ModelLoadError",
    "NeurodynError",
    "NonFiniteError",
    "PeriodicOrbit",
    "UnsafeFileError",
    "UnsupportedModelError",
    "find_fixed_points",
    "find_hopf_points",
    "from_torch",
    "continue_equilibria",
    "ftle",
    "ftle_boundary_link",
    "henon",
    "logistic",
    "lorenz",
    "lyapunov_spectrum",
    "max_lyapunov",
    "meanfield",
    "periodic_orbit",
    "training",
    "random_tanh_rnn",
    "tanh_family",
    "tanh_field",
]
