"""Lyapunov-spectrum features and their link to task performance (``spectra``: features, resampling,
correlations; ``aelle``: the autoencoder; ``plots``).

A trained recurrent network's Lyapunov spectrum summarises how it propagates information. This module turns
spectra into a few interpretable numbers (:func:`spectrum_features`: largest and mean exponent, number of positive
exponents, Kaplan–Yorke dimension, Kolmogorov–Sinai entropy bound), resamples spectra of networks of different
sizes onto a common grid (:func:`resample_spectrum`), rank-correlates features with performance
(:func:`feature_correlations`) and learns a low-dimensional embedding of whole spectra that predicts performance
(:func:`fit_aelle`, the autoencoder of Lyapunov exponents of Vogt et al. 2022, "On Lyapunov exponents for RNNs:
understanding information propagation using dynamical systems tools").
"""


from neurodyn.features.aelle import AeLLEResult, ThresholdF1, best_f1, fit_aelle
from neurodyn.features.plots import plot_feature_scatter, plot_spectra
from neurodyn.features.spectra import (
    FEATURES,
    feature_correlations,
    features_table,
    kaplan_yorke_dimension,
    resample_spectrum,
    spectrum_features,
)

__all__ = [
    "FEATURES",
    "AeLLEResult",
    "ThresholdF1",
    "best_f1",
    "feature_correlations",
    "features_table",
    "fit_aelle",
    "kaplan_yorke_dimension",
    "plot_feature_scatter",
    "plot_spectra",
    "resample_spectrum",
    "spectrum_features",
]
