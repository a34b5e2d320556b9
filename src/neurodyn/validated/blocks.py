"""Structured interval matrices and defect bounds on the fast backend: products that skip zero blocks and scale
by diagonal ones (:func:`block_matmul`), matrices kept as grids of blocks (:class:`BlockBall`), and rigorous
bounds of ``|I - A M|`` formed once for several interval matrices near one midpoint (:class:`DefectBound`).

Every bound rests on the a-priori product bound of :mod:`neurodyn.validated.balls`, which holds for any order
of summation; the structure only decides which exact zeros are left out.
"""

from __future__ import annotations

import functools

import numpy as np

from neurodyn.validated.balls import Ball, _point, concatenate, gamma, sum_upper, upper


def _is_diagonal(blk: np.ndarray) -> bool:
    """A square block with no non-zero entry off its diagonal (a dense block fails on its first row or column)."""
    if blk.shape[0] != blk.shape[1] or blk.shape[0] < 2 or blk[0, 1:].any() or blk[1:, 0].any():
        return False
    return np.count_nonzero(blk) == np.count_nonzero(np.diagonal(blk))


def grid_shape(rows: list[list]) -> tuple[list[int], list[int]]:
    """The block heights and widths of a grid of blocks (``None`` for a zero block; every block row and column
    needs one that is not ``None``)."""
    heights = [next(x.shape[0] for x in row if x is not None) for row in rows]
    widths = [next(row[j].shape[1] for row in rows if row[j] is not None) for j in range(len(rows[0]))]
    return heights, widths


class BlockPlan(list):
    """A grid of blocks as :func:`block_matmul` applies them (see :func:`block_plan`)."""


def block_plan(M, rows, cols) -> BlockPlan:
    """The blocks of ``M`` (a float matrix cut at the row indices ``rows`` and column indices ``cols``, each list
    starting at 0 and ending at the size, or that grid of blocks with ``None`` for a zero block) as
    :func:`block_matmul` applies them: ``None`` for a zero block, a vector for a diagonal block, else the block.
    Classifying reads every block once; a plan serves any number of products."""
    if isinstance(M, np.ndarray):
        if (rows[0], rows[-1], cols[0], cols[-1]) != (0, M.shape[0], 0, M.shape[1]):
            raise ValueError(f"cuts {rows}, {cols} do not cover a matrix of shape {M.shape}")
        M = [[M[i0:i1, j0:j1] for j0, j1 in zip(cols[:-1], cols[1:], strict=True)]
             for i0, i1 in zip(rows[:-1], rows[1:], strict=True)]
    return BlockPlan([[None if blk is None or not blk.any() else np.diagonal(blk) if _is_diagonal(blk) else blk
                       for blk in row] for row in M])  # (a block given may still be zero)


def block_matmul(A: np.ndarray, M, rows, cols, out: np.ndarray | None = None) -> np.ndarray:
    """``fl(A @ M)`` for a float matrix ``M`` cut into blocks at the row indices ``rows`` and column indices
    ``cols`` (each list starting at 0 and ending at the size), or given as that grid of blocks (``None`` for a
    zero block) or as its :func:`block_plan`: zero blocks are skipped and diagonal blocks applied as column
    scalings, so a structured ``M`` costs only its dense blocks; so are the column blocks of ``A`` that are zero.

    Every entry is still a sum of the ``k`` products ``A_il M_lj`` (exact zeros left out), evaluated in some
    order, so the bound ``gamma_k |A| |M|`` of a plain product applies unchanged: it holds for any order of
    summation (Higham, Sec. 3.1). ``out``: an array of shape ``(len(A), size)`` to write the product into."""
    plan = M if isinstance(M, BlockPlan) else block_plan(M, rows, cols)
    out = np.empty((A.shape[0], cols[-1])) if out is None else out
    A_zero = [not A[:, i0:i1].any() for i0, i1 in zip(rows[:-1], rows[1:], strict=True)]
    for j, (j0, j1) in enumerate(zip(cols[:-1], cols[1:], strict=True)):
        target, written = out[:, j0:j1], False
        for i, (i0, i1) in enumerate(zip(rows[:-1], rows[1:], strict=True)):
            blk = plan[i][j]
            if blk is None or A_zero[i]:
                continue
            Ai = A[:, i0:i1]
            if blk.ndim == 1:  # a diagonal block
                if written:
                    target += Ai * blk
                else:
                    np.multiply(Ai, blk, out=target)
            elif written:
                target += Ai @ blk
            else:  # the first product goes straight into place
                np.matmul(Ai, blk, out=target)
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
        heights, widths = grid_shape(self.grid)
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


BAND = 1 << 20  # entries of a band of rows of a defect product (8 MiB in float64)


