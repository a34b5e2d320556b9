"""Lyapunov-spectrum features, resampling, rank correlations and the AeLLE embedding."""

import math

import matplotlib
import numpy as np
import pytest
import torch

from neurodyn import features as F
from neurodyn.errors import InvalidInputError

matplotlib.use("Agg")

LORENZ = (0.9056, 0.0, -14.5723)


# ---------------------------------------------------------------------------------------------- Kaplan–Yorke
def test_kaplan_yorke_lorenz_published():
    assert F.kaplan_yorke_dimension(LORENZ) == pytest.approx(2 + 0.9056 / 14.5723, abs=1e-12)
    assert F.kaplan_yorke_dimension(LORENZ) == pytest.approx(2.0621, abs=1e-4)


def test_kaplan_yorke_edge_cases():
    assert F.kaplan_yorke_dimension([-0.1, -1.0, -2.0]) == 0.0
    assert F.kaplan_yorke_dimension([1.0, 0.5, -1.0]) == 3.0  # partial sums 1, 1.5, 0.5 never negative
    assert F.kaplan_yorke_dimension([0.0, 0.0]) == 2.0
    assert F.kaplan_yorke_dimension([2.5]) == 1.0
    assert F.kaplan_yorke_dimension([-2.5]) == 0.0


def test_kaplan_yorke_hand_computed_and_unsorted():
    # S = 1, 0.5, -1.5: K = 2, D = 2 + 0.5 / 2
    assert F.kaplan_yorke_dimension([1.0, -0.5, -2.0]) == pytest.approx(2.25)
    # S = 0.2, -0.8: K = 1, D = 1 + 0.2 / 1; input order does not matter
    assert F.kaplan_yorke_dimension(np.array([-1.0, 0.2])) == pytest.approx(1.2)
    # Henon (0.41922, -1.62319): 1 + 0.41922 / 1.62319
    assert F.kaplan_yorke_dimension(torch.tensor([0.41922, -1.62319])) == pytest.approx(1.25827, abs=1e-5)


def test_kaplan_yorke_batch_matches_rows():
    batch = torch.tensor([LORENZ, (1.0, -0.5, -2.0), (-1.0, -2.0, -3.0), (1.0, 0.5, -1.0)], dtype=torch.float64)
    d = F.kaplan_yorke_dimension(batch)
    assert isinstance(d, torch.Tensor) and d.shape == (4,)
    for row, value in zip(batch, d, strict=True):
        assert float(value) == pytest.approx(F.kaplan_yorke_dimension(row))


# ---------------------------------------------------------------------------------------------- features
def test_spectrum_features_single():
    f = F.spectrum_features([0.3, 0.1, 0.0, -0.5, -2.0])
    assert tuple(f) == F.FEATURES
    assert all(isinstance(v, float) for v in f.values())
    assert f["max"] == 0.3
    assert f["mean"] == pytest.approx(-2.1 / 5)
    assert f["n_positive"] == 2.0
    assert f["entropy"] == pytest.approx(0.4)  # sum of the positive exponents
    # S = 0.3, 0.4, 0.4, -0.1: K = 3, D = 3 + 0.4 / 0.5
    assert f["kaplan_yorke"] == pytest.approx(3.8)


def test_spectrum_features_batch():
    batch = torch.tensor([LORENZ, (-0.2, -0.4, -1.0)], dtype=torch.float64)
    f = F.spectrum_features(batch)
    assert set(f) == set(F.FEATURES)
    assert all(v.shape == (2,) and v.dtype == torch.float64 for v in f.values())
    torch.testing.assert_close(f["entropy"], torch.tensor([0.9056, 0.0], dtype=torch.float64))
    torch.testing.assert_close(f["n_positive"], torch.tensor([1.0, 0.0], dtype=torch.float64))
    assert float(f["kaplan_yorke"][0]) == pytest.approx(2.0621, abs=1e-4)


# ---------------------------------------------------------------------------------------------- resampling
def test_resample_exact_on_linear_spectra():
    for n, length in [(5, 32), (32, 7), (2, 3), (10, 10)]:
        s = torch.linspace(0.5, -2.5, n, dtype=torch.float64)
        torch.testing.assert_close(F.resample_spectrum(s, length),
                                   torch.linspace(0.5, -2.5, length, dtype=torch.float64), rtol=0, atol=1e-14)


def test_resample_identity_constant_and_batch():
    s = torch.tensor([0.7, 0.1, -0.3, -1.9, -4.0], dtype=torch.float64)
    assert torch.equal(F.resample_spectrum(s, 5), s)
    assert torch.equal(F.resample_spectrum(s.flip(0), 5), s)  # sorted descending first
    torch.testing.assert_close(F.resample_spectrum([-0.4], 6), torch.full((6,), -0.4, dtype=torch.float64))
    # midpoints of a non-linear spectrum interpolate linearly
    torch.testing.assert_close(F.resample_spectrum([1.0, 0.0, -4.0], 5),
                               torch.tensor([1.0, 0.5, 0.0, -2.0, -4.0], dtype=torch.float64))
    batch = torch.stack([s, 2 * s])
    out = F.resample_spectrum(batch, 9)
    assert out.shape == (2, 9)
    torch.testing.assert_close(out[1], F.resample_spectrum(2 * s, 9))


