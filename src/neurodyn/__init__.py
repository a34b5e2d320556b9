"""neurodyn: neural networks as dynamical systems.

The public surface is re-exported here; everything else is internal.
"""

from neurodyn import classifier, features, meanfield, networks, slowfast, training
from neurodyn.classifier import BoundaryLink, ftle_boundary_link
from neurodyn.continuation import (
    BifurcationCurve,
    Branch,
    HopfPoint,
    HopfPoints,
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
from neurodyn.lyapunov import FTLEField, LyapunovSpectrum, ftle, lyapunov_spectrum, max_lyapunov
from neurodyn.results import Status
from neurodyn.slowfast import SlowFastSplit, TimeScales, slow_fast, time_scales
from neurodyn.systems import (
    Flow,
    Map,
    davis_skodje,
    from_torch,
    henon,
    logistic,
    lorenz,
    planted_tanh,
    random_tanh_rnn,
    tanh_family,
    tanh_field,
)
from neurodyn.validated import Proof, Proofs, prove_equilibrium, prove_hopf, prove_hopf_points, prove_stability
from neurodyn.validated.flow import FlowEnclosure, enclose_flow
from neurodyn.validated.ftle_bounds import FTLEBounds, prove_ftle
from neurodyn.validated.orbit_proof import prove_periodic_orbit

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
    "HopfPoints",
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
    "Proofs",
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
    "classifier",
    "features",
    "ftle",
    "ftle_boundary_link",
    "henon",
    "logistic",
    "lorenz",
    "lyapunov_spectrum",
    "max_lyapunov",
    "meanfield",
    "networks",
    "periodic_orbit",
    "prove_equilibrium",
    "prove_hopf",
    "prove_hopf_points",
    "prove_stability",
    "training",
    "random_tanh_rnn",
    "tanh_family",
    "tanh_field",
    "SlowFastSplit",
    "TimeScales",
    "davis_skodje",
    "planted_tanh",
    "slow_fast",
    "slowfast",
    "time_scales",
    "FlowEnclosure",
    "enclose_flow",
    "FTLEBounds",
    "prove_ftle",
    "prove_periodic_orbit",
]
