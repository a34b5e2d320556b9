"""Lyapunov-spectrum features and their link to task performance.

A trained recurrent network's Lyapunov spectrum summarises how it propagates information. This module turns
spectra into a few interpretable numbers (:func:`spectrum_features`: largest and mean exponent, number of positive
exponents, Kaplan–Yorke dimension, Kolmogorov–Sinai entropy bound), resamples spectra of networks of different
sizes onto a common grid (:func:`resample_spectrum`), rank-correlates features with performance
(:func:`feature_correlations`) and learns a low-dimensional embedding of whole spectra that predicts performance
(:func:`fit_aelle`, the autoencoder of Lyapunov exponents of Vogt et al. 2022, "On Lyapunov exponents for RNNs:
understanding information propagation using dynamical systems tools").
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result

__all__ = [
    "FEATURES",
    "AeLLEResult",
    "feature_correlations",
    "fit_aelle",
    "kaplan_yorke_dimension",
    "plot_feature_scatter",
    "plot_spectra",
    "resample_spectrum",
    "spectrum_features",
]

#: Names of the hand-picked spectrum features, in the order :func:`spectrum_features` returns them.
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


# ------------------------------------------------------------------------------------------------------------ AeLLE
def _best_f1(score: torch.Tensor, labels: torch.Tensor) -> tuple[float, float, int]:
    """Largest F1 of ``sign * score >= threshold`` against boolean ``labels`` over both signs and every threshold
    at a value of the score. Returns ``(f1, threshold, sign)``."""
    best = (-1.0, math.nan, 1)
    y = labels.to(_DTYPE)
    positives = float(y.sum())
    for sign in (1, -1):
        s = sign * score
        thresholds = torch.unique(s)
        pred = (s.unsqueeze(0) >= thresholds.unsqueeze(1)).to(_DTYPE)  # (thresholds, networks)
        tp = pred @ y
        denom = pred.sum(dim=1) + positives
        f1 = torch.where(denom > 0, 2 * tp / denom.clamp_min(1), torch.zeros_like(tp))
        i = int(torch.argmax(f1))
        if float(f1[i]) > best[0]:
            best = (float(f1[i]), float(thresholds[i]), sign)
    return best


@dataclasses.dataclass(frozen=True, eq=False)
class AeLLEResult(Result):
    """An autoencoder embedding of Lyapunov spectra and how well it separates good from bad networks.

    ``latent`` ``(networks, latent)``: the encoder's embedding; ``pc1`` ``(networks,)``: its projection on the
    first principal component (sign chosen so that it correlates non-negatively with performance);
    ``performance`` and ``good`` (performance above the median); ``f1_latent``: F1 score of classifying networks
    as good by thresholding ``pc1``; ``f1_best_feature`` and ``best_feature``: the same for the best single
    feature of :data:`FEATURES`; ``feature_f1``: that F1 for every feature. Every F1 here takes the threshold
    and sign that maximise it on these same networks (an in-sample, optimistic score: use held-out networks to
    estimate generalisation). ``reconstruction_error`` and ``prediction_error``: final mean squared errors of the
    reconstruction and of the performance prediction, in standardised units. ``settings``: the arguments.
    """

    latent: torch.Tensor
    pc1: torch.Tensor
    performance: torch.Tensor
    good: torch.Tensor
    f1_latent: float
    f1_best_feature: float
    best_feature: str
    feature_f1: dict
    reconstruction_error: float
    prediction_error: float
    settings: dict

    def plot(self, ax=None):
        """The latent space (first two coordinates; ``pc1`` against 0 for a 1-D latent), coloured by performance.
        Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        z = self.latent.numpy()
        xs, ys = (z[:, 0], z[:, 1]) if z.shape[1] >= 2 else (self.pc1.numpy(), np.zeros(len(z)))
        art = ax.scatter(xs, ys, c=self.performance.numpy(), cmap="viridis", edgecolors="k", linewidths=0.3, s=30)
        ax.figure.colorbar(art, ax=ax, label="performance")
        ax.set_xlabel("latent 1" if z.shape[1] >= 2 else "PC1")
        ax.set_ylabel("latent 2" if z.shape[1] >= 2 else "")
        ax.set_title(f"AeLLE latent space: F1 {self.f1_latent:.2f} (PC1) vs {self.f1_best_feature:.2f} "
                     f"({self.best_feature})", fontsize=9)
        return ax


