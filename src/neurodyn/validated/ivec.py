"""Batched interval arrays for rigorous integration: one small interface, two implementations.

:class:`FastIV` holds float64 midpoint-radius arrays (numpy, vectorised over any leading batch dimensions) and
rounds outward with the a-priori bounds of :mod:`neurodyn.validated.balls` (``upper``: a non-negative float
expression evaluated with ``k`` roundings, ``gamma(k)`` for products); its ``tanh`` is an elementwise rigorous
float64 evaluation (:func:`neurodyn.validated.elementary.tanh_bounds`), so no elementary function of the
platform's libm is trusted.
:class:`ArbIV` holds numpy object arrays of Arb balls (python-flint) at ``prec`` bits, the reference.

Both support ``+ - *`` (with broadcasting), ``@`` (batched, numpy's ``matmul`` rules), ``div(k)`` (by a positive
integer), ``tanh()``, indexing, ``.mid``, ``.rad`` (certain upper bounds of the radii), ``lower()``/``upper()``
and ``abs_upper()`` (certain float bounds), ``hull(other)`` and ``inside(other)`` (elementwise containment).
:class:`Arith` makes them from floats.
"""

from __future__ import annotations

import numpy as np
from flint import arb, ctx

from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.balls import U, gamma, upper
from neurodyn.validated.elementary import tanh_bounds


class FastIV:
    """float64 intervals ``|x - mid| <= rad`` (see the module docstring)."""

    __array_ufunc__ = None

    def __init__(self, mid, rad):
        self.mid, self.rad = mid, rad
        self._terms = self._left = self._right = None

    def product_terms(self):
        """``(|mid|, rad + G |mid|, |mid| + rad)`` with ``G = gamma(DOT_MAX)``, the factors of this array's radius
        terms in :func:`dot` and :func:`matdot`, formed once (an array of Taylor coefficients enters many sums;
        its arrays are never changed in place)."""
        if self._terms is None:
            am = np.abs(self.mid)
            self._terms = (am, self.rad + _G_DOT * am, am + self.rad)
        return self._terms

    def left_terms(self, m: int):
        """``(mid, |mid|, rad)`` of this ``(..., n, q)`` array repeated to ``(..., n, q, m)`` (contiguous: the
        left factor's entries of :func:`matdot`'s products, formed once)."""
        if self._left is None or self._left[0].shape[-1] != m:
            am = self.product_terms()[0]
            self._left = tuple(np.ascontiguousarray(np.broadcast_to(v[..., None], v.shape + (m,)))
                               for v in (self.mid, am, self.rad))
        return self._left

    def right_terms(self, n: int):
        """``(mid, rad + G |mid|, |mid| + rad)`` of this ``(..., q, m)`` array repeated to ``(..., n, q, m)``
        (the right factor's entries of :func:`matdot`'s products, formed once)."""
        if self._right is None or self._right[0].shape[-3] != n:
            _, cg, bs = self.product_terms()
            shape = self.shape[:-2] + (n,) + self.shape[-2:]
            self._right = tuple(np.ascontiguousarray(np.broadcast_to(v[..., None, :, :], shape))
                                for v in (self.mid, cg, bs))
        return self._right

    shape = property(lambda self: self.mid.shape)
    ndim = property(lambda self: self.mid.ndim)
    mT = property(lambda self: FastIV(np.swapaxes(self.mid, -1, -2), np.swapaxes(self.rad, -1, -2)))

    def __getitem__(self, index) -> FastIV:
        return FastIV(self.mid[index], self.rad[index])

    def reshape(self, *shape) -> FastIV:
        return FastIV(self.mid.reshape(*shape), self.rad.reshape(*shape))

    def broadcast_to(self, shape) -> FastIV:
        """The same intervals repeated to ``shape`` (contiguous: products with arrays of that shape run faster than
        broadcasting ones)."""
        return FastIV(np.ascontiguousarray(np.broadcast_to(self.mid, shape)),
                      np.ascontiguousarray(np.broadcast_to(self.rad, shape)))

    def _of(self, other) -> FastIV:
        if isinstance(other, FastIV):
            return other
        other = np.asarray(other, dtype=np.float64)
        return FastIV(other, np.zeros(other.shape))

    def __neg__(self) -> FastIV:
        return FastIV(-self.mid, self.rad)

    def __add__(self, other) -> FastIV:
        other = self._of(other)
        mid = self.mid + other.mid
        return FastIV(mid, upper(self.rad + other.rad + U * np.abs(mid), 3))

    __radd__ = __add__

    def __sub__(self, other) -> FastIV:
        return self + (-self._of(other))

    def __rsub__(self, other) -> FastIV:
        return self._of(other) + (-self)

    def __mul__(self, other) -> FastIV:
        if isinstance(other, (int, float)):  # a float scalar (exact): the general bound without its zero terms
            mid = self.mid * other
            return FastIV(mid, upper(self.rad * abs(other) + U * np.abs(mid), 5))
        other = self._of(other)
        mid = self.mid * other.mid
        rad = np.abs(self.mid) * other.rad + self.rad * (np.abs(other.mid) + other.rad) + U * np.abs(mid)
        return FastIV(mid, upper(rad, 5))

    __rmul__ = __mul__

    def __matmul__(self, other) -> FastIV:
        return _fast_matmul(self, self._of(other))

    def __rmatmul__(self, other) -> FastIV:
        return _fast_matmul(self._of(other), self)

    def div(self, k: int) -> FastIV:
        """``x / k`` for a positive integer ``k``."""
        mid = self.mid / k
        return FastIV(mid, upper(self.rad / k + U * np.abs(mid), 2))

    def tanh(self) -> FastIV:
        return FastIV.from_bounds(*tanh_bounds(self.lower(), self.upper()))

    @staticmethod
    def from_bounds(lo: np.ndarray, hi: np.ndarray) -> FastIV:
        mid = 0.5 * (lo + hi)
        return FastIV(mid, upper(np.maximum(hi - mid, mid - lo), 1))

    def lower(self) -> np.ndarray:
        return np.nextafter(self.mid - self.rad, -np.inf)

    def upper(self) -> np.ndarray:
        return np.nextafter(self.mid + self.rad, np.inf)

    def abs_upper(self) -> np.ndarray:
        return upper(np.abs(self.mid) + self.rad, 1)

    def hull(self, other: FastIV) -> FastIV:
        return FastIV.from_bounds(np.minimum(self.lower(), other.lower()), np.maximum(self.upper(), other.upper()))

    def inside(self, other: FastIV) -> np.ndarray:
        """Elementwise: this interval lies in ``other`` (NaN compares false)."""
        return (self.lower() >= other.lower()) & (self.upper() <= other.upper())

    def widen(self, factor: float, extra: np.ndarray | float) -> FastIV:
        """The same midpoints with radii ``factor * rad + extra`` (a larger set)."""
        return FastIV(self.mid, upper(factor * self.rad + extra, 2))

    def finite(self) -> np.ndarray:
        return np.isfinite(self.mid) & np.isfinite(self.rad)


