"""The reference backend: arrays of Arb balls (python-flint) at any precision, with the same small interface as
:class:`neurodyn.validated.balls.Ball` so every proof is written once for both.

Arb's ball arithmetic is rigorous by construction (every operation returns a ball containing the exact result,
including its elementary functions); products of matrices use ``arb_mat``. Slow next to the fast backend
(``O(n^3)`` Python-free but multi-precision operations), it is the reference the fast backend is tested against
and a way to prove what float64 enclosures cannot resolve.
"""

from __future__ import annotations

import numpy as np
from flint import arb, arb_mat, ctx

from neurodyn.validated.balls import sum_upper


def float_up(a: arb) -> float:
    """The smallest float not below any point of the ball ``a`` (found exactly by Arb's comparisons)."""
    f = float(a.upper())
    for _ in range(64):  # the conversion is off by an ulp or two at most
        if np.isnan(f) or f == np.inf:
            return np.inf  # an unbounded (or NaN) ball: no finite bound exists
        if arb(f) >= a:
            return f
        f = float(np.nextafter(f, np.inf))
    return np.inf


def float_down(a: arb) -> float:
    return -float_up(-a)


def tanh(v: arb) -> arb:
    """``tanh`` of a ball from its two endpoints (tanh is increasing): as tight as the endpoints allow for any
    width, where Arb's own ``tanh`` of a wide ball is loose (or NaN beyond a radius of a few tens)."""
    if v.rad() == 0:
        return v.tanh()
    return v.lower().tanh().union(v.upper().tanh())


class ArbArray:
    """An array of Arb balls at ``prec`` bits (a numpy object array underneath)."""

    __array_ufunc__ = None

    def __init__(self, entries, prec: int):
        self.a = np.asarray(entries, dtype=object)
        self.prec = int(prec)

    @classmethod
    def point(cls, x, prec: int) -> ArbArray:
        x = np.asarray(x, dtype=np.float64)
        return cls(np.frompyfunc(arb, 1, 1)(x) if x.ndim else arb(float(x)), prec)

    @classmethod
    def ball(cls, mid, rad, prec: int) -> ArbArray:
        mid = np.asarray(mid, dtype=np.float64)
        rad = np.broadcast_to(np.asarray(rad, dtype=np.float64), mid.shape)
        return cls(np.frompyfunc(lambda m, r: arb(m, r), 2, 1)(mid, rad), prec)

    shape = property(lambda self: self.a.shape)
    ndim = property(lambda self: self.a.ndim)
    T = property(lambda self: ArbArray(self.a.T, self.prec))

    def __getitem__(self, index) -> ArbArray:
        return ArbArray(self.a[index], self.prec)

    def __len__(self) -> int:
        return len(self.a)

    def __repr__(self) -> str:
        return f"ArbArray(shape={self.shape}, prec={self.prec})"

    @property
    def mid(self) -> np.ndarray:
        return np.frompyfunc(lambda v: float(v.mid()), 1, 1)(self.a).astype(np.float64)

    def abs_upper(self) -> np.ndarray:
        return np.frompyfunc(lambda v: float_up(v.abs_upper()), 1, 1)(self.a).astype(np.float64)

    def upper(self) -> np.ndarray:
        return np.frompyfunc(float_up, 1, 1)(self.a).astype(np.float64)

    def lower(self) -> np.ndarray:
        return np.frompyfunc(float_down, 1, 1)(self.a).astype(np.float64)

    def map(self, fn) -> ArbArray:
        with ctx.workprec(self.prec):
            return ArbArray(np.frompyfunc(fn, 1, 1)(self.a), self.prec)

    def _other(self, other) -> np.ndarray:
        return other.a if isinstance(other, ArbArray) else ArbArray.point(other, self.prec).a

    def _binary(self, other, op) -> ArbArray:
        with ctx.workprec(self.prec):
            return ArbArray(op(self.a, self._other(other)), self.prec)

    def __neg__(self):
        return ArbArray(-self.a, self.prec)

    def __add__(self, other):
        return self._binary(other, lambda x, y: x + y)

    __radd__ = __add__

    def __sub__(self, other):
        return self._binary(other, lambda x, y: x - y)

    def __rsub__(self, other):
        return self._binary(other, lambda x, y: y - x)

    def __mul__(self, other):
        return self._binary(other, lambda x, y: x * y)

    __rmul__ = __mul__

    def __matmul__(self, other):
        return _matmul(self.a, self._other(other), self.prec)

    def __rmatmul__(self, other):
        return _matmul(self._other(other), self.a, self.prec)


def _matmul(x: np.ndarray, y: np.ndarray, prec: int) -> ArbArray:
    vec_x, vec_y = x.ndim == 1, y.ndim == 1
    X = x[None, :] if vec_x else x
    Y = y[:, None] if vec_y else y
    with ctx.workprec(prec):
        P = arb_mat(X.tolist()) * arb_mat(Y.tolist())
    out = np.empty((P.nrows(), P.ncols()), dtype=object)
    out[:, :] = P.tolist() if P.nrows() and P.ncols() else out
    if vec_x:
        out = out[0]
    if vec_y:
        out = out[..., 0]
    return ArbArray(out, prec)


def block(rows: list[list], prec: int) -> ArbArray:
    rows = [[x.a if isinstance(x, ArbArray) else ArbArray.point(x, prec).a for x in row] for row in rows]
    return ArbArray(np.block(rows), prec)


def concatenate(parts: list, prec: int) -> ArbArray:
    return ArbArray(np.concatenate([x.a if isinstance(x, ArbArray) else ArbArray.point(x, prec).a
                                    for x in parts]), prec)


def norm_inf_upper(x: ArbArray) -> float:
    a = x.abs_upper()
    return float(np.max(sum_upper(a, axis=-1) if a.ndim == 2 else a, initial=0.0))
