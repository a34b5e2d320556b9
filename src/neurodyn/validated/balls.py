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

import functools

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
        rad = np.abs(self.mid) * other.rad + self.rad * (np.abs(other.mid) + other.rad) + U * np.abs(mid)
        return Ball(mid, upper(rad, 5))

    __rmul__ = __mul__

    def __matmul__(self, other) -> Ball:
        return matmul(self, _point(other))

    def __rmatmul__(self, other) -> Ball:
        return matmul(_point(other), self)


def matmul(a: Ball, b: Ball) -> Ball:
    """Rigorous ``a @ b`` for ball matrices/vectors (one BLAS product for the midpoint, one or two for the
    radius)."""
    k = a.mid.shape[-1]
    mid = a.mid @ b.mid
    abs_b = np.abs(b.mid)
    rad = np.abs(a.mid) @ (gamma(k) * abs_b if b.exact else b.rad + gamma(k) * abs_b)
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
    """A certain upper bound of the sum of non-negative floats ``x`` along ``axis``."""
    k = x.size if axis is None else x.shape[axis]
    return upper(np.sum(x, axis=axis), k + 1)


def norm_inf_upper(x: Ball) -> float:
    """A certain upper bound of the infinity norm (max row sum for a matrix, max entry for a vector) over ``x``."""
    a = x.abs_upper()
    return float(np.max(sum_upper(a, axis=-1) if a.ndim == 2 else a, initial=0.0))


def _is_diagonal(blk: np.ndarray) -> bool:
    """A square block with no non-zero entry off its diagonal (a dense block fails on its first row or column)."""
    if blk.shape[0] != blk.shape[1] or blk.shape[0] < 2 or blk[0, 1:].any() or blk[1:, 0].any():
        return False
    return np.count_nonzero(blk) == np.count_nonzero(np.diagonal(blk))


def _grid(M: np.ndarray, rows, cols) -> list[list]:
    """Views of the blocks of ``M`` cut at ``rows`` and ``cols``, ``None`` for the zero ones."""
    return [[blk if (blk := M[i0:i1, j0:j1]).any() else None for j0, j1 in zip(cols[:-1], cols[1:], strict=True)]
            for i0, i1 in zip(rows[:-1], rows[1:], strict=True)]


def block_matmul(A: np.ndarray, M, rows, cols) -> np.ndarray:
    """``fl(A @ M)`` for a float matrix ``M`` cut into blocks at the row indices ``rows`` and column indices
    ``cols`` (each list starting at 0 and ending at the size), or given as that grid of blocks (``None`` for a
    zero block): zero blocks are skipped and diagonal blocks applied as column scalings, so a structured ``M``
    costs only its dense blocks.

    Every entry is still a sum of the ``k`` products ``A_il M_lj`` (exact zeros left out), evaluated in some
    order, so the bound ``gamma_k |A| |M|`` of a plain product applies unchanged: it holds for any order of
    summation (Higham, Sec. 3.1)."""
    if isinstance(M, np.ndarray):
        if (rows[0], rows[-1], cols[0], cols[-1]) != (0, M.shape[0], 0, M.shape[1]):
            raise ValueError(f"cuts {rows}, {cols} do not cover a matrix of shape {M.shape}")
        M = _grid(M, rows, cols)
    grid = M
    out = np.empty((A.shape[0], cols[-1]))
    for j, (j0, j1) in enumerate(zip(cols[:-1], cols[1:], strict=True)):
        target, written = out[:, j0:j1], False
        for i, (i0, i1) in enumerate(zip(rows[:-1], rows[1:], strict=True)):
            blk = grid[i][j]
            if blk is None or not blk.any():  # (a block of a BlockBall may be zero at its midpoint)
                continue
            Ai = A[:, i0:i1]
            if _is_diagonal(blk):
                part = Ai * np.diagonal(blk)
            elif not written:  # the first product goes straight into place
                np.matmul(Ai, blk, out=target)
                written = True
                continue
            else:
                part = Ai @ blk
            if written:
                target += part
            else:
                target[...] = part
                written = True
        if not written:
            target[...] = 0.0
    return out


