"""Lyapunov exponents: full spectra by the QR method, the maximal exponent by JVPs, and finite-time
exponents (FTLE) at batches of points."""

from neurodyn.lyapunov.boundary import BoundaryLink, ftle_boundary_link
from neurodyn.lyapunov.ftle import FTLEField, ftle
from neurodyn.lyapunov.maximal import max_lyapunov
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.spectrum import lyapunov_spectrum

__all__ = [
    "BoundaryLink",
    "FTLEField",
    "LyapunovSpectrum",
    "ftle",
    "ftle_boundary_link",
    "lyapunov_spectrum",
    "max_lyapunov",
]
