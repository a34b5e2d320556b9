"""Taylor coefficients of a tanh field's solution from a batch of float points, with one radius per point and
coefficient (the centre series of :func:`neurodyn.enclose_flow`'s Lohner steps).

At a point the interval coefficients of :class:`neurodyn.validated.taylor.TanhTaylor` carry radii of rounding size
only, yet every interval operation forms them elementwise on the ``(N, m)`` arrays of the hidden units. Here each
coefficient is a float array ``C: (q, N)`` (entries first) and one radius per point ``r: (1, N)`` with
``|c - C| <= r`` elementwise, and the radius of every operation comes from the midpoints' largest magnitudes
``Ĉ = max_j |C_j|`` per point (``(1, N)`` arrays). For an inner product ``s = sum_j a_j b_j`` of length ``L``
computed in float,

    ``|s - fl(sum_j A_j B_j)| <= sum_j (Â_j r_b + r_a (B̂_j + r_b)) + gamma_L sum_j Â_j B̂_j``

(the midpoint-radius product bound with ``|A_j| <= Â_j`` per point, and Higham's inner-product bound, *Accuracy
and Stability of Numerical Algorithms*, Sec. 3.1); for a product with an interval matrix ``M: (q, s)``,

    ``|x M - fl(X mid M)| <= X̂ max_col sum_rows (gamma_q |mid M| + rad M) + r_x max_col sum_rows (|mid M| + rad M)``.

Every radius is rounded up by :func:`neurodyn.validated.balls.upper`. The float work per order is then that of a
float recurrence (a product and a sum per term) with ``(1, N)`` radius arrays beside it. Order 0 (the tanh) is
formed by the interval arrays of :mod:`neurodyn.validated.ivec` and its radii reduced to one per point.
"""

from __future__ import annotations

import numpy as np

from neurodyn.validated.balls import U, gamma, upper
from neurodyn.validated.ivec import DOT_MAX, Arith, FastIV
from neurodyn.validated.taylor import Series, TanhTaylor

_G = gamma(DOT_MAX)  # bounds gamma_L of every inner product here (L <= order + 2 <= DOT_MAX)


class RowIV:
    """Float midpoints ``mid: (q, N)`` (the coefficient's entries first: the largest magnitude per point is then a
    reduction over the first axis, several times faster in numpy than over a short last one) and one radius per
    point ``rad: (1, N)``."""

    def __init__(self, mid: np.ndarray, rad: np.ndarray, top: np.ndarray | None = None):
        self.mid, self.rad = mid, rad
        self._top = top

    @property
    def top(self) -> np.ndarray:
        """An upper bound of ``max_j |mid_j|`` per point ``(1, N)`` (the exact maximum unless one was given), formed
        once."""
        if self._top is None:
            self._top = np.max(np.abs(self.mid), axis=0, keepdims=True)
        return self._top

    @staticmethod
    def of(x: FastIV) -> RowIV:
        return RowIV(np.ascontiguousarray(x.mid.T), np.max(x.rad, axis=-1)[None, :])

    def fast(self) -> FastIV:
        return FastIV(self.mid.T, np.broadcast_to(self.rad.T, self.mid.T.shape).copy())

    def scaled(self, c: float) -> RowIV:
        """``c x`` for a float ``c`` (``|fl(c X)| <= (1 + u) |c| X̂``)."""
        return RowIV(c * self.mid, upper(abs(c) * self.rad + U * (abs(c) * self.top), 4))

    def div(self, k: int) -> RowIV:
        """``x / k`` for a positive integer ``k``."""
        return RowIV(self.mid / k, upper((self.rad + U * self.top) / k, 3))


class _Matrix:
    """An interval matrix ``M: (q, s)`` (a :class:`FastIV`) as a right factor: its midpoint and the two row-sum
    bounds of the module docstring, rounded up."""

    def __init__(self, M: FastIV):
        self.midT = np.ascontiguousarray(M.mid.T)
        q = M.shape[0]
        am = np.abs(M.mid)
        self.round = float(upper(np.max(np.sum(gamma(q) * am + M.rad, axis=0)), q + 2))
        self.spread = float(upper(np.max(np.sum(am + M.rad, axis=0)), q + 1))

    def times(self, x: RowIV) -> RowIV:
        """``x @ M`` (``(s, N)`` midpoints)."""
        return RowIV(self.midT @ x.mid, upper(x.top * self.round + x.rad * self.spread, 3))


