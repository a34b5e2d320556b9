"""Spectrum features: Kaplan–Yorke dimension and hand-picked summaries of Lyapunov spectra, resampling onto a
common grid, and their rank correlation with performance; the input checks the other feature modules share."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError

FEATURES = ("max", "mean", "n_positive", "kaplan_yorke", "entropy")

_DTYPE = torch.float64


# ---------------------------------------------------------------------------------------------------------- inputs
def _spectra(exponents, *, name: str = "exponents") -> torch.Tensor:
    """``exponents`` as a finite float64 ``(n,)`` or ``(N, n)`` tensor, each spectrum sorted descending."""
    x = as_tensor(exponents, name=name, dtype=_DTYPE, device="cpu")
    if x.ndim not in (1, 2):
        raise InvalidInputError(
            f"{name} has shape {tuple(x.shape)}; give one spectrum (n,) or a batch (networks, n), one spectrum a row"
        )
    if x.shape[-1] == 0 or (x.ndim == 2 and x.shape[0] == 0):
        raise InvalidInputError(
            f"{name} has shape {tuple(x.shape)}; give at least one spectrum of at least one exponent"
        )
    return torch.sort(x, dim=-1, descending=True).values


def _spectrum_list(spectra, *, name: str = "spectra") -> list[torch.Tensor]:
    """A batch of spectra, possibly of different lengths: a ``(N, n)`` array or a sequence of 1-D spectra."""
    if isinstance(spectra, (torch.Tensor, np.ndarray)):
        x = _spectra(spectra, name=name)
        return list(x.unsqueeze(0) if x.ndim == 1 else x)
    try:
        items = list(spectra)
    except TypeError:
        raise InvalidInputError(f"{name} must be a (networks, n) array or a list of 1-D spectra, "
                                f"got {type(spectra).__name__}") from None
    if not items:
        raise InvalidInputError(f"{name} is empty; give at least one spectrum")
    out = []
    for i, s in enumerate(items):
        t = _spectra(s, name=f"{name}[{i}]")
        if t.ndim != 1:
            raise InvalidInputError(f"{name}[{i}] has shape {tuple(t.shape)}; each spectrum must be 1-D")
        out.append(t)
    return out


def _vector(value, *, name: str, n: int | None = None, against: str = "spectra") -> torch.Tensor:
    t = as_tensor(value, name=name, dtype=_DTYPE, device="cpu")
    if t.ndim != 1:
        raise InvalidInputError(f"{name} has shape {tuple(t.shape)}; give one number per network (1-D)")
    if n is not None and len(t) != n:
        raise InvalidInputError(f"{name} has {len(t)} entries but {against} has {n}; give one value per network")
    return t


# --------------------------------------------------------------------------------------------------------- features
def _kaplan_yorke(x: torch.Tensor) -> torch.Tensor:
    """Kaplan–Yorke dimension of each row of a descending-sorted ``(N, n)`` batch."""
    n = x.shape[-1]
    partial = torch.cumsum(x, dim=-1)
    # Partial sums of a descending sequence are concave, so {j : S_j >= 0} is an initial run: count it.
    k = (partial >= 0).sum(dim=-1)
    inner = (k > 0) & (k < n)
    idx = torch.clamp(k, 1, max(n - 1, 1))
    s_k = partial.gather(-1, (idx - 1).unsqueeze(-1)).squeeze(-1)
    lam_next = x.gather(-1, torch.clamp(idx, max=n - 1).unsqueeze(-1)).squeeze(-1)
    frac = torch.where(inner, s_k / lam_next.abs().clamp_min(torch.finfo(_DTYPE).tiny), torch.zeros_like(s_k))
    return k.to(_DTYPE) + frac


def kaplan_yorke_dimension(exponents):
    """Kaplan–Yorke (Lyapunov) dimension ``D = K + S_K / |lambda_{K+1}|`` of a Lyapunov spectrum.

    ``S_j`` is the sum of the ``j`` largest exponents and ``K`` the largest ``j`` with ``S_j >= 0``. The exponents
    are sorted descending first. If even the largest exponent is negative the dimension is 0; if no partial sum
    becomes negative it is ``n``, the number of exponents. Lorenz ``(0.9056, 0, -14.5723)`` gives
    ``2 + 0.9056 / 14.5723 = 2.0621``.

    ``exponents``: one spectrum ``(n,)`` (returns a float) or a batch ``(networks, n)`` (returns a tensor).
    """
    x = _spectra(exponents)
    d = _kaplan_yorke(x.unsqueeze(0) if x.ndim == 1 else x)
    return float(d[0]) if x.ndim == 1 else d


def spectrum_features(exponents) -> dict:
    """Hand-picked summaries of a Lyapunov spectrum, keyed by :data:`FEATURES`.

    - ``max``: largest exponent (chaos if positive);
    - ``mean``: mean exponent (average phase-space contraction rate per dimension);
    - ``n_positive``: number of strictly positive exponents (number of unstable directions);
    - ``kaplan_yorke``: Kaplan–Yorke dimension (:func:`kaplan_yorke_dimension`);
    - ``entropy``: sum of the positive exponents, the upper bound on the Kolmogorov–Sinai entropy
      (equal to it for SRB measures, by Pesin's formula).

    One spectrum ``(n,)`` gives a dict of floats; a batch ``(networks, n)`` a dict of ``(networks,)`` tensors.
    """
    x = _spectra(exponents)
    b = x.unsqueeze(0) if x.ndim == 1 else x
    out = {
        "max": b[:, 0],
        "mean": b.mean(dim=-1),
        "n_positive": (b > 0).sum(dim=-1).to(_DTYPE),
        "kaplan_yorke": _kaplan_yorke(b),
        "entropy": b.clamp_min(0).sum(dim=-1),
    }
    if x.ndim == 1:
        return {k: float(v[0]) for k, v in out.items()}
    return out


def resample_spectrum(exponents, length: int) -> torch.Tensor:
    """The descending-sorted spectrum linearly interpolated to ``length`` points, so that networks of different
    sizes become comparable.

    The ``n`` exponents sit on the normalised index grid ``i / (n - 1)`` of ``[0, 1]``; the result samples the
    piecewise-linear curve through them at ``length`` evenly spaced points of ``[0, 1]`` (``length = 1`` samples
    index 0, the largest exponent). A single exponent gives a constant spectrum; a linear spectrum is reproduced
    exactly, and ``length == n`` returns the sorted spectrum unchanged. A batch ``(networks, n)`` is resampled row
    by row.
    """
    x = _spectra(exponents)
    length = positive_int(length, name="length")
    n = x.shape[-1]
    if n == 1:
        return x[..., :1].expand(*x.shape[:-1], length).clone()
    k = torch.arange(length, dtype=_DTYPE)
    pos = k * (n - 1) / (length - 1) if length > 1 else k
    i0 = torch.clamp(torch.floor(pos).long(), 0, n - 2)
    frac = pos - i0.to(_DTYPE)
    return x[..., i0] * (1 - frac) + x[..., i0 + 1] * frac


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b).statistic)


def feature_correlations(features: dict, performance) -> dict[str, float]:
    """Spearman rank correlation of each feature with ``performance`` across networks.

    ``features``: a dict of ``(networks,)`` values (e.g. :func:`spectrum_features` of a batch); ``performance``:
    ``(networks,)``. Networks where a feature is NaN/inf are left out of that feature's correlation; a constant
    feature (or fewer than two usable networks) gives NaN rather than an error.
    """
    if not isinstance(features, dict) or not features:
        raise InvalidInputError("features must be a non-empty dict of name -> (networks,) values, "
                                f"got {type(features).__name__}")
    perf = _vector(performance, name="performance")
    out = {}
    for key, value in features.items():
        try:
            v = torch.as_tensor(value, dtype=_DTYPE).detach().cpu()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise InvalidInputError(f"features[{key!r}] must be a 1-D array of numbers") from exc
        if v.ndim != 1 or len(v) != len(perf):
            raise InvalidInputError(f"features[{key!r}] has shape {tuple(v.shape)} but performance has "
                                    f"{len(perf)} entries; give one value per network")
        out[str(key)] = _spearman(v.numpy(), perf.numpy())
    return out



def features_table(spectra) -> dict[str, torch.Tensor]:
    """:func:`spectrum_features` of spectra that may differ in length (a list of 1-D spectra or a
    ``(networks, n)`` array), as a dict of ``(networks,)`` tensors."""
    per = [spectrum_features(r) for r in _spectrum_list(spectra)]
    return {k: torch.tensor([p[k] for p in per], dtype=_DTYPE) for k in FEATURES}