class BlockBall:
    """A ball matrix kept as a grid of blocks (balls, float arrays, or ``None`` for a zero block): products, row
    sums and differences then skip the zero blocks, and the whole matrix is assembled only when ``mid`` or
    ``rad`` is asked for. Every block row and block column needs at least one block that is not ``None``."""

    def __init__(self, rows: list[list]):
        self.grid = [[x if x is None or isinstance(x, Ball) else Ball(np.asarray(x, dtype=np.float64)) for x in row]
                     for row in rows]
        heights = [next(b.shape[0] for b in row if b is not None) for row in self.grid]
        widths = [next(row[j].shape[1] for row in self.grid if row[j] is not None) for j in range(len(self.grid[0]))]
        for i, row in enumerate(self.grid):
            for j, b in enumerate(row):
                if b is not None and b.shape != (heights[i], widths[j]):
                    raise ValueError(f"block of shape {b.shape} where ({heights[i]}, {widths[j]}) is expected")
        self.rows = [0, *np.cumsum(heights).tolist()]
        self.cols = [0, *np.cumsum(widths).tolist()]
        self.exact = all(b is None or b.exact for row in self.grid for b in row)

    shape = property(lambda self: (self.rows[-1], self.cols[-1]))
    ndim = 2

    def _assemble(self, part: str) -> np.ndarray:
        out = np.zeros(self.shape)
        for i, row in enumerate(self.grid):
            for j, b in enumerate(row):
                if b is not None:
                    out[self.rows[i]:self.rows[i + 1], self.cols[j]:self.cols[j + 1]] = getattr(b, part)
        return out

    @functools.cached_property
    def mid(self) -> np.ndarray:
        return self._assemble("mid")

    @functools.cached_property
    def rad(self) -> np.ndarray:
        return self._assemble("rad")

    def mid_block(self, i: int, j: int) -> np.ndarray:
        b = self.grid[i][j]
        return np.zeros((self.rows[i + 1] - self.rows[i], self.cols[j + 1] - self.cols[j])) if b is None else b.mid

    def ball(self) -> Ball:
        return Ball(self.mid, None if self.exact else self.rad)

    def __matmul__(self, x) -> Ball:
        """A rigorous ``M @ x`` for a vector or matrix ``x``, block by block."""
        x = _point(x)
        parts = []
        for row in self.grid:
            acc = None
            for j, b in enumerate(row):
                if b is not None:
                    y = b @ x[self.cols[j]:self.cols[j + 1]]
                    acc = y if acc is None else acc + y
            parts.append(acc)
        return concatenate(parts)

    def is_real_form(self) -> bool:
        """The block grid is ``[[P, -Q], [Q, P]]`` (midpoints; the radii in the pattern ``[[rP, rQ], [rQ, rP]]``),
        the real form of the interval matrix ``P + i Q``, exactly."""
        m = len(self.grid) // 2
        if 2 * m != len(self.grid) or 2 * m != len(self.grid[0]) or self.rows != self.cols or 2 * self.rows[m] != \
                self.rows[-1]:
            return False

        def same(a, b, sign):
            if a is None or b is None:
                return a is None and b is None
            return np.array_equal(a.mid, sign * b.mid) and np.array_equal(a.rad, b.rad)

        return all(same(self.grid[i][j], self.grid[i + m][j + m], 1.0)
                   and same(self.grid[i][j + m], self.grid[i + m][j], -1.0) for i in range(m) for j in range(m))


def _row_sums_upper(parts: list, size: int) -> np.ndarray:
    """An upper bound of the sum of the row-sum bounds ``parts`` (vectors of length ``size``)."""
    if not parts:
        return np.zeros(size)
    return parts[0] if len(parts) == 1 else upper(np.sum(parts, axis=0), len(parts))


