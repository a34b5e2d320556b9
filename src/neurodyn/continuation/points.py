"""The results of Hopf-point searches: :class:`HopfPoint` and the collection :class:`HopfPoints`."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn.results import Result, ResultSequence, Status

KIND_COLOURS = {"supercritical": "C0", "subcritical": "C3", "degenerate": "0.5"}


@dataclass(frozen=True, eq=False)
class HopfPoint(Result):
    """A Hopf point ``(x*, alpha*)``: ``F(x*, alpha*) = 0`` and ``J(x*, alpha*) q = i omega q``.

    Attributes:
        param: the parameter's name; value: ``alpha*``. x: ``(n,)`` the equilibrium.
        omega: the angular frequency (> 0, radians per unit time) of the eigenpair on the imaginary axis.
        q: ``(n,)`` complex critical eigenvector, ``J q = i omega q``, normalised ``q^H q = 1`` with
            ``Re(q) . Im(q) = 0`` and ``|Re(q)| >= |Im(q)|`` (fixes the phase).
        l1: the first Lyapunov coefficient in Kuznetsov's normalisation (``q^H q = 1``, ``p^H q = 1``): < 0 a
            supercritical Hopf (a stable cycle is born), > 0 subcritical. Its sign does not depend on the
            normalisation; its size scales with ``|q|^2``.
        kind: "supercritical", "subcritical" or "degenerate" (``|l1|`` below ``1e-10``).
        residual: ``|F|`` and ``|J q - i omega q|`` at the solution (max of the two).
        crossing: ``d Re(mu)/d alpha`` of the critical eigenvalue (transversality; 0 means degenerate).
    """

    param: str
    value: float
    x: torch.Tensor
    omega: float
    q: torch.Tensor
    l1: float
    kind: str
    residual: float
    crossing: float
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"HopfPoint({self.param} = {self.value:.10g}, omega = {self.omega:.6g}, l1 = {self.l1:.4g} "
                f"({self.kind}), |x| = {float(self.x.norm()):.3g})")

    def plot(self, ax=None):
        """The critical eigenvector's components ``q_k`` as phasors in the complex plane: the relative amplitude
        and phase of each coordinate in the small oscillation ``x* + 2 rho Re(q e^{i omega t})`` born here.
        Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        q = self.q.detach().cpu()
        for k, z in enumerate(q.tolist()):
            ax.plot([0.0, z.real], [0.0, z.imag], color=KIND_COLOURS[self.kind], lw=1)
            if len(q) <= 20:
                ax.annotate(f"x{k + 1}", (z.real, z.imag), fontsize=7)
        ax.plot(0.0, 0.0, "k.", ms=3)
        ax.set_aspect("equal")
        ax.set_xlabel("Re q")
        ax.set_ylabel("Im q")
        ax.set_title(f"Hopf point at {self.param} = {self.value:.6g}, omega = {self.omega:.4g} ({self.kind})",
                     fontsize=9)
        return ax




@dataclass(frozen=True, eq=False)
class HopfPoints(Result, ResultSequence):
    """The Hopf points found by :func:`neurodyn.find_hopf_points`, sorted by parameter value: a sequence
    (``len``, iteration, indexing; a slice gives a tuple) with a status, ``to_dict``/``save_json`` and ``plot``.

    Attributes:
        param: the parameter's name. points: the :class:`HopfPoint` s. status: ``"ok"`` or ``"none found"``.
        system: the system's name. settings: the search's arguments.
    """

    items = "points"

    param: str
    points: tuple
    status: Status
    system: str
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{h.kind} at {h.value:.6g}" for h in self.points[:6]) or "none"
        more = f", ... ({len(self)} in all)" if len(self) > 6 else ""
        return f"HopfPoints({self.system}, {self.param}: {kinds}{more}, status={self.status.value!r})"

    def plot(self, ax=None):
        """Frequency ``omega`` against the parameter value of each point, coloured by criticality. Returns the
        axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        for kind, colour in KIND_COLOURS.items():
            sel = [(h.value, h.omega) for h in self.points if h.kind == kind]
            if sel:
                ax.plot(*zip(*sel, strict=True), "o", color=colour, ms=5, label=f"{kind} ({len(sel)})")
        ax.set_xlabel(self.param)
        ax.set_ylabel("omega (radians per unit time)")
        ax.set_title(f"Hopf points of {self.system}", fontsize=10)
        if self.points:
            ax.legend(fontsize=8)
        return ax