def _fast_matmul(a: FastIV, b: FastIV) -> FastIV:
    k = a.mid.shape[-1]
    mid = a.mid @ b.mid
    abs_b = np.abs(b.mid)
    rad = np.abs(a.mid) @ (b.rad + gamma(k) * abs_b)
    if a.rad.any():  # a point matrix (the weights, usually) adds nothing here
        rad = rad + a.rad @ (abs_b + b.rad)
    return FastIV(mid, upper(rad, k + 6))


class ArbIV:
    """Arb balls at ``prec`` bits in a numpy object array (the same interface as :class:`FastIV`)."""

    __array_ufunc__ = None

    def __init__(self, a: np.ndarray, prec: int):
        self.a, self.prec = a, prec

    shape = property(lambda self: self.a.shape)
    ndim = property(lambda self: self.a.ndim)
    mT = property(lambda self: ArbIV(np.swapaxes(self.a, -1, -2), self.prec))

    def __getitem__(self, index) -> ArbIV:
        return ArbIV(_objects(self.a[index]), self.prec)

    def reshape(self, *shape) -> ArbIV:
        return ArbIV(self.a.reshape(*shape), self.prec)

    def broadcast_to(self, shape) -> ArbIV:
        return ArbIV(np.broadcast_to(self.a, shape).copy(), self.prec)

    def _of(self, other) -> np.ndarray:
        if isinstance(other, ArbIV):
            return other.a
        return _objects(np.frompyfunc(arb, 1, 1)(np.asarray(other, dtype=np.float64)))

    def _op(self, fn, *args) -> ArbIV:
        with ctx.workprec(self.prec):
            return ArbIV(_objects(fn(*args)), self.prec)

    def __neg__(self) -> ArbIV:
        return ArbIV(-self.a, self.prec)

    def __add__(self, other):
        return self._op(np.add, self.a, self._of(other))

    __radd__ = __add__

    def __sub__(self, other):
        return self._op(np.subtract, self.a, self._of(other))

    def __rsub__(self, other):
        return self._op(np.subtract, self._of(other), self.a)

    def __mul__(self, other):
        return self._op(np.multiply, self.a, self._of(other))

    __rmul__ = __mul__

    def __matmul__(self, other):
        return self._op(np.matmul, self.a, self._of(other))

    def __rmatmul__(self, other):
        return self._op(np.matmul, self._of(other), self.a)

    def div(self, k: int) -> ArbIV:
        return self._op(lambda x: x / arb(k), self.a)

    def tanh(self) -> ArbIV:
        def one(v: arb) -> arb:
            return v.tanh() if v.rad() == 0 else v.lower().tanh().union(v.upper().tanh())
        return self._op(np.frompyfunc(one, 1, 1), self.a)

    @property
    def mid(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(lambda v: float(v.mid()), 1, 1)(self.a), dtype=np.float64)

    @property
    def rad(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(lambda v: float_up(v.rad()), 1, 1)(self.a), dtype=np.float64)

    def lower(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(float_down, 1, 1)(self.a), dtype=np.float64)

    def upper(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(float_up, 1, 1)(self.a), dtype=np.float64)

    def abs_upper(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(lambda v: float_up(v.abs_upper()), 1, 1)(self.a), dtype=np.float64)

    def hull(self, other: ArbIV) -> ArbIV:
        return self._op(np.frompyfunc(lambda x, y: x.union(y), 2, 1), self.a, other.a)

    def inside(self, other: ArbIV) -> np.ndarray:
        return np.asarray(np.frompyfunc(lambda x, y: bool(y.contains(x)), 2, 1)(self.a, other.a), dtype=bool)

    def widen(self, factor: float, extra) -> ArbIV:
        extra = np.broadcast_to(np.asarray(extra, dtype=np.float64), self.shape)
        return self._op(np.frompyfunc(lambda v, e: arb(v.mid(), factor * v.rad() + arb(e)), 2, 1), self.a, extra)

    def finite(self) -> np.ndarray:
        return np.asarray(np.frompyfunc(lambda v: bool(v.is_finite()), 1, 1)(self.a), dtype=bool)


