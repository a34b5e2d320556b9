"""The largest Lyapunov exponent of random tanh networks across the gain, against mean-field theory."""

from __future__ import annotations

from dataclasses import dataclass, field

from neurodyn.lyapunov.maximal import max_lyapunov
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.results import Result, Status, to_jsonable

GAINS = (0.5, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0)


@dataclass(frozen=True, eq=False)
class GainScan(Result):
    """Measured and mean-field largest exponents of ``h[t+1] = tanh(W h[t])``, ``W_ij ~ N(0, g^2/n)``.

    Attributes:
        gains: the gains ``g``. spectra: the :func:`~neurodyn.max_lyapunov` result at each gain.
        mean_field: ``0.5 ln chi1`` at each gain (:func:`neurodyn.meanfield.rnn_max_lyapunov`), nats/step.
        n, steps: network size and measured steps.
        status: the first status among ``spectra`` that is not ok, else ``"ok"``.
    """

    gains: tuple[float, ...]
    spectra: tuple[LyapunovSpectrum, ...]
    mean_field: tuple[float, ...]
    n: int
    steps: int
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    @property
    def measured(self) -> list[float]:
        """The measured largest exponent at each gain (nats/step)."""
        return [r.maximal for r in self.spectra]

    @property
    def first_chaotic_gain(self) -> float | None:
        """The smallest gain tried whose measured exponent is positive (``None`` if none is)."""
        return next((g for g, v in zip(self.gains, self.measured, strict=True) if v > 0), None)

    def to_dict(self) -> dict:
        return to_jsonable({"g": list(self.gains), "measured": self.measured, "mean_field": list(self.mean_field),
                            "n": self.n, "steps": self.steps})

    def plot(self, ax=None):
        """Measured exponents over the mean-field curve, with the transition at ``g = 1``. Returns the axes."""
        import matplotlib.pyplot as plt

        from neurodyn.meanfield import rnn_max_lyapunov

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        fine = [0.3 + 0.02 * i for i in range(136)]
        ax.plot(fine, [rnn_max_lyapunov(g) for g in fine], color="k", lw=1, label="mean field")
        ax.plot(self.gains, self.measured, "o", color="tab:red", label=f"measured, n = {self.n}")
        ax.axhline(0, color="grey", lw=0.7)
        ax.axvline(1, color="grey", lw=0.7, ls=":")
        ax.set_xlabel("gain g")
        ax.set_ylabel("largest Lyapunov exponent (nats/step)")
        ax.legend()
        return ax


def random_rnn_gain_scan(n: int, *, gains=GAINS, steps: int = 1500, transient: int = 200, batch: int = 2,
                         seed: int = 0) -> GainScan:
    """The largest Lyapunov exponent of :func:`~neurodyn.random_tanh_rnn` ``(n, g, seed=seed)`` at each gain,
    by :func:`~neurodyn.max_lyapunov` (``steps`` measured steps after ``transient``, ``batch`` trajectories),
    beside the mean-field prediction ``0.5 ln chi1`` (Molgedey, Schuchhardt & Schuster 1992), which crosses zero
    at ``g = 1``.

    Returns:
        :class:`GainScan`.
    """
    from neurodyn.meanfield import rnn_max_lyapunov
    from neurodyn.systems import random_tanh_rnn

    gains = tuple(float(g) for g in gains)
    spectra = tuple(max_lyapunov(random_tanh_rnn(n, g, seed=seed), steps=steps, transient=transient, batch=batch,
                                 seed=seed) for g in gains)
    status = next((Status(r.status) for r in spectra if not Status(r.status).ok), Status.OK)
    return GainScan(gains=gains, spectra=spectra, mean_field=tuple(rnn_max_lyapunov(g) for g in gains), n=n,
                    steps=steps, status=status, settings=dict(transient=transient, batch=batch, seed=seed))
