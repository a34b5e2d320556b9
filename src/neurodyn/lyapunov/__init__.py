"""Lyapunov exponents: full spectra by the QR method, the maximal exponent by JVPs, and finite-time
exponents (FTLE) at batches of points. (The FTLE/decision-boundary study lives in :mod:`neurodyn.classifier`;
``BoundaryLink`` and ``ftle_boundary_link`` stay importable from here for one release.)"""

from neurodyn.lyapunov.ftle import FTLEField, ftle
from neurodyn.lyapunov.gains import GainScan, random_rnn_gain_scan
from neurodyn.lyapunov.maximal import max_lyapunov
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.settings import FTLESettings, LyapunovSettings
from neurodyn.lyapunov.spectrum import lyapunov_spectrum

__all__ = [
    "FTLEField",
    "FTLESettings",
    "GainScan",
    "LyapunovSettings",
    "LyapunovSpectrum",
    "ftle",
    "lyapunov_spectrum",
    "max_lyapunov",
    "random_rnn_gain_scan",
]


def __getattr__(name: str):
    if name in ("BoundaryLink", "ftle_boundary_link"):  # imported lazily: neurodyn.classifier imports this package
        from neurodyn import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module 'neurodyn.lyapunov' has no attribute {name!r}")