def _init_linear(fan_in: int, fan_out: int, g: torch.Generator) -> list[torch.Tensor]:
    bound = 1 / math.sqrt(fan_in)
    w = (torch.rand(fan_in, fan_out, generator=g, dtype=_DTYPE) * 2 - 1) * bound
    b = (torch.rand(fan_out, generator=g, dtype=_DTYPE) * 2 - 1) * bound
    return [w.requires_grad_(), b.requires_grad_()]


def _standardise(x: torch.Tensor) -> torch.Tensor:
    std = x.std(dim=0, unbiased=False)
    return (x - x.mean(dim=0)) / torch.where(std > 0, std, torch.ones_like(std))


def fit_aelle(spectra, performance, *, length: int = 32, latent: int = 2, hidden: int = 16, epochs: int = 1500,
              lr: float = 1e-2, weight: float = 1.0, seed: int = 0) -> AeLLEResult:
    """Fit AeLLE, an autoencoder of Lyapunov exponents trained jointly with a performance predictor.

    Each spectrum (networks may have different sizes) is resampled to ``length`` points
    (:func:`resample_spectrum`) and each point standardised across networks. An MLP autoencoder
    (``length -> hidden -> latent -> hidden -> length``, tanh) and a linear head ``latent -> performance`` are
    trained together by full-batch Adam for ``epochs`` steps at learning rate ``lr`` on
    ``reconstruction MSE + weight * prediction MSE`` (performance standardised too). Initialisation uses a
    generator seeded by ``seed`` (the global random state is untouched), so a fit is deterministic.

    The embedding is summarised by its first principal component ``pc1``; networks are called good when their
    performance is above the median, and ``f1_latent`` is the F1 score of predicting that by thresholding
    ``pc1``, with the threshold and sign chosen to maximise F1 on these networks. ``f1_best_feature`` is the same
    for the best hand-picked feature of :func:`spectrum_features`, the baseline AeLLE should beat.
    """
    rows = _spectrum_list(spectra)
    n_net = len(rows)
    if n_net < 4:
        raise InvalidInputError(f"spectra has {n_net} networks; fit_aelle needs at least 4 to split good from bad")
    perf = _vector(performance, name="performance", n=n_net)
    length = positive_int(length, name="length", minimum=2)
    latent = positive_int(latent, name="latent")
    hidden = positive_int(hidden, name="hidden")
    epochs = positive_int(epochs, name="epochs")
    lr = positive_float(lr, name="lr")
    weight = float(weight)
    if not (math.isfinite(weight) and weight >= 0):
        raise InvalidInputError(f"weight must be a finite number >= 0, got {weight!r}")
    seed = int(seed)

    x = _standardise(torch.stack([resample_spectrum(r, length) for r in rows]))
    y = _standardise(perf.unsqueeze(1))

    g = torch.Generator().manual_seed(seed)
    layers = [_init_linear(a, b, g) for a, b in [(length, hidden), (hidden, latent), (latent, hidden),
                                                  (hidden, length), (latent, 1)]]
    params = [p for layer in layers for p in layer]
    (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = layers

    def forward(inp):
        z = torch.tanh(inp @ w1 + b1) @ w2 + b2
        return z, torch.tanh(z @ w3 + b3) @ w4 + b4, z @ w5 + b5

    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        _, recon, pred = forward(x)
        loss = torch.mean((recon - x) ** 2) + weight * torch.mean((pred - y) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        z, recon, pred = forward(x)
        rec_err = float(torch.mean((recon - x) ** 2))
        pred_err = float(torch.mean((pred - y) ** 2))
    if not (math.isfinite(rec_err) and math.isfinite(pred_err)):
        raise InvalidInputError(f"AeLLE training diverged (loss is not finite); lower lr (now {lr})")

    zc = z - z.mean(dim=0)
    _, _, vh = torch.linalg.svd(zc, full_matrices=False)
    pc1 = zc @ vh[0]
    pc1 = -pc1 if float(((pc1 - pc1.mean()) * (perf - perf.mean())).sum()) < 0 else pc1

    good = perf > perf.median()
    f1_latent = _best_f1(pc1, good)[0]
    feats = _features_of(rows)
    feature_f1 = {k: _best_f1(v, good)[0] for k, v in feats.items()}
    best_feature = max(FEATURES, key=lambda k: feature_f1[k])
    settings = dict(length=length, latent=latent, hidden=hidden, epochs=epochs, lr=lr, weight=weight, seed=seed)
    return AeLLEResult(latent=z.detach(), pc1=pc1.detach(), performance=perf, good=good, f1_latent=f1_latent,
                       f1_best_feature=feature_f1[best_feature], best_feature=best_feature, feature_f1=feature_f1,
                       reconstruction_error=rec_err, prediction_error=pred_err, settings=settings)


def _features_of(rows: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """:func:`spectrum_features` of spectra that may differ in length, as ``(networks,)`` tensors."""
    per = [spectrum_features(r) for r in rows]
    return {k: torch.tensor([p[k] for p in per], dtype=_DTYPE) for k in FEATURES}


# ------------------------------------------------------------------------------------------------------------ plots
def plot_spectra(spectra, performance, ax=None):
    """Each spectrum against its normalised index ``i / (n - 1)`` (so networks of different sizes line up),
    coloured by the network's performance, with a colorbar. Returns the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    rows = _spectrum_list(spectra)
    perf = _vector(performance, name="performance", n=len(rows)).numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    norm = Normalize(vmin=float(perf.min()), vmax=float(perf.max()) if np.ptp(perf) > 0 else float(perf.min()) + 1)
    cmap = plt.get_cmap("viridis")
    for r, p in zip(rows, perf, strict=True):
        grid = np.linspace(0, 1, len(r)) if len(r) > 1 else np.array([0.0])
        ax.plot(grid, r.numpy(), color=cmap(norm(p)), lw=1, marker="." if len(r) == 1 else None)
    ax.axhline(0, color="k", lw=0.5)
    ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="performance")
    ax.set_xlabel("normalised index i / (n - 1)")
    ax.set_ylabel("Lyapunov exponent")
    ax.set_title("Lyapunov spectra by performance", fontsize=10)
    return ax


def plot_feature_scatter(features: dict, performance, axes=None):
    """One scatter of performance against each feature, with its Spearman rho in the title. ``axes``: a sequence
    of at least as many axes as features (new ones in a row if None). Returns the axes used."""
    import matplotlib.pyplot as plt

    rho = feature_correlations(features, performance)
    perf = _vector(performance, name="performance").numpy()
    names = list(rho)
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(3 * len(names), 3), squeeze=False)
        axes = axes[0]
    axes = list(np.ravel(axes))
    if len(axes) < len(names):
        raise InvalidInputError(f"axes has {len(axes)} axes but there are {len(names)} features; give one per feature")
    for ax, name in zip(axes, names, strict=False):
        ax.scatter(torch.as_tensor(features[name], dtype=_DTYPE).numpy(), perf, s=12)
        ax.set_xlabel(name)
        ax.set_title(f"{name}: ρ = {rho[name]:.2f}", fontsize=9)
    axes[0].set_ylabel("performance")
    return axes[: len(names)]
