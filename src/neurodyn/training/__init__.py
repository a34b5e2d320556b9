"""Training as a dynamical system: sharpness (Hessian eigenvalues), edge-of-stability tracking, (S)GD
stability at a minimum, and gradient propagation through depth."""

from neurodyn.training.sharpness import Sharpness, sharpness

__all__ = ["Sharpness", "sharpness"]
