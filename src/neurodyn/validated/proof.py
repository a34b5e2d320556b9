"""The :class:`Proof` result: what was proved, with every bound kept as a rigorous interval."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

import numpy as np
import torch

from neurodyn.results import Result, to_jsonable

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

    def __repr__(self) -> str:
        status = "proved" if self.proved else f"NOT proved ({self.reason})"
        return f"Proof({self.kind}, {status}: {self.statement})"

    def to_dict(self) -> dict:
        out = super().to_dict()
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
