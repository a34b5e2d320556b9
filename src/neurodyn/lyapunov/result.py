"""The :class:`LyapunovSpectrum` result."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status


@dataclass(frozen=True, eq=False)
class LyapunovSpectrum(Result):
    """Lyapunov exponents of a system, with their uncertainty and convergence history.

    Attributes:
        exponents: ``(k,)`` mean exponents over the batch, sorted descending, in ``units``.
        stderr: ``(k,)`` standard error: across the batch of trajectories/input sequences when it has
            two or more members, otherwise across 10 consecutive time blocks of one run.
        per_sample: ``(batch, k)`` the exponents of each trajectory.
        history: ``(records, k)`` running estimate (batch mean) during the measured part of the run.
        history_time: ``(records,)`` steps (maps) or time (flows) since the measurement began.
        drift: ``(k,)`` ``|estimate(T) - estimate(T/2)|``, the convergence diagnostic.
        status: a :class:`~neurodyn.Status`: ``"converged"`` (drift within 3 stderr or ``convergence_tol``),
            ``"unconverged"`` (the diagnostic ran and the estimate still drifts), ``"too short"`` (too few
            re-orthonormalisations for the diagnostic to judge) or ``"diverged"`` (only with
            ``strict=False``; then ``diverged_at`` holds the step). ``status.ok`` is false for all but
            the first.
        units: ``"nats/step"``, ``"bits/step"``, ``"nats/time"`` or ``"bits/time"``.
        system: the system's name; kind: ``"map"``, ``"flow"`` or ``"delay"`` (a :class:`~neurodyn.DelayFlow`,
            measured on its discretised history); method: ``"qr"`` or ``"jvp"``.
        settings: every setting that produced the result.
    """

    exponents: torch.Tensor
    stderr: torch.Tensor
    per_sample: torch.Tensor
    history: torch.Tensor
    history_time: torch.Tensor
    drift: torch.Tensor
    status: Status
    units: str
    system: str
    kind: str
    method: str
    settings: dict = field(default_factory=dict)
    diverged_at: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))  # a plain string becomes the enum member

    @property
    def maximal(self) -> float:
        """The largest exponent."""
        return float(self.exponents[0])

    @property
    def sum(self) -> float:
        """Sum of the exponents (for a full spectrum: the mean log volume growth rate)."""
        return float(self.exponents.sum())

    def kaplan_yorke_dimension(self) -> float:
        """``j + sum(l_1..l_j) / |l_{j+1}|`` with ``j`` the largest index whose partial sum is >= 0.

        Needs the spectrum down to where the partial sums turn negative; returns ``k`` if they never do.
        """
        lam = self.exponents.double()
        partial = torch.cumsum(lam, 0)
        nonneg = (partial >= 0).nonzero()
        if len(nonneg) == 0:
            return 0.0
        j = int(nonneg[-1]) + 1
        if j == len(lam):
            return float(j)
        return j + float(partial[j - 1]) / abs(float(lam[j]))

    def __repr__(self) -> str:
        ex = ", ".join(f"{v:.4f}" for v in self.exponents[:6].tolist())
        more = ", ..." if len(self.exponents) > 6 else ""
        return f"LyapunovSpectrum({self.system}: [{ex}{more}] {self.units}, status={self.status!r})"

    def plot(self, ax=None, *, kind: str | None = None):
        """Convergence of the running estimates (``kind="convergence"``, default for k <= 10) or the
        spectrum against its index with error bars (``kind="spectrum"``). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        k = len(self.exponents)
        kind = kind or ("convergence" if k <= 10 else "spectrum")
        if kind == "convergence":
            t = self.history_time.cpu().numpy()
            for i in range(k):
                ax.plot(t, self.history[:, i].cpu().numpy(), lw=1.2, label=f"λ{i + 1} = {self.exponents[i]:.4f}")
            ax.set_xlabel("step" if self.kind == "map" else "time")
            ax.set_ylabel(f"running estimate ({self.units})")
            ax.set_xscale("log")
            if k <= 10:
                ax.legend(fontsize=8)
        elif kind == "spectrum":
            idx = range(1, k + 1)
            ax.errorbar(idx, self.exponents.cpu().numpy(), yerr=self.stderr.cpu().numpy(), fmt="o", ms=3)
            ax.axhline(0, color="grey", lw=0.8)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_xlabel("index i")
            ax.set_ylabel(f"λ_i ({self.units})")
        else:
            raise InvalidInputError(f"kind must be 'convergence' or 'spectrum', got {kind!r}")
        ax.set_title(f"Lyapunov spectrum: {self.system}", fontsize=10)
        return ax
