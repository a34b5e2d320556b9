"""Natural-frequency laws of oscillator networks: densities and deterministic quantile samples.

``law.quantiles(N)`` gives ``omega_i = F^{-1}((i - 1/2) / N)``, a deterministic sample whose empirical measure
converges to the law at rate O(1/N) in the Wasserstein-1 distance for laws with finite first moment (and
without the ``1/sqrt(N)`` fluctuations of a random sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn.errors import InvalidInputError


def _levels(n: int) -> torch.Tensor:
    n = positive_int(n, name="the number of oscillators N")
    return (torch.arange(n, dtype=torch.float64) + 0.5) / n


@dataclass(frozen=True)
class Lorentzian:
    """Cauchy–Lorentz law, density ``g(w) = (gamma / pi) / ((w - center)^2 + gamma^2)`` (half-width ``gamma``)."""

    gamma: float
    center: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "gamma", positive_float(self.gamma, name="the Lorentzian half-width gamma"))

    def density(self, w: float) -> float:
        return self.gamma / math.pi / ((w - self.center) ** 2 + self.gamma ** 2)

    def quantiles(self, n: int) -> torch.Tensor:
        """``omega_i = center + gamma tan(pi (i - 1/2)/N - pi/2)``, ``(N,)``."""
        return self.center + self.gamma * torch.tan(math.pi * _levels(n) - math.pi / 2)


@dataclass(frozen=True)
class Gaussian:
    """Normal law of mean ``center`` and standard deviation ``sigma``."""

    sigma: float
    center: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "sigma", positive_float(self.sigma, name="the Gaussian standard deviation sigma"))

    def density(self, w: float) -> float:
        return math.exp(-0.5 * ((w - self.center) / self.sigma) ** 2) / (self.sigma * math.sqrt(2 * math.pi))

    def quantiles(self, n: int) -> torch.Tensor:
        """``omega_i = center + sigma sqrt(2) erfinv(2 (i - 1/2)/N - 1)``, ``(N,)``."""
        return self.center + self.sigma * math.sqrt(2) * torch.erfinv(2 * _levels(n) - 1)


@dataclass(frozen=True)
class Bimodal:
    """Equal mixture of two Lorentzians of half-width ``gamma`` centred at ``-separation`` and ``+separation``:
    ``g(w) = (gamma / 2 pi) (1/((w - s)^2 + gamma^2) + 1/((w + s)^2 + gamma^2))``. For ``gamma / sqrt(3) < s <
    gamma`` the all-to-all Kuramoto model is bistable (incoherence and partial synchrony) just below
    ``K_c = 2 / (pi g(0)) = 2 (gamma^2 + s^2) / gamma``: a hysteresis loop (Martens et al., Phys. Rev. E 79,
    026204, 2009; its Ott–Antonsen form is two slices, see :func:`ott_antonsen`)."""

    gamma: float
    separation: float
    center: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "gamma", positive_float(self.gamma, name="the Lorentzian half-width gamma"))
        object.__setattr__(self, "separation", positive_float(self.separation, name="the peak separation"))

    def density(self, w: float) -> float:
        lo, hi = Lorentzian(self.gamma, self.center - self.separation), Lorentzian(self.gamma,
                                                                                     self.center + self.separation)
        return 0.5 * (lo.density(w) + hi.density(w))

    def quantiles(self, n: int) -> torch.Tensor:
        """A stratified sample: the ``ceil(N/2)`` quantiles of the lower Lorentzian, then the ``floor(N/2)`` of the
        upper one, ``(N,)``."""
        n = positive_int(n, name="the number of oscillators N")
        half = (n + 1) // 2
        lo = Lorentzian(self.gamma, self.center - self.separation).quantiles(half)
        return lo if n == 1 else torch.cat((lo, Lorentzian(self.gamma, self.center + self.separation).quantiles(
            n - half)))


@dataclass(frozen=True)
class EmpiricalFrequencies:
    """A given list of frequencies (a sum of point masses): it has no density, so no critical-coupling formula."""

    values: torch.Tensor

    def __post_init__(self):
        v = as_tensor(self.values, name="the frequencies", dtype=torch.float64, device=None)
        if v.ndim != 1 or len(v) == 0:
            raise InvalidInputError(f"the frequencies must be a non-empty 1-d tensor, got shape {tuple(v.shape)}")
        object.__setattr__(self, "values", v)

    @property
    def center(self) -> float:
        return float(self.values.median())

    def density(self, w: float) -> float:
        raise InvalidInputError("an empirical frequency list (point masses) has no density at its centre; give a "
                                "law with a density (Lorentzian, Gaussian) for the critical coupling")

    def quantiles(self, n: int) -> torch.Tensor:
        if positive_int(n, name="N") != len(self.values):
            raise InvalidInputError(f"the empirical frequencies hold {len(self.values)} values, not N = {n}")
        return self.values.clone()


FrequencyLaw = Lorentzian | Gaussian | Bimodal | EmpiricalFrequencies
