"""AeLLE: the autoencoder of Lyapunov exponents (Vogt et al. 2022), its latent space against hand-picked
features."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.features.spectra import (
    _DTYPE,
    FEATURES,
    _spectrum_list,
    _vector,
    features_table,
    resample_spectrum,
)
from neurodyn.results import Result


# ------------------------------------------------------------------------------------------------------------ AeLLE
@dataclasses.dataclass(frozen=True)
class ThresholdF1:
    """The best F1 score of a one-threshold classifier ``sign * score >= threshold``."""

    f1: float
    threshold: float
    sign: int


def best_f1(score: torch.Tensor, labels: torch.Tensor) -> ThresholdF1:
    """Largest F1 of ``sign * score >= threshold`` against boolean ``labels`` over both signs and every threshold
    at a value of the score (how well one number, e.g. a spectrum feature, separates good from bad networks).

    Returns:
        :class:`ThresholdF1` (``f1`` in ``[0, 1]``; a constant score predicts everything good).
    """
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
    return ThresholdF1(*best)


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
    f1_latent = best_f1(pc1, good).f1
    feats = features_table(rows)
    feature_f1 = {k: best_f1(v, good).f1 for k, v in feats.items()}
    best_feature = max(FEATURES, key=lambda k: feature_f1[k])
    settings = dict(length=length, latent=latent, hidden=hidden, epochs=epochs, lr=lr, weight=weight, seed=seed)
    return AeLLEResult(latent=z.detach(), pc1=pc1.detach(), performance=perf, good=good, f1_latent=f1_latent,
                       f1_best_feature=feature_f1[best_feature], best_feature=best_feature, feature_f1=feature_f1,
                       reconstruction_error=rec_err, prediction_error=pred_err, settings=settings)


