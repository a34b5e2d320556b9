"""Explicit Runge–Kutta schemes as data (Butcher tableaux) and one stepper for all of them.

States are tuples of tensors (e.g. a state and its tangent frame), so the variational equation is
integrated with exactly the same scheme and stages as the state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction as F

import torch


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge–Kutta scheme: ``a`` strictly lower triangular, weights ``b``, nodes ``c``."""

    name: str
    order: int
    a: tuple[tuple[F, ...], ...]
    b: tuple[F, ...]
    c: tuple[F, ...]

    @property
    def stages(self) -> int:
        return len(self.b)


EULER = ButcherTableau("euler", 1, ((),), (F(1),), (F(0),))
MIDPOINT = ButcherTableau("midpoint", 2, ((), (F(1, 2),)), (F(0), F(1)), (F(0), F(1, 2)))
RK4 = ButcherTableau(
    "rk4", 4,
    ((), (F(1, 2),), (F(0), F(1, 2)), (F(0), F(0), F(1))),
    (F(1, 6), F(1, 3), F(1, 3), F(1, 6)),
    (F(0), F(1, 2), F(1, 2), F(1)),
)
RK38 = ButcherTableau(
    "rk38", 4,
    ((), (F(1, 3),), (F(-1, 3), F(1)), (F(1), F(-1), F(1))),
    (F(1, 8), F(3, 8), F(3, 8), F(1, 8)),
    (F(0), F(1, 3), F(2, 3), F(1)),
)
TABLEAUX = {t.name: t for t in (EULER, MIDPOINT, RK4, RK38)}

State = tuple[torch.Tensor, ...]


def rk_step(tab: ButcherTableau, f: Callable[[torch.Tensor, State], State], t, y: State, h: float) -> State:
    """One step of size ``h`` of ``dy/dt = f(t, y)`` for a tuple state ``y`` with scheme ``tab``."""
    ks: list[State] = []
    for i in range(tab.stages):
        yi = y
        for j, aij in enumerate(tab.a[i]):
            if aij:
                yi = tuple(s + (h * float(aij)) * kj for s, kj in zip(yi, ks[j], strict=True))
        ks.append(f(t + float(tab.c[i]) * h, yi))
    return _combine(y, ks, [h * float(bi) for bi in tab.b])


def _combine(y: State, ks: Sequence[State], weights: Sequence[float]) -> State:
    out = []
    for idx, s in enumerate(y):
        acc = s
        for w, k in zip(weights, ks, strict=True):
            if w:
                acc = acc + w * k[idx]
        out.append(acc)
    return tuple(out)
