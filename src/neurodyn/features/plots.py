"""Plots of many networks' spectra and features against their performance."""

from __future__ import annotations

import numpy as np
import torch

from neurodyn.errors import InvalidInputError
from neurodyn.features.spectra import _DTYPE, _spectrum_list, _vector, feature_correlations


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