def _objects(x) -> np.ndarray:
    """An object array (0-d for a scalar: ``frompyfunc`` returns bare objects for 0-d input)."""
    if isinstance(x, np.ndarray):
        return x.astype(object)
    out = np.empty((), dtype=object)
    out[()] = x
    return out


class Arith:
    """Makes the interval arrays of one backend: ``"fast"`` (:class:`FastIV`) or ``"arb"`` at ``prec`` bits."""

    def __init__(self, name: str = "fast", prec: int = 128):
        self.name, self.prec = name, prec

    @property
    def spec(self) -> str:
        return "fast" if self.name == "fast" else f"arb:{self.prec}"

    def point(self, x):
        x = np.asarray(x, dtype=np.float64)
        if self.name == "fast":
            return FastIV(x, np.zeros(x.shape))
        return ArbIV(_objects(np.frompyfunc(arb, 1, 1)(x)), self.prec)

    def ball(self, mid, rad):
        mid = np.asarray(mid, dtype=np.float64)
        rad = np.broadcast_to(np.asarray(rad, dtype=np.float64), mid.shape)
        if self.name == "fast":
            return FastIV(mid, rad.copy())
        with ctx.workprec(self.prec):
            return ArbIV(_objects(np.frompyfunc(lambda m, r: arb(m, r), 2, 1)(mid, rad)), self.prec)

    def interval(self, lo, hi):
        """The interval ``[lo, hi]`` (floats, elementwise)."""
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        if self.name == "fast":
            return FastIV.from_bounds(lo, hi)
        with ctx.workprec(self.prec):
            return ArbIV(_objects(np.frompyfunc(lambda a, b: arb(a).union(arb(b)), 2, 1)(lo, hi)), self.prec)

    def exact_sum(self, a: float, b: float):
        """The interval containing ``a + b`` for floats."""
        return self.point(a) + b


