"""The fast backend: midpoint-radius interval arrays over float64 numpy arrays (BLAS products, no rounding modes).

A :class:`Ball` ``(mid, rad)`` stands for every real array ``x`` with ``|x - mid| <= rad`` elementwise. Results
are rigorous under IEEE 754 double precision with rounding to nearest, the only mode numpy and BLAS use:

* Every radius is computed in floating point from non-negative terms and then passed through :func:`upper`,
  which turns the float value ``x`` of a non-negative expression evaluated with at most ``k`` roundings along any
  path into a certain upper bound of the exact value, ``x (1 + (2k + 4) u) + tiny`` (``u = 2**-53``;
  ``(1 - u)**-k <= 1 + 2 k u`` for ``k u <= 1/2``; ``tiny = 2**-1022`` dominates the absolute errors of gradual
  underflow, at most ``2**-1075`` per operation, for fewer than ``2**50`` operations), itself bounded from above
  by two float operations, ``fl(fl(x c) + 2 tiny)`` with ``c = 1 + (2k + 8) u`` (see :func:`upper`).
* Products ``A @ B`` take BLAS's midpoint ``fl(mA @ mB)`` and the a-priori bound
  ``|fl(mA @ mB) - mA @ mB| <= gamma_k |mA| |mB|``, ``gamma_k = k u / (1 - k u)``, valid for any summation order
  and with or without fused multiply-adds (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
  Sec. 3.5); the radius ``|mA| (rB + gamma_k |mB|) + rA (|mB| + rB)`` costs one extra product when ``A`` is a
  point matrix. (Fast matrix-multiplication algorithms such as Strassen's would void the bound; BLAS does not
  use them.)
* Elementwise ``tanh`` and its derivatives are evaluated by Arb (python-flint) on each element's ball and
  rounded outward: these are ``O(n)`` calls next to ``O(n^3)`` products, so the rigorous library costs nothing
  measurable.
"""

from __future__ import annotations

import numpy as np

U = 2.0**-53
TINY = 2.0**-1022


def upper(x, k: int):
    """A certain upper bound of the exact value of a non-negative expression whose float value is ``x``,
    evaluated with at most ``k`` roundings along any path (see the module docstring).

    The bound ``x (1 + (2k + 4) u) + tiny`` is itself rounded up without a directed rounding mode: with ``c =
    1 + (2k + 8) u`` (a float: ``2k + 8`` is even) and ``t = 2 tiny``, ``a = fl(x c) >= x c (1 - u)`` where ``x c``
    is normal and ``>= x c - 2**-1075`` where it is subnormal, and ``a + t >= t`` is normal, so
    ``fl(a + t) >= (a + t)(1 - u)``. Then ``fl(a + t) >= x c (1 - u)**2 + t (1 - u) - 2**-1075 >= x (1 + (2k + 4)
    u) + tiny``, as ``c (1 - u)**2 >= 1 + (2k + 6) u - (4k + 16) u**2 >= 1 + (2k + 4) u`` for ``(2k + 8) u <= 1``.
    An overflow gives ``inf``, still an upper bound (and refused where it matters).
    """
    if (2 * k + 8) * U > 0.5:
        raise ValueError(f"too many roundings ({k}) for the a-priori bound")
    return np.asarray(x, dtype=np.float64) * (1.0 + (2 * k + 8) * U) + 2 * TINY


def gamma(k: int) -> float:
    """An upper bound of ``gamma_k = k u / (1 - k u)``."""
    if k * U >= 0.01:
        raise ValueError(f"inner dimension {k} too large for the a-priori rounding bound")
    g = k * U / (1.0 - k * U)
    return float(np.nextafter(np.nextafter(g, np.inf), np.inf))


def _finite(a: np.ndarray) -> bool:
    """All entries finite: one summation pass, and an elementwise check only when the sum overflows or is NaN."""
    return bool(np.isfinite(np.sum(a))) or bool(np.all(np.isfinite(a)))