# ---------------------------------------------------------------------------------------------- correlations
def test_feature_correlations_monotone_and_constant():
    perf = torch.linspace(0, 1, 12, dtype=torch.float64)
    feats = {"up": perf**3, "down": -torch.exp(perf), "flat": torch.ones(12, dtype=torch.float64)}
    rho = F.feature_correlations(feats, perf)
    assert rho["up"] == pytest.approx(1.0)
    assert rho["down"] == pytest.approx(-1.0)
    assert math.isnan(rho["flat"])


def test_feature_correlations_skips_nan_entries():
    perf = np.arange(6.0)
    feats = {"a": np.array([0.0, 1.0, np.nan, 3.0, 4.0, 5.0])}
    assert F.feature_correlations(feats, perf)["a"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------- AeLLE
def _synthetic(n_networks=48, seed=3):
    """Spectra linspace(a, a - 3, n) of networks of three sizes; performance a noisy increasing function of a."""
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n_networks, generator=g, dtype=torch.float64) * 2 - 1
    sizes = (8, 16, 24)
    spectra = [torch.linspace(float(a[i]), float(a[i]) - 3, sizes[i % 3], dtype=torch.float64)
               for i in range(n_networks)]
    perf = torch.tanh(2 * a) + 0.05 * torch.randn(n_networks, generator=g, dtype=torch.float64)
    return spectra, perf


@pytest.fixture(scope="module")
def aelle_fit():
    spectra, perf = _synthetic()
    return spectra, perf, F.fit_aelle(spectra, perf, epochs=600, seed=0)


def test_aelle_separates_good_networks(aelle_fit):
    spectra, perf, r = aelle_fit
    assert isinstance(r, F.AeLLEResult)
    assert r.latent.shape == (len(spectra), 2) and r.pc1.shape == (len(spectra),)
    assert r.f1_latent >= 0.8
    assert r.best_feature in F.FEATURES
    assert r.f1_best_feature == max(r.feature_f1.values())
    assert int(r.good.sum()) == len(spectra) // 2
    assert math.isfinite(r.reconstruction_error) and r.reconstruction_error < 0.5
    assert r.settings["length"] == 32 and r.settings["seed"] == 0
    d = r.to_dict()
    assert d["type"] == "AeLLEResult" and len(d["latent"]) == len(spectra)


def test_aelle_deterministic_and_leaves_global_rng(aelle_fit):
    spectra, perf, r = aelle_fit
    state = torch.get_rng_state()
    again = F.fit_aelle(spectra, perf, epochs=600, seed=0)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(again.latent, r.latent)
    assert torch.equal(again.pc1, r.pc1)
    assert again.f1_latent == r.f1_latent


def test_f1_search_exact():
    labels = torch.tensor([False, False, True, True])
    up = F.best_f1(torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64), labels)
    assert (up.f1, up.threshold, up.sign) == (1.0, 2.0, 1)
    down = F.best_f1(torch.tensor([3.0, 2.0, 1.0, 0.0], dtype=torch.float64), labels)
    assert (down.f1, down.threshold, down.sign) == (1.0, -1.0, -1)  # sign flip
    # all predicted good is the best one can do for a constant score: F1 = 2 * 2 / (4 + 2)
    assert F.best_f1(torch.zeros(4, dtype=torch.float64), labels).f1 == pytest.approx(2 / 3)


# ---------------------------------------------------------------------------------------------- plots
def test_plots_return_axes(aelle_fit):
    import matplotlib.pyplot as plt

    spectra, perf, r = aelle_fit
    ax = F.plot_spectra(spectra, perf)
    assert len(ax.lines) >= len(spectra)
    feats = F.features_table(spectra)
    axes = F.plot_feature_scatter(feats, perf)
    assert len(axes) == len(F.FEATURES)
    assert "ρ" in axes[0].get_title()
    assert r.plot() is not None
    plt.close("all")


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: F.kaplan_yorke_dimension([0.1, float("nan")]), "non-finite"),
        (lambda: F.spectrum_features([1.0, float("inf")]), "non-finite"),
        (lambda: F.kaplan_yorke_dimension([]), "at least one"),
        (lambda: F.spectrum_features(torch.zeros(2, 2, 2)), "shape"),
        (lambda: F.resample_spectrum([1.0, 0.0], 0), "length"),
        (lambda: F.feature_correlations({"a": [1.0, 2.0, 3.0]}, [1.0, 2.0]), "one value per network"),
        (lambda: F.feature_correlations({}, [1.0, 2.0]), "non-empty"),
        (lambda: F.fit_aelle([[0.0, -1.0]] * 5, [1.0, 2.0, 3.0]), "one value per network"),
        (lambda: F.fit_aelle([[0.0, -1.0]] * 2, [1.0, 2.0]), "at least 4"),
        (lambda: F.fit_aelle([[0.0, -1.0], [], [1.0], [2.0]], [1.0, 2.0, 3.0, 4.0]), r"spectra\[1\]"),
        (lambda: F.fit_aelle([[0.0, float("nan")]] * 4, [1.0, 2.0, 3.0, 4.0]), "non-finite"),
        (lambda: F.fit_aelle([[0.0, -1.0]] * 4, [1.0, 2.0, float("nan"), 4.0]), "performance"),
        (lambda: F.plot_spectra([[0.0, -1.0]] * 3, [1.0, 2.0]), "one value per network"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(InvalidInputError, match=match):
        call()