DOT_MAX = 256  # the longest inner product of dot and matdot
_G_DOT = gamma(DOT_MAX)  # >= gamma(m) for every inner product of length m <= DOT_MAX (gamma increases with m)


def dot(pairs: list):
    """``sum_i a_i b_i`` (elementwise products of interval arrays of one kind and shape, summed), as one
    accumulation: for :class:`FastIV` the midpoints' products summed in float with the rounding bound ``gamma(m)``
    of an inner product of length ``m`` on ``sum |a_i| |b_i|``, like :func:`_fast_matmul` (Higham, *Accuracy and
    Stability of Numerical Algorithms*, Sec. 3.1), instead of ``m`` products and ``m - 1`` sums each rounded."""
    if not isinstance(pairs[0][0], FastIV):
        total = pairs[0][0] * pairs[0][1]
        for a, b in pairs[1:]:
            total = total + a * b
        return total
    if len(pairs) > DOT_MAX:
        raise ValueError(f"dot of {len(pairs)} > {DOT_MAX} products")
    mid = rad = None
    for a, b in pairs:
        am, _, _ = a.product_terms()
        _, cg, bs = b.product_terms()
        r = am * cg + a.rad * bs
        if mid is None:
            mid, rad = a.mid * b.mid, r
        else:
            mid += a.mid * b.mid
            rad += r
    return FastIV(mid, upper(rad, len(pairs) + 6))


def matdot(pairs: list):
    """``sum_i a_i @ b_i`` for batched small matrices ``a_i: (..., n, q)``, ``b_i: (..., q, m)`` of one kind, as one
    accumulation: for :class:`FastIV` the elementwise products ``a_i[..., :, :, None] * b_i[..., None, :, :]``
    summed over the ``i`` and the inner index ``q`` with the rounding bound ``gamma(len(pairs) q)`` of an inner
    product of that length (as :func:`dot`; no batched BLAS call for matrices of a few rows)."""
    if not isinstance(pairs[0][0], FastIV):
        total = pairs[0][0] @ pairs[0][1]
        for a, b in pairs[1:]:
            total = total + a @ b
        return total
    q = pairs[0][0].shape[-1]
    if len(pairs) * q > DOT_MAX:
        raise ValueError(f"matdot of {len(pairs)} x {q} products > {DOT_MAX}")
    mid = rad = None
    n, m = pairs[0][0].shape[-2], pairs[0][1].shape[-1]
    for a, b in pairs:
        a_mid, am, ar = a.left_terms(m)
        b_mid, cg, bs = b.right_terms(n)
        prod = a_mid * b_mid
        r = am * cg + ar * bs
        if mid is None:
            mid, rad = prod, r
        else:
            mid += prod
            rad += r
    return FastIV(_sum_inner(mid), upper(_sum_inner(rad), len(pairs) * q + 6))


def _sum_inner(v: np.ndarray) -> np.ndarray:
    """``v.sum(axis=-2)`` for a short axis, as sums of slices (numpy's reduction over a short inner axis is
    several times slower)."""
    total = v[..., 0, :] + v[..., 1, :] if v.shape[-2] > 1 else v[..., 0, :].copy()
    for j in range(2, v.shape[-2]):
        total += v[..., j, :]
    return total


def select(mask: np.ndarray, a, b):
    """``a`` where ``mask`` (one flag per index of the first axis) else ``b``, for interval arrays of one kind."""
    m = mask.reshape(mask.shape + (1,) * (a.ndim - 1))
    if isinstance(a, FastIV):
        return FastIV(np.where(m, a.mid, b.mid), np.where(m, a.rad, b.rad))
    return ArbIV(np.where(m, a.a, b.a), a.prec)


def stack(parts: list, axis: int = -1):
    """Stack interval arrays of one kind along a new axis (like ``numpy.stack``)."""
    if isinstance(parts[0], FastIV):
        return FastIV(np.stack([p.mid for p in parts], axis), np.stack([p.rad for p in parts], axis))
    return ArbIV(np.stack([p.a for p in parts], axis), parts[0].prec)