def _point(x) -> Ball:
    return x if isinstance(x, Ball) else Ball(np.asarray(x, dtype=np.float64))


class Ball:
    """A real interval array in midpoint-radius form: all ``x`` with ``|x - mid| <= rad`` elementwise."""

    __array_ufunc__ = None  # numpy arrays defer to Ball's operators (``array @ ball`` calls ``__rmatmul__``)

    def __init__(self, mid, rad=None):
        self.mid = np.asarray(mid, dtype=np.float64)
        self.exact = rad is None  # a point: every radius is 0 (products then skip the radius terms)
        if self.exact:
            self.rad = np.zeros(self.mid.shape)
        else:
            rad = np.asarray(rad, dtype=np.float64)
            self.rad = rad if rad.shape == self.mid.shape else np.broadcast_to(rad, self.mid.shape).copy()
        if not (_finite(self.mid) and (self.exact or (_finite(self.rad) and self.rad.min(initial=0.0) >= 0))):
            raise FloatingPointError("a ball with a non-finite midpoint or radius encloses nothing useful")

    @classmethod
    def _of(cls, mid: np.ndarray, rad: np.ndarray, exact: bool) -> Ball:
        """A ball from parts of an already checked ball (views, transposes): no checks repeated."""
        ball = cls.__new__(cls)
        ball.mid, ball.rad, ball.exact = mid, rad, exact
        return ball

    # shape and indexing (exact)
    shape = property(lambda self: self.mid.shape)
    ndim = property(lambda self: self.mid.ndim)
    T = property(lambda self: Ball._of(self.mid.T, self.rad.T, self.exact))

    def __getitem__(self, index) -> Ball:
        return Ball._of(np.asarray(self.mid[index]), np.asarray(self.rad[index]), self.exact)

    def __len__(self) -> int:
        return len(self.mid)

    def reshape(self, *shape) -> Ball:
        return Ball._of(self.mid.reshape(*shape), self.rad.reshape(*shape), self.exact)

    def __repr__(self) -> str:
        return f"Ball(shape={self.shape}, max rad={float(self.rad.max(initial=0.0)):.3g})"

    @property
    def abs_mid(self) -> np.ndarray:
        """``|mid|``, computed once (a ball's arrays are never written after it is made): products by the same
        matrix, e.g. ``W`` in ``W v`` and ``diag(s) W`` for several ``v`` and ``s``, reuse it."""
        a = self.__dict__.get("_abs_mid")
        if a is None:
            a = self.__dict__["_abs_mid"] = np.abs(self.mid)
        return a

    # bounds as floats
    def abs_upper(self) -> np.ndarray:
        """Certain upper bounds of ``|x|`` elementwise."""
        return upper(np.abs(self.mid) + self.rad, 1)

    def upper(self) -> np.ndarray:
        return np.nextafter(self.mid + self.rad, np.inf)

    def lower(self) -> np.ndarray:
        return np.nextafter(self.mid - self.rad, -np.inf)

    # arithmetic
    def __neg__(self) -> Ball:
        return Ball._of(-self.mid, self.rad, self.exact)

    def __add__(self, other) -> Ball:
        other = _point(other)
        mid = self.mid + other.mid
        return Ball(mid, upper(self.rad + other.rad + U * np.abs(mid), 3))

    __radd__ = __add__

    def __sub__(self, other) -> Ball:
        return self + (-_point(other))

    def __rsub__(self, other) -> Ball:
        return _point(other) + (-self)

    def __mul__(self, other) -> Ball:
        other = _point(other)
        mid = self.mid * other.mid
        if self.exact or other.exact:  # the terms with a zero radius left out (for point matrices: n-square passes)
            rad = U * np.abs(mid) if self.exact and other.exact else (
                self.abs_mid * other.rad + U * np.abs(mid) if self.exact else
                self.rad * other.abs_mid + U * np.abs(mid))
        else:
            rad = self.abs_mid * other.rad + self.rad * (other.abs_mid + other.rad) + U * np.abs(mid)
        return Ball(mid, upper(rad, 5))

    __rmul__ = __mul__

    def __matmul__(self, other) -> Ball:
        return matmul(self, _point(other))

    def __rmatmul__(self, other) -> Ball:
        return matmul(_point(other), self)


