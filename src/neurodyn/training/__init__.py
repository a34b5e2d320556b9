"""Training as a dynamical system: sharpness (Hessian eigenvalues), edge-of-stability tracking, (S)GD
stability at a minimum, and gradient propagation through depth."""

from neurodyn.training.depth import DepthLyapunov, depth_lyapunov
from neurodyn.training.eos import (
    EdgeOfStability,
    EdgeOfStabilityTracker,
    eos_digits,
    half_mse,
    stability_threshold,
)
from neurodyn.training.sharpness import Sharpness, SharpnessSettings, sharpness
from neurodyn.training.stability import MinimumStability, StabilitySettings, gd_stability, sgd_lyapunov_exponent

__all__ = [
    "DepthLyapunov",
    "EdgeOfStability",
    "EdgeOfStabilityTracker",
    "MinimumStability",
    "Sharpness",
    "SharpnessSettings",
    "StabilitySettings",
    "depth_lyapunov",
    "eos_digits",
    "gd_stability",
    "half_mse",
    "sgd_lyapunov_exponent",
    "sharpness",
    "stability_threshold",
]
