"""Training as a dynamical system: sharpness (Hessian eigenvalues), edge-of-stability tracking, (S)GD
stability at a minimum, and gradient propagation through depth."""

from neurodyn.training.sharpness import Sharpness, sharpness
from neurodyn.training.stability import MinimumStability, gd_stability, sgd_lyapunov_exponent

__all__ = ["MinimumStability", "Sharpness", "gd_stability", "sgd_lyapunov_exponent", "sharpness"]