def _is_real_form(X: np.ndarray, sign: float = -1.0) -> bool:
    """``X = [[P, sign Q], [Q, P]]`` exactly (``sign = -1``: the real form of ``P + i Q``; ``sign = 1``: the
    pattern of its moduli, as radii have it)."""
    n = X.shape[0]
    if n % 2 or X.shape != (n, n):
        return False
    h = n // 2
    return np.array_equal(X[:h, :h], X[h:, h:]) and np.array_equal(X[:h, h:], sign * X[h:, :h])


def defect_norm_upper(A: np.ndarray, M, blocks=None, real_form: bool = False) -> float:
    """A certain upper bound of ``max |I - A M'|_inf`` over the members ``M'`` of ``M`` (a :class:`Ball` or
    :class:`BlockBall`), for a float matrix ``A`` (see :class:`DefectBound`, which also serves several ``M``
    around one midpoint)."""
    return DefectBound(A, M, blocks, real_form)(M)


class DefectBound:
    """Upper bounds of ``max |I - A M'|_inf`` over the members ``M'`` of interval matrices ``M`` near the midpoint
    ``mid`` of one of them, ``M0`` (a :class:`Ball` or :class:`BlockBall`), for a float matrix ``A``: the product
    is formed once, each ``M`` costs a few passes.

    Only row sums are needed, so one BLAS product suffices: with ``P = fl(A mid)`` and ``E = fl(I - P)``,
    ``|I - A M'| <= (1 + u) |E| + gamma_k |A| |mid| + |A| |M' - mid|`` elementwise, where ``|M' - mid|`` is
    bounded by ``|mM - mid| + rM`` (rounded up), and the row sums of the last two terms are the matrix-vector
    products ``|A| (gamma_k |mid| 1 + |M - mid| 1)``. ``blocks = (rows, cols)`` cuts ``mid`` for
    :func:`block_matmul` (same bound, fewer operations when ``mid`` has zero or diagonal blocks); a
    :class:`BlockBall` brings its own blocks, and the ``M`` given later must have the same grid.

    ``real_form``: when ``A`` and ``mid`` are exactly real forms ``[[P, -Q], [Q, P]]`` of complex matrices (and
    the radii of ``M`` have that pattern), so is the exact ``I - A mid``, whose rows ``i`` and ``i + n/2`` then
    have equal sums of moduli, as have the rows of ``|A|``, ``|mid|`` and the radii: the bound of the top half
    holds for all rows, and only the top half of the product is formed (checked; otherwise all rows are).
    """

    def __init__(self, A: np.ndarray, M0, blocks=None, real_form: bool = False):
        A = np.asarray(A, dtype=np.float64)
        self.A_full, self.k = A, A.shape[1]
        self.grid0 = M0.grid if isinstance(M0, BlockBall) else None
        if self.grid0 is not None:
            self.mid, self.blocks = None, (M0.rows, M0.cols)
            self.half = real_form and _is_real_form(A) and M0.is_real_form()
            mids = [[None if b is None else b.mid for b in row] for row in self.grid0]
            self._product = lambda A: block_matmul(A, mids, *self.blocks)
            self.cols0 = gamma(self.k) * self._grid_rows(
                lambda i, j, b: None if b is None else sum_upper(np.abs(b.mid), axis=1))
        else:
            self.mid, self.blocks = M0.mid, blocks
            self.half = real_form and _is_real_form(A) and _is_real_form(self.mid)
            self._product = lambda A: A @ self.mid if blocks is None else block_matmul(A, self.mid, *blocks)
            self.cols0 = gamma(self.k) * sum_upper(np.abs(self.mid), axis=1)
        self._rows(A[:self.k // 2] if self.half else A)

    def image_norm_upper(self, g: Ball):
        """A certain upper bound of ``max |A g'|_inf`` over the members ``g'`` of the ball vector ``g`` (for a
        matrix ``g``, one bound per column): ``|A g' - fl(A mg)| <= gamma_k |A| |mg| + |A| rg``, with ``|A|``
        already at hand."""
        v = g.rad + gamma(self.k) * np.abs(g.mid)
        if self.A is self.A_full:
            abs_Av = self.abs_A @ v
        else:  # a real form: |A| = [[|P|, |Q|], [|Q|, |P|]] from its top half [|P|, |Q|]
            h = self.k // 2
            abs_Av = np.concatenate([self.abs_A @ v, self.abs_A @ np.concatenate([v[h:], v[:h]])])
        rad = upper(abs_Av, self.k + 6)
        bounds = upper(np.abs(self.A_full @ g.mid) + rad, 1)
        return bounds.max(axis=0) if bounds.ndim == 2 else float(np.max(bounds, initial=0.0))

    def _grid_rows(self, f, grid=None) -> np.ndarray:
        """Row-sum bounds ``f(i, j, block)`` added over the blocks of each block row (zero blocks skipped)."""
        grid = grid or self.grid0
        rows = self.blocks[0]
        out = []
        for i, row in enumerate(grid):
            parts = [v for j, b in enumerate(row) if (v := f(i, j, b)) is not None]
            out.append(_row_sums_upper(parts, rows[i + 1] - rows[i]))
        return np.concatenate(out)

    def _rows(self, A: np.ndarray) -> None:
        E = -self._product(A)
        E[np.diag_indices(min(E.shape))] += 1.0
        self.A, self.E_rows, self.abs_A = A, upper(sum_upper(np.abs(E), axis=1), 1), np.abs(A)

    def __call__(self, M) -> float:
        cols = self.cols0 + (self._block_spread(M) if self.grid0 is not None else self._spread(M))
        rows = upper(self.E_rows + upper(self.abs_A @ upper(cols, 3), self.k + 1), 2)
        return float(np.max(rows, initial=0.0))

    def _spread(self, M: Ball):
        """Row sums bounding ``|M' - mid|`` over the members of a ball matrix ``M``."""
        moved = M.mid is not self.mid and not np.array_equal(M.mid, self.mid)
        if self.half and not (_is_real_form(M.mid) and (M.exact or _is_real_form(M.rad, 1.0))):
            self.half = False
            self._rows(self.A_full)
        spread = 0.0
        if moved:  # |M' - mid| <= |mM - mid| + rM: row sums of fl(|mM - mid|) (one rounding) and of rM
            spread = upper(sum_upper(np.abs(M.mid - self.mid), axis=1), 1)
        if not M.exact:
            spread = spread + sum_upper(M.rad, axis=1)
        return spread

    def _block_spread(self, M: BlockBall):
        """:meth:`_spread` block by block, for a :class:`BlockBall` on the grid of ``M0``."""
        if not isinstance(M, BlockBall) or (M.rows, M.cols) != self.blocks:
            raise ValueError("the matrix must have the block grid of the one the bound was formed for")
        if self.half and not M.is_real_form():
            self.half = False
            self._rows(self.A_full)

        def spread(i, j, b):
            b0 = self.grid0[i][j]
            parts = []
            if b is not b0:
                m, m0 = (None if x is None else x.mid for x in (b, b0))
                if m is None or m0 is None or not np.array_equal(m, m0):
                    diff = np.abs(m if m0 is None else -m0 if m is None else m - m0)
                    parts.append(upper(sum_upper(diff, axis=1), 1))
            if b is not None and not b.exact:
                parts.append(sum_upper(b.rad, axis=1))
            return _row_sums_upper(parts, len(parts[0])) if parts else None

        return self._grid_rows(spread, M.grid)


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
    ``O(n^2)`` vector operations; used for residuals, where the accuracy of the whole proof is decided."""
    M = np.asarray(M, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
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
