"""The :class:`Proof` result: what was proved, with every bound kept as a rigorous interval."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

import numpy as np
import torch

from neurodyn.results import Result, ResultSequence, Status, to_jsonable

_UP, _DOWN = Context(prec=17, rounding=ROUND_CEILING), Context(prec=17, rounding=ROUND_FLOOR)


def decimal_up(x: float, digits: int = 17) -> str:
    """A decimal string (``digits`` significant digits) not below ``x``."""
    ctx = _UP if digits == 17 else Context(prec=digits, rounding=ROUND_CEILING)
    return str(ctx.plus(Decimal(float(x)))) if math.isfinite(x) else str(x)


def decimal_down(x: float, digits: int = 17) -> str:
    """A decimal string (``digits`` significant digits) not above ``x``."""
    ctx = _DOWN if digits == 17 else Context(prec=digits, rounding=ROUND_FLOOR)
    return str(ctx.plus(Decimal(float(x)))) if math.isfinite(x) else str(x)


def interval_json(lo: float, hi: float) -> dict:
    return {"lower": decimal_down(lo), "upper": decimal_up(hi)}


@dataclass(frozen=True, eq=False)
class Proof(Result):
    """A computer-assisted proof (or an honest failure to prove).

    Attributes:
        kind: ``"equilibrium"``, ``"stability"`` or ``"hopf"``.
        proved: True only when every inequality of the argument was verified rigorously.
        statement: the theorem, in words, with its numbers (or, when not proved, what was attempted).
        reason: empty when proved; otherwise the bound that failed and by how much.
        conclusion: ``"exists"`` (equilibrium), ``"stable"``/``"unstable"``/``"undecided"`` (stability),
            ``"supercritical"``/``"subcritical"``/``"undecided"`` (Hopf).
        center: the float point the proof is built around (``(n,)``: the equilibrium's approximation).
        radius: ``r_min``, the zero lies within this distance (max norm) of ``center`` (of the full unknown,
            including parameter, frequency and eigenvector for a Hopf proof).
        uniqueness_radius: ``r_max``, the zero is the only one within this distance.
        bounds: named rigorous intervals ``(lower, upper)`` as floats (``Y``, ``Z``, the parameter, ``omega``,
            ``l1``, the spectral abscissa, ...). ``to_dict`` writes them as outward-rounded decimal strings.
        eigenvalues: Gershgorin discs enclosing the Jacobian's spectrum, ``(k, 3)``: real and imaginary part of
            each centre and an upper bound of its radius (empty when not computed).
        backend: the interval backend (``fast`` or ``arb(<bits>)``); seconds: wall time.
    """

    kind: str
    proved: bool
    statement: str
    reason: str
    conclusion: str
    center: torch.Tensor
    radius: float
    uniqueness_radius: float
    bounds: dict = field(default_factory=dict)
    eigenvalues: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    backend: str = "fast"
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def status(self) -> Status:
        """``Status.PROVED`` when every inequality was verified, else ``Status.NOT_PROVED`` (see ``reason``)."""
        return Status.PROVED if self.proved else Status.NOT_PROVED

    def __repr__(self) -> str:
        status = "proved" if self.proved else f"NOT proved ({self.reason})"
        return f"Proof({self.kind}, {status}: {self.statement})"

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["status"] = self.status.value
        out["radius"] = decimal_up(self.radius)
        out["uniqueness_radius"] = decimal_down(self.uniqueness_radius)
        out["bounds"] = {k: interval_json(*v) for k, v in self.bounds.items()}
        out["eigenvalues"] = [{"center": {"real": repr(float(c_re)), "imag": repr(float(c_im))},
                               "radius": decimal_up(r)} for c_re, c_im, r in self.eigenvalues]
        out["center"] = [repr(float(v)) for v in to_jsonable(self.center)]
        return out

    def plot(self, ax=None):
        """The Gershgorin discs that enclose the spectrum (with the imaginary axis), or, without eigenvalues, the
        radius interval ``[r_min, r_max]`` of existence and uniqueness."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Circle

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 4.5))
        if len(self.eigenvalues):
            for re, im, r in self.eigenvalues:
                ax.add_patch(Circle((re, im), r, fill=False, color="C0" if re + r < 0 else
                                    ("C3" if re - r > 0 else "C1")))
            ax.plot(self.eigenvalues[:, 0], self.eigenvalues[:, 1], "k.", ms=3)
            ax.axvline(0.0, color="k", lw=0.8)
            ax.set_xlabel("Re λ")
            ax.set_ylabel("Im λ")
            ax.set_title(f"{self.kind}: {self.conclusion}" + ("" if self.proved else " (not proved)"))
        else:
            ax.semilogx([self.radius, self.uniqueness_radius], [0, 0], "C0-", lw=6)
            ax.set_yticks([])
            ax.set_xlabel("radius (max norm)")
            ax.set_title("existence (left end) and uniqueness (right end)" if self.proved else "not proved")
        return ax


@dataclass(frozen=True, eq=False)
class Proofs(Result, ResultSequence):
    """Several proofs of one kind (e.g. from :func:`neurodyn.validated.prove_hopf_points`): a sequence of
    :class:`Proof` (``len``, iteration, indexing) with a status, ``to_dict``/``save_json`` and ``plot``.

    Attributes:
        kind: the proofs' kind. proofs: the :class:`Proof` s. status: ``"proved"`` when every one is proved (and
            there is at least one), ``"not proved"`` when one is not, ``"none found"`` for none.
    """

    items = "proofs"

    kind: str
    proofs: tuple
    status: Status

    @classmethod
    def of(cls, proofs, *, kind: str) -> Proofs:
        proofs = tuple(proofs)
        status = (Status.NONE_FOUND if not proofs else
                  Status.PROVED if all(p.proved for p in proofs) else Status.NOT_PROVED)
        return cls(kind=kind, proofs=proofs, status=status)

    def __repr__(self) -> str:
        return (f"Proofs({self.kind}: {sum(p.proved for p in self.proofs)} of {len(self)} proved, "
                f"status={self.status.value!r})")

    def plot(self, ax=None):
        """For Hopf proofs, the proven frequency interval against the proven parameter interval of each point
        (boxes, coloured by conclusion; unproved points are not drawn); otherwise each proof's radius. Returns the
        axes."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        colours = {"supercritical": "C0", "subcritical": "C3", "stable": "C0", "unstable": "C3", "exists": "C0"}
        for k, p in enumerate(self.proofs):
            param = p.settings.get("param")
            if not p.proved:
                continue
            if self.kind == "hopf" and param in p.bounds:
                (a0, a1), (w0, w1) = p.bounds[param], p.bounds["omega"]
                ax.add_patch(Rectangle((a0, w0), a1 - a0, w1 - w0, color=colours.get(p.conclusion, "0.5")))
                ax.plot(0.5 * (a0 + a1), 0.5 * (w0 + w1), "o", color=colours.get(p.conclusion, "0.5"), ms=4)
            else:
                ax.semilogy(k, p.radius, "o", color=colours.get(p.conclusion, "0.5"))
        ax.set_xlabel("parameter" if self.kind == "hopf" else "proof")
        ax.set_ylabel("omega" if self.kind == "hopf" else "radius")
        ax.set_title(f"{self.kind} proofs: {sum(p.proved for p in self.proofs)} of {len(self)} proved", fontsize=10)
        return ax