def row_dot(pairs: list) -> RowIV:
    """``sum_j a_j b_j`` (elementwise products of :class:`RowIV` arrays summed) with the inner-product bound of the
    module docstring; its ``top`` is the bound ``(1 + gamma) sum_j Â_j B̂_j`` of the float sum (no reduction)."""
    if len(pairs) > DOT_MAX:
        raise ValueError(f"row_dot of {len(pairs)} > {DOT_MAX} products")
    mid = rad = top = None
    for a, b in pairs:
        tt = a.top * b.top
        term = a.top * b.rad + a.rad * (b.top + b.rad) + _G * tt
        if mid is None:
            mid, rad, top = a.mid * b.mid, term, tt
        else:
            mid = mid + a.mid * b.mid
            rad = rad + term
            top = top + tt
    # the float sum: |fl(sum)| <= (1 + G) sum_j Â_j B̂_j, bounded above by a float
    return RowIV(mid, upper(rad, len(pairs) + 8), upper(top * (1.0 + 2 * _G), len(pairs) + 3))


def _square(ys: list, k: int) -> RowIV:
    """``(y^2)_k = sum_{i=0..k} y_i y_{k-i}``: each product with ``i != k - i`` formed once and doubled (exactly) in
    the midpoint; the radius over all ``k + 1`` ordered pairs, with ``gamma`` of an inner product of length
    ``k + 2`` (the doubling and the middle term's sum included)."""
    if k + 2 > DOT_MAX:
        raise ValueError(f"(y^2)_{k}: an inner product of length {k + 2} > {DOT_MAX}")
    mid = None
    for i in range((k + 1) // 2):
        prod = ys[i].mid * ys[k - i].mid
        mid = prod if mid is None else mid + prod
    mid = None if mid is None else 2.0 * mid
    if k % 2 == 0:
        middle = ys[k // 2].mid * ys[k // 2].mid
        mid = middle if mid is None else mid + middle
    rad = None
    for i in range(k + 1):
        a, b = ys[i], ys[k - i]
        term = a.top * b.rad + a.rad * (b.top + b.rad) + _G * (a.top * b.top)
        rad = term if rad is None else rad + term
    return RowIV(mid, upper(rad, k + 9))


def _minus_leak(f: RowIV, leak, x: RowIV) -> RowIV:
    """``f - leak x`` for a float or interval scalar ``leak``: ``|fl(F - fl(lm X))| <= (1 + u)(F̂ + (1 + u) |lm|
    X̂)``."""
    lm, lr = (float(leak), 0.0) if isinstance(leak, (int, float)) else (float(leak.mid), float(leak.rad))
    mid = f.mid - lm * x.mid
    lx = abs(lm) * x.top
    rad = f.rad + abs(lm) * x.rad + lr * (x.top + x.rad) + U * lx + U * (f.top + lx)
    return RowIV(mid, upper(rad * (1.0 + 4 * U), 8))


def point_series(field: TanhTaylor, ar: Arith, xhat: np.ndarray, p: int) -> Series:
    """The coefficients ``x_0 .. x_p`` (no derivatives) of the solutions of ``field`` from the float points
    ``xhat: (N, n)``, as interval arrays (:class:`FastIV`) that contain those of :meth:`TanhTaylor.series` at the
    same points (see the module docstring)."""
    x0 = ar.point(xhat)
    u0 = x0 @ field.Wt + field.b
    y0 = u0.tanh()
    z0 = 1.0 - y0 * y0
    f0 = y0 if field.V is None else y0 @ field.Vt
    if field.d is not None:
        f0 = f0 + field.d
    if field.leak is not None:
        f0 = f0 - field.leak * x0
    out = [x0, f0]
    if p <= 1:
        return Series(out, None)
    Wt = _Matrix(field.Wt)
    Vt = None if field.V is None else _Matrix(field.Vt)
    xs, ys, zs, jus = [RowIV.of(x0), RowIV.of(f0)], [RowIV.of(y0)], [RowIV.of(z0)], [None]
    for k in range(1, p):
        jus.append(Wt.times(xs[k]).scaled(float(k)))
        ys.append(row_dot([(jus[j], zs[k - j]) for j in range(1, k + 1)]).div(k))
        sq = _square(ys, k)
        zs.append(RowIV(-sq.mid, sq.rad))  # negation: exact
        f = ys[k] if Vt is None else Vt.times(ys[k])
        if field.leak is not None:
            f = _minus_leak(f, field.leak, xs[k])
        xs.append(f.div(k + 1))
        out.append(xs[-1].fast())
    return Series(out, None)
