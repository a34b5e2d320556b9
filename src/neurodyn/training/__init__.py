"""Training as a dynamical system: sharpness (Hessian eigenvalues), edge-of-stability tracking, (S)GD
stability at a minimum, and gradient propagation through depth."""

from neurodyn.training.depth import DepthLyapunov, depth_lyapunov
from neurodyn.training.sharpness import Sharpness, sharpness
from neurodyn.training.stability import MinimumStability, gd_stability, sgd_lyapunov_exponent

__all__ = [
    "DepthLyapunov",
    "MinimumStability",
    "Sharpness",
    "depth_lyapunov",
    "gd_stability",
    "sgd_lyapunov_exponent",
    "sharpness",
]
