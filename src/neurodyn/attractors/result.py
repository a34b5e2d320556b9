"""The results of an attractor search: :class:`Attractor` (one omega-limit set) and :class:`Attractors`."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn.continuation.orbits import PeriodicOrbit
from neurodyn.errors import InvalidInputError
from neurodyn.lyapunov import LyapunovSpectrum
from neurodyn.results import Result, ResultSequence, Status

STYLES = ("-", "--", ":", "-.")
COLOURS = {"equilibrium": "C0", "limit cycle": "C2", "torus": "C4", "chaotic": "C3", "unknown": "0.5"}


@dataclass(frozen=True, eq=False)
class Attractor(Result):
    """One attractor that some of the starts reach.

    Attributes:
        index: its place in :class:`Attractors`. kind: ``"equilibrium"``, ``"limit cycle"``, ``"torus"``,
            ``"chaotic"`` or ``"unknown"`` (see :mod:`neurodyn.attractors.classify`).
        status: ``"converged"`` when the signs of the spectrum decide the kind (each holding within ``sigmas``
            standard errors plus the estimate's drift); otherwise what is missing (``"unconverged"``, ``"too
            short"``, ``"diverged"``), with ``kind == "unknown"`` (also for trajectories that stop at a point that is
            not a stable equilibrium, and for groups beyond ``max_attractors``); a limit cycle without its periodic
            orbit is ``"too short"`` (no return in the window) or ``"failed"`` (shooting stopped above
            ``orbit_tol``), its kind kept. reason: why, in words.
        members: ``(m,)`` indices of the starts that reach it. basin_fraction: ``m / B`` of all ``B`` starts;
            basin_stderr: its binomial standard error ``sqrt(p (1 - p) / B)`` (the starts are the sample).
        exponents, stderr: ``(k,)`` its Lyapunov exponents (nats per time unit, descending) and their standard
            errors, from ``spectrum`` (``None`` when the run diverged before measuring; then both are empty).
        signs: one of ``+ 0 - ?`` per exponent. zero_tol: the band of exponents counted as zero (nats per time unit).
        point: ``(n,)`` an equilibrium's Newton-polished location (else ``None``); residual: ``|f(point)|``;
            eigenvalues: ``(n,)`` of the Jacobian there.
        orbit: a limit cycle's :class:`~neurodyn.PeriodicOrbit` (its own ``status`` says whether shooting converged;
            ``None`` for other kinds or when the recorded window held no return to estimate the period from).
        cloud: ``(p, n)`` recorded points on the attractor (one member's window, for plots). size: the diagonal of
            their bounding box (state units).
    """

    index: int
    kind: str
    status: Status
    reason: str
    members: torch.Tensor
    basin_fraction: float
    basin_stderr: float
    exponents: torch.Tensor
    stderr: torch.Tensor
    signs: str
    zero_tol: float
    spectrum: LyapunovSpectrum | None
    point: torch.Tensor | None
    residual: float | None
    eigenvalues: torch.Tensor | None
    orbit: PeriodicOrbit | None
    cloud: torch.Tensor
    size: float

    def __repr__(self) -> str:
        ex = ", ".join(f"{v:.4g}" for v in self.exponents[:4].tolist())
        return (f"Attractor({self.index}: {self.kind}, basin {self.basin_fraction:.3g} +- {self.basin_stderr:.2g}, "
                f"exponents [{ex}{', ...' if len(self.exponents) > 4 else ''}], status={self.status.value!r})")


@dataclass(frozen=True, eq=False)
class Attractors(Result, ResultSequence):
    """The attractors reached from a set of starts (a sequence of :class:`Attractor`, largest basin first).

    Attributes:
        attractors: the attractors. starts: ``(B, n)`` the starting states. labels: ``(B,)`` the attractor each start
            reaches (its index), -1 for an escaped start. escaped: ``(B,)`` bool, trajectories that left the escape
            radius or became non-finite; escaped_fraction: their share.
        status: ``"converged"`` when every attractor's is, ``"unconverged"`` when some attractor is undecided or
            lacks its periodic orbit, and ``"none found"`` when every trajectory escaped. system: the system's name.
            settings: every setting used.
    """

    items = "attractors"

    attractors: tuple
    starts: torch.Tensor
    labels: torch.Tensor
    escaped: torch.Tensor
    escaped_fraction: float
    status: Status
    system: str
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{a.kind} ({a.basin_fraction:.3g})" for a in self.attractors)
        return (f"Attractors({self.system}: [{kinds}], escaped {self.escaped_fraction:.3g}, "
                f"status={self.status.value!r})")

    def plot(self, ax=None, *, dims: tuple[int, ...] = (0, 1)):
        """The attractors projected on two (or, with three ``dims``, three) coordinates, coloured by kind, with the
        starts (small dots, in their attractor's colour) and each attractor's basin fraction in the legend; an
        equilibrium is a star, a limit cycle's periodic orbit a closed line, any other attractor one member's recorded
        window (attractors of one kind share a colour and differ in line style). Returns the axes."""
        import matplotlib.pyplot as plt

        if len(dims) not in (2, 3) or any(not 0 <= d < self.starts.shape[-1] for d in dims):
            raise InvalidInputError(f"dims must be 2 or 3 coordinates in [0, {self.starts.shape[-1]}), got {dims}")
        if ax is None:
            fig = plt.figure(figsize=(6, 5.5))
            ax = fig.add_subplot(projection="3d" if len(dims) == 3 else None)
        seen: dict[str, int] = {}
        for a in self.attractors:
            colour = COLOURS[a.kind]
            style = STYLES[seen.get(a.kind, 0) % len(STYLES)]  # attractors of one kind: one colour, own line style
            seen[a.kind] = seen.get(a.kind, 0) + 1
            pts = self.starts[a.members][:, list(dims)].T
            ax.scatter(*pts, s=4, color=colour, alpha=0.25)
            label = f"{a.index}: {a.kind}, basin {a.basin_fraction:.3g}" + ("" if a.status.ok else f" ({a.status})")
            if a.point is not None:
                ax.scatter(*a.point[list(dims)].unsqueeze(-1), marker="*", s=160, color=colour, edgecolor="k",
                           label=label, zorder=5)
            elif a.orbit is not None:
                ax.plot(*a.orbit.orbit[:, list(dims)].T, color=colour, lw=2, ls=style, label=label)
            else:
                ax.plot(*a.cloud[:, list(dims)].T, color=colour, lw=0.6, ls=style, label=label)
        if bool(self.escaped.any()):
            ax.scatter(*self.starts[self.escaped][:, list(dims)].T, s=4, color="k", marker="x",
                       label=f"escaped {self.escaped_fraction:.3g}")
        ax.set_xlabel(f"x{dims[0] + 1}")
        ax.set_ylabel(f"x{dims[1] + 1}")
        if len(dims) == 3:
            ax.set_zlabel(f"x{dims[2] + 1}")
        ax.legend(fontsize=8)
        ax.set_title(f"Attractors of {self.system}", fontsize=10)
        return ax