class ShiftedMatrix:
    """The interval matrix ``M + a I`` (``M`` a ball matrix, usually a point, ``a`` a ball scalar) kept as that pair:
    ``(M + a I) v = M v + a v`` and ``diag(c) (M + a I) = diag(c) M`` with ``c a`` added on the diagonal, enclosed
    term by term, without the ``n``-square radius array, zero off the diagonal, that the assembled ball would
    carry through every product (``W(a) = W + a I`` of :func:`neurodyn.tanh_family`)."""

    __array_ufunc__ = None

    def __init__(self, M: Ball, a: Ball):
        self.M, self.a = M, a

    shape = property(lambda self: self.M.shape)
    ndim = 2

    def ball(self) -> Ball:
        """The assembled ball ``M + a I``."""
        d = self.M.mid.diagonal()
        d = Ball(d.copy(), self.M.rad.diagonal().copy()) + self.a
        mid, rad = self.M.mid.copy(), self.M.rad.copy()
        np.fill_diagonal(mid, d.mid)
        np.fill_diagonal(rad, d.rad)
        return Ball._of(mid, rad, False)

    def __matmul__(self, v) -> Ball:
        v = _point(v)
        return self.M @ v + self.a * v

    def __mul__(self, c) -> Ball:
        c = _point(c)
        if c.ndim != 2 or c.shape[1] != 1 or c.shape[0] != self.shape[0]:
            return self.ball() * c
        P = self.M * c  # diag(c) M, a fresh ball whose diagonal may be overwritten
        d = Ball(P.mid.diagonal().copy(), P.rad.diagonal().copy()) + c[:, 0] * self.a
        np.fill_diagonal(P.mid, d.mid)
        np.fill_diagonal(P.rad, d.rad)
        P.__dict__.pop("_abs_mid", None)
        return P


def matmul(a: Ball, b: Ball) -> Ball:
    """Rigorous ``a @ b`` for ball matrices/vectors (one BLAS product for the midpoint, one or two for the
    radius)."""
    k = a.mid.shape[-1]
    mid = a.mid @ b.mid
    abs_b = b.abs_mid
    rad = a.abs_mid @ (gamma(k) * abs_b if b.exact else b.rad + gamma(k) * abs_b)
    if not a.exact and np.any(a.rad):
        rad = rad + a.rad @ (abs_b + b.rad)
    return Ball(mid, upper(rad, k + 6))


def block(rows: list[list]) -> Ball:
    """Assemble a ball matrix from 2-d blocks (balls or float arrays), like ``numpy.block``."""
    rows = [[x if isinstance(x, Ball) else np.asarray(x, dtype=np.float64) for x in row] for row in rows]
    heights = [row[0].shape[0] for row in rows]
    widths = [x.shape[1] for x in rows[0]]
    mid, rad = np.empty((sum(heights), sum(widths))), np.zeros((sum(heights), sum(widths)))
    i = 0
    for h, row in zip(heights, rows, strict=True):
        j = 0
        for w, x in zip(widths, row, strict=True):
            if x.shape != (h, w):
                raise ValueError(f"block of shape {x.shape} where ({h}, {w}) is expected")
            if isinstance(x, Ball):
                mid[i:i + h, j:j + w] = x.mid
                rad[i:i + h, j:j + w] = x.rad
            else:
                mid[i:i + h, j:j + w] = x
            j += w
        i += h
    return Ball(mid, rad)


def concatenate(parts: list) -> Ball:
    parts = [_point(x) for x in parts]
    return Ball(np.concatenate([x.mid for x in parts]), np.concatenate([x.rad for x in parts]))


