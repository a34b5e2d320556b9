"""neurodyn: neural networks as dynamical systems.

The public surface is re-exported here; everything else is internal.
"""

from neurodyn import features, meanfield, training
from neurodyn.continuation import (
    BifurcationCurve,
    Branch,
    HopfPoint,
    OrbitBranch,
    PeriodicOrbit,
    continue_equilibria,
    continue_fold_curve,
    continue_hopf_curve,
    continue_periodic_orbits,
    find_hopf_points,
    periodic_orbit,
)
from neurodyn.equilibria import FixedPoints, find_fixed_points
from neurodyn.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DivergenceError,
    InvalidInputError,
    ModelLoadError,
    NeurodynError,
    NonFiniteError,
    OutputExistsError,
    OutputPathError,
    UnsafeFileError,
    UnsupportedModelError,
)
from neurodyn.iomaps import (
    ArchitectureClass,
    CriticalPoints,
    EmbeddingObstructions,
    architecture_class,
    critical_points,
    embedding_obstructions,
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
from neurodyn.results import Status
from neurodyn.systems import Flow, Map, from_torch, henon, logistic, lorenz, random_tanh_rnn, tanh_family, tanh_field
from neurodyn.validated import Proof, prove_equilibrium, prove_hopf, prove_stability

__version__ = "0.1.0"

__all__ = [
    "ArchitectureClass",
    "CriticalPoints",
    "EmbeddingObstructions",
    "architecture_class",
    "critical_points",
    "embedding_obstructions",
    "BifurcationCurve",
    "BoundaryLink",
    "Branch",
    "ConvergenceError",
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
    "OutputExistsError",
    "OutputPathError",
    "OrbitBranch",
    "PeriodicOrbit",
    "Proof",
    "Status",
    "UnsafeFileError",
    "UnsupportedModelError",
    "find_fixed_points",
    "find_hopf_points",
    "from_torch",
    "continue_equilibria",
    "continue_fold_curve",
    "continue_hopf_curve",
    "continue_periodic_orbits",
    "features",
    "ftle",
    "ftle_boundary_link",
    "henon",
    "logistic",
    "lorenz",
    "lyapunov_spectrum",
    "max_lyapunov",
    "meanfield",
    "periodic_orbit",
    "prove_equilibrium",
    "prove_hopf",
    "prove_stability",
    "training",
    "random_tanh_rnn",
    "tanh_family",
    "tanh_field",
]
