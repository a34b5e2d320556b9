"""Lyapunov exponents: full spectra by the QR method and the maximal exponent by JVPs."""

from neurodyn.lyapunov.maximal import max_lyapunov
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.spectrum import lyapunov_spectrum

__all__ = ["LyapunovSpectrum", "lyapunov_spectrum", "max_lyapunov"]