def sum_upper(x: np.ndarray, axis=None) -> np.ndarray:
    """A certain upper bound of the sum of non-negative floats ``x`` along ``axis``. The row or column sums of a
    matrix are taken as a product with a vector of ones (BLAS's matrix-vector product is about three times
    faster than numpy's reduction here): the products by 1 are exact and the sums, in whatever order,
    obey the same bound."""
    k = x.size if axis is None else x.shape[axis]
    if x.ndim == 2 and axis in (0, 1, -1, -2) and x.dtype == np.float64:
        total = x @ np.ones(k) if axis in (1, -1) else np.ones(k) @ x
    else:
        total = np.sum(x, axis=axis)
    return upper(total, k + 1)


def norm_inf_upper(x: Ball) -> float:
    """A certain upper bound of the infinity norm (max row sum for a matrix, max entry for a vector) over ``x``."""
    a = x.abs_upper()
    return float(np.max(sum_upper(a, axis=-1) if a.ndim == 2 else a, initial=0.0))


_SPLIT = 2.0**27 + 1.0


def _split(a: np.ndarray):
    """Dekker's split ``a = hi + lo`` into halves of at most 26 significant bits (exact)."""
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _two_product(a: np.ndarray, b: np.ndarray):
    """``a * b = p + e`` exactly (Dekker's TwoProduct; exact barring overflow and underflow)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


def affine_parts(M: np.ndarray, x: np.ndarray, b: np.ndarray | None = None):
    """The exact ``M x + b`` for float arrays as an unevaluated sum ``hi + lo`` with an error bound ``rad`` of
    order ``n u^2 |M| |x|``: the products are split exactly (Dekker's TwoProduct) and each row summed exactly by
    extracting its high-order parts on a common grid (Rump, Ogita and Oishi, SIAM J. Sci. Comput. 31 (2008),
    ExtractVector), so the a-priori ``n u`` bound of a plain product applies only to the ``u``-small remainders.
    ``O(n^2)`` vector operations; used for residuals, where the accuracy of the whole proof is decided. Rows are
    independent, and taken in bands of about 2^16 entries whose temporaries stay in cache (twice as fast at
    n = 1000 as whole-matrix passes; the same numbers)."""
    M = np.asarray(M, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    band = max(1, (1 << 16) // max(1, M.shape[1]))
    if len(M) > band:
        parts = [affine_band(M[i:i + band], x, None if b is None else np.asarray(b)[i:i + band])
                 for i in range(0, len(M), band)]
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))
    return affine_band(M, x, b)


def affine_band(M: np.ndarray, x: np.ndarray, b: np.ndarray | None):
    P, E = _two_product(M, x[None, :])
    if b is not None:
        P = np.concatenate([P, np.asarray(b, dtype=np.float64)[:, None]], axis=1)
        E = np.concatenate([E, np.zeros((len(P), 1))], axis=1)
    k = P.shape[1]
    biggest = np.max(np.abs(P), axis=1)
    # sigma = 2^e with max |p| <= sigma / 2^ceil(log2(k + 1)): the parts q on sigma's grid sum exactly
    _, e_max = np.frexp(biggest)
    sigma = np.ldexp(1.0, e_max + int(np.ceil(np.log2(k + 1))))[:, None]
    Q = (sigma + P) - sigma
    rest = (P - Q) + E  # P - Q exact; |P - Q| <= u sigma
    hi = np.sum(Q, axis=1)
    lo = np.sum(rest, axis=1)
    return hi, lo, upper(gamma(k + 2) * upper(np.sum(np.abs(rest), axis=1), k + 2), 2)


def affine(M: np.ndarray, x: np.ndarray, b: np.ndarray | None = None) -> Ball:
    """An enclosure of the exact ``M x + b`` with radius about ``u |M x + b|`` (see :func:`affine_parts`)."""
    hi, lo, rad = affine_parts(M, x, b)
    mid = hi + lo
    return Ball(mid, upper(U * np.abs(mid) + rad, 3))
