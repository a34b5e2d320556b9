"""What a finished sweep says: the rank correlation of each spectrum feature with performance, or why it has none."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class FeatureCorrelation:
    """Spearman's ``rho`` of one spectrum ``feature`` with test performance across the finished networks, over
    the ``networks`` with a finite value; ``rho`` is ``None`` when it cannot be computed, and ``reason`` says why."""

    feature: str
    rho: float | None
    networks: int
    reason: str = ""

    def to_dict(self) -> dict:
        return dict(feature=self.feature, rho=self.rho, networks=self.networks, reason=self.reason)


def correlate_features(spectra, performance) -> list[FeatureCorrelation]:
    """Spearman rank correlation of each feature of :data:`neurodyn.features.FEATURES` with ``performance``.

    Networks whose feature (or performance) is not finite are left out of that feature's correlation. A feature
    gets ``rho=None`` with the reason when fewer than 3 networks have a finite value, when it takes the same value
    on all of them (e.g. no positive exponent anywhere), or when their performance is all the same.

    See also: :func:`neurodyn.features.feature_correlations` (the bare numbers).
    """
    from neurodyn import features as ft

    table = ft.features_table(spectra)
    perf = torch.as_tensor(performance, dtype=torch.float64)
    rho = ft.feature_correlations(table, perf)
    out = []
    for name in ft.FEATURES:
        values = table[name]
        ok = torch.isfinite(values) & torch.isfinite(perf)
        n = int(ok.sum())
        reason = ""
        if n < 3:
            reason = f"only {n} network(s) with a finite value (needs 3)"
        elif float(values[ok].max() - values[ok].min()) == 0:
            reason = f"the same value ({float(values[ok][0]):.4g}) for every network"
        elif float(perf[ok].max() - perf[ok].min()) == 0:
            reason = "every network has the same performance"
        elif not math.isfinite(rho[name]):
            reason = "undefined"
        out.append(FeatureCorrelation(name, None if reason else float(rho[name]), n, reason))
    return out
