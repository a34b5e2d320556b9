"""The FTLE study of a trained 2-D neural-ODE classifier: the FTLE map, its link to the decision boundary and
the field's long-time Lyapunov spectrum, in one result (used by ``neurodyn ftle`` and the demo's report)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_int
from neurodyn._settings import with_options
from neurodyn.classifier.boundary import BoundaryLink, ftle_boundary_link
from neurodyn.errors import InvalidInputError
from neurodyn.lyapunov.ftle import FTLEField
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.results import Result, to_jsonable


@dataclass(frozen=True, eq=False)
class ClassifierFTLE(Result):
    """``accuracy`` on the test data; ``field``: FTLEs on a grid over the data; ``link``: FTLE against the
    decision boundary on the test inputs; ``long_time``: Lyapunov spectrum of the field over long times;
    ``seconds``: wall time of each part."""

    accuracy: float
    field: FTLEField
    link: BoundaryLink
    long_time: LyapunovSpectrum
    seconds: dict
    settings: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The headline numbers, JSON-safe (no per-point arrays)."""
        m = self.field.maximal
        return to_jsonable(dict(
            accuracy=self.accuracy, grid_points=len(m), horizon=self.field.horizon, units=self.field.units,
            ftle_min=float(m.min()), ftle_median=float(m.median()), ftle_max=float(m.max()),
            boundary_eps=self.link.eps, near_boundary=int((self.link.distance < self.link.eps).sum()),
            test_points=len(self.link.ftle), auc=self.link.auc,
            spearman_ftle_vs_pgd_radius=self.link.spearman if self.link.perturbation is not None else None,
            long_time_exponents=self.long_time.exponents, long_time_units=self.long_time.units,
            long_time_status=self.long_time.status, seconds=self.seconds, settings=self.settings))

    def plot(self, axes=None, *, model=None, data=None):
        """Two panels: the FTLE map (with ``model``'s decision boundary and ``data`` if given) and FTLE against
        the distance to the boundary. Returns the axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(12, 4.8))
        self.field.plot(ax=axes[0], classifier=model, data=data)
        self.link.plot(ax=axes[1])
        return axes


@dataclass(frozen=True)
class StudySettings:
    """Sizes of :func:`classifier_ftle_study` (each is also a keyword of it, replacing the field).

    Attributes:
        grid: the FTLE map has ``grid x grid`` points over the data's bounding box (default 200), widened by
            ``pad`` (input units, default 0.3) on every side.
        attack: run the PGD attack of :func:`~neurodyn.ftle_boundary_link` (default ``True``).
        lyapunov_time, lyapunov_points: measured time of the long-time spectrum (default 100 time units), from
            this many test inputs (default 16).
        link_points: the boundary link (and the attack) uses the first ``link_points`` test inputs (default all).
        pgd_steps, radius_bisections: the attack's steps per radius (default 20) and bisections of the radius
            (default 12) (see :func:`~neurodyn.ftle_boundary_link`).
    """

    grid: int = 200
    pad: float = 0.3
    attack: bool = True
    lyapunov_time: float = 100.0
    lyapunov_points: int = 16
    link_points: int | None = None
    pgd_steps: int = 20
    radius_bisections: int = 12


def classifier_ftle_study(model, X_test, y_test, *, settings: StudySettings | None = None,
                          **options) -> ClassifierFTLE:
    """FTLE map, boundary link and long-time exponents of a :class:`~neurodyn.models.NeuralODEClassifier` on
    2-D inputs: :meth:`~neurodyn.models.NeuralODEClassifier.ftle` on a grid over the data,
    :func:`~neurodyn.ftle_boundary_link` on the test inputs, and
    :meth:`~neurodyn.models.NeuralODEClassifier.long_time_lyapunov` from the first test inputs.

    Args:
        model: the classifier (not modified). X_test, y_test: labelled inputs ``(P, 2)``, ``(P,)``.
        settings: a :class:`StudySettings` (``grid``, ``pad``, ``attack``, ``lyapunov_time``, ``lyapunov_points``,
            ``link_points``, ``pgd_steps``, ``radius_bisections``); its fields are also keywords.

    Returns:
        :class:`ClassifierFTLE` with the wall time of each part.
    """
    s = with_options(StudySettings, settings, options, "classifier_ftle_study",
                     arguments=("model", "X_test", "y_test", "settings"))
    X = torch.as_tensor(X_test, dtype=torch.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(y_test) != len(X):
        raise InvalidInputError(f"X_test must be (P, 2) with P labels; got {tuple(X.shape)} and {len(y_test)} labels")
    grid = positive_int(s.grid, name="grid", minimum=2)
    lo, hi = X.min(0).values - s.pad, X.max(0).values + s.pad
    axes = [torch.linspace(float(lo[i]), float(hi[i]), grid, dtype=torch.float64) for i in range(2)]
    pts = torch.stack(torch.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)
    seconds = {}
    t0 = time.perf_counter()
    field_ = model.ftle(pts)
    seconds["ftle_grid"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    on = X if s.link_points is None else X[:positive_int(s.link_points, name="link_points", minimum=2)]
    link = ftle_boundary_link(model, model.ftle(on), attack=s.attack, pgd_steps=s.pgd_steps,
                              radius_bisections=s.radius_bisections)
    seconds["boundary_link"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    long_time = model.long_time_lyapunov(X[:positive_int(s.lyapunov_points, name="lyapunov_points")],
                                         t=s.lyapunov_time)
    seconds["long_time_lyapunov"] = time.perf_counter() - t0
    with torch.no_grad():
        param = next(model.parameters())
        accuracy = float((model(X.to(param.dtype)).argmax(-1) == torch.as_tensor(y_test)).double().mean())
    return ClassifierFTLE(accuracy=accuracy, field=field_, link=link, long_time=long_time, seconds=seconds,
                          settings=dict(grid=grid, pad=s.pad, attack=s.attack, lyapunov_time=s.lyapunov_time,
                                        lyapunov_points=s.lyapunov_points, link_points=len(on),
                                        pgd_steps=s.pgd_steps, radius_bisections=s.radius_bisections, t=model.t,
                                        steps=model.steps, method=model.method))