def _bands(rows: int, width: int) -> list[slice]:
    """Bands of at most ``BAND`` entries covering ``rows`` rows of length ``width``."""
    step = max(1, BAND // max(1, width))
    return [slice(i, min(rows, i + step)) for i in range(0, rows, step)]


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

    Neither ``fl(A mid)`` nor ``|A|`` is kept whole: both are formed in bands of rows (``BAND`` entries) in one
    reused buffer, each band's row sums or matrix-vector products taken before the next band is formed. For the
    ``(3n + 2)``-square matrices of a Hopf proof this saves two arrays of 72 MB at n = 1000 per bound, whose fresh
    pages cost the kernel about as much time to provide as the product costs to compute; the sums are the same.
    """

    def __init__(self, A: np.ndarray, M0, blocks=None, real_form: bool = False):
        A = np.asarray(A, dtype=np.float64)
        self.A_full, self.k = A, A.shape[1]
        self.grid0 = M0.grid if isinstance(M0, BlockBall) else None
        if self.grid0 is not None:
            self.mid, self.blocks = None, (M0.rows, M0.cols)
            self.half = real_form and _is_real_form(A) and M0.is_real_form()
            plan = block_plan([[None if b is None else b.mid for b in row] for row in self.grid0], *self.blocks)
            self._product = lambda A, out: block_matmul(A, plan, *self.blocks, out=out)
            self.cols0 = gamma(self.k) * self._grid_rows(
                lambda i, j, b: None if b is None else sum_upper(np.abs(b.mid), axis=1))
        else:
            self.mid, self.blocks = M0.mid, blocks
            self.half = real_form and _is_real_form(A) and _is_real_form(self.mid)
            plan = None if blocks is None else block_plan(self.mid, *blocks)
            self._product = (lambda A, out: np.matmul(A, self.mid, out=out)) if blocks is None else (
                lambda A, out: block_matmul(A, plan, *blocks, out=out))
            self.cols0 = gamma(self.k) * sum_upper(np.abs(self.mid), axis=1)
        self._buf = None  # the band buffer (see _buffer)
        self._rows(A[:self.k // 2] if self.half else A)

    def image_norm_upper(self, g: Ball):
        """A certain upper bound of ``max |A g'|_inf`` over the members ``g'`` of the ball vector ``g`` (for a
        matrix ``g``, one bound per column): ``|A g' - fl(A mg)| <= gamma_k |A| |mg| + |A| rg``, with ``|A|``
        already at hand."""
        v = g.rad + gamma(self.k) * np.abs(g.mid)
        if self.A is self.A_full:
            abs_Av = self._abs_A_times(v)
        else:  # a real form: |A| = [[|P|, |Q|], [|Q|, |P|]] from its top half [|P|, |Q|]
            h = self.k // 2
            flat = v.reshape(self.k, -1)
            both = self._abs_A_times(np.concatenate([flat, np.concatenate([flat[h:], flat[:h]])], axis=1))
            c = flat.shape[1]
            abs_Av = np.concatenate([both[:, :c], both[:, c:]]).reshape(2 * len(both), *v.shape[1:])
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

    def _buffer(self, rows: int, width: int) -> np.ndarray:
        """A ``(rows, width)`` view of the one buffer the bands are formed in."""
        if self._buf is None or self._buf.size < rows * width:
            self._buf = np.empty(rows * width)
        return self._buf[:rows * width].reshape(rows, width)

    def _rows(self, A: np.ndarray) -> None:
        """Row sums of ``|I - A mid|`` (``A``: all rows, or the top half of a real form), band by band."""
        self.A = A
        width = self.blocks[1][-1] if self.mid is None else self.mid.shape[1]
        sums = np.empty(len(A))
        for band in _bands(len(A), width):
            E = self._product(A[band], self._buffer(band.stop - band.start, width))
            diag = np.arange(band.start, min(band.stop, width))  # |I - A mid| = |A mid - I|, in place
            E[diag - band.start, diag] -= 1.0
            sums[band] = sum_upper(np.abs(E, out=E), axis=1)
        self.E_rows = upper(sums, 1)

    def _abs_A_times(self, v: np.ndarray) -> np.ndarray:
        """``fl(|A| v)`` for a vector or matrix ``v``, ``|A|`` formed band by band (``|.|`` is exact)."""
        out = np.empty((len(self.A), *v.shape[1:]))
        for band in _bands(len(self.A), self.A.shape[1]):
            out[band] = np.abs(self.A[band], out=self._buffer(band.stop - band.start, self.A.shape[1])) @ v
        return out

    def __call__(self, M) -> float:
        cols = self.cols0 + (self._block_spread(M) if self.grid0 is not None else self._spread(M))
        rows = upper(self.E_rows + upper(self._abs_A_times(upper(cols, 3)), self.k + 1), 2)
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
