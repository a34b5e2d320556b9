"""One small interface over the two interval backends, so each proof is written once.

A backend makes interval arrays from floats (:meth:`Backend.point`, :meth:`Backend.ball`), assembles them
(:meth:`Backend.block`, :meth:`Backend.concatenate`), evaluates ``tanh`` and its derivatives rigorously
(:meth:`Backend.tanh_derivatives`) and bounds norms (:meth:`Backend.norm_inf_upper`). The arrays themselves
support ``+ - * @``, indexing, ``.T``, ``.mid`` (float midpoints), ``.abs_upper()``, ``.upper()`` and
``.lower()`` (certain float bounds).

``fast`` (:class:`neurodyn.validated.balls.Ball`): float64 midpoint-radius arrays with BLAS products.
``arb``: python-flint Arb balls at ``prec`` bits (default 256), the reference.
"""

from __future__ import annotations

import numpy as np
from flint import arb, ctx

from neurodyn.errors import InvalidInputError
from neurodyn.validated import arb as _arb
from neurodyn.validated import balls as _balls
from neurodyn.validated import blocks as _blocks
from neurodyn.validated import linalg as _linalg
from neurodyn.validated import spectral as _spectral
from neurodyn.validated.arb import ArbArray
from neurodyn.validated.balls import Ball


def _tanh_derivative(t: arb, order: int) -> arb:
    """The ``order``-th derivative of tanh as a polynomial in ``t = tanh(y)`` (orders 0 to 3)."""
    s = 1 - t * t
    return (t, s, -2 * t * s, -2 * s * (1 - 3 * t * t))[order]


class DenseDefectBound:
    """``|I - A M'|_inf`` over the members of interval matrices ``M`` (one interval product each) and
    ``max |A g'|_inf`` over interval vectors ``g`` (per column for a matrix): the generic
    :meth:`Backend.defect_bound`."""

    def __init__(self, bk: Backend, A: np.ndarray):
        self.bk, self.A = bk, A

    def __call__(self, M) -> float:
        return self.bk.norm_inf_upper(self.bk.eye(self.A.shape[0]) - self.bk.point(self.A) @ M)

    def image_norm_upper(self, g):
        bound = (self.bk.point(self.A) @ g).abs_upper()
        return bound.max(axis=0) if bound.ndim == 2 else float(np.max(bound, initial=0.0))


class Backend:
    """The interface the proofs are written against (see the module docstring); :class:`FastBackend` and
    :class:`ArbBackend` implement it. ``spectral_solves``: whether :meth:`spectral_solve` can solve shifted systems
    from a verified diagonalisation (otherwise it always returns ``None`` and dense solves are used)."""

    name: str
    spectral_solves: bool = False

    def point(self, x):
        raise NotImplementedError

    def ball(self, mid, rad):
        raise NotImplementedError

    def block(self, rows):
        raise NotImplementedError

    def concatenate(self, parts):
        raise NotImplementedError

    def tanh_derivatives(self, y, orders):
        raise NotImplementedError

    def affine(self, M: np.ndarray, x: np.ndarray, b: np.ndarray | None = None):
        """An enclosure of ``M x + b`` for float arrays, as tight as the backend can make it."""
        y = self.point(M) @ self.point(x)
        return y if b is None else y + b

    def inner(self, M: np.ndarray, x: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """``M x + b`` for float arrays as a numpy array of Arb balls (at :attr:`prec` bits), for residuals
        evaluated element by element in Arb."""
        return self.affine(M, x, b).a

    def from_arb(self, values: np.ndarray):
        """An interval array enclosing an array of Arb balls."""
        raise NotImplementedError

    def norm_inf_upper(self, x) -> float:
        raise NotImplementedError

    def defect_bound(self, A: np.ndarray, M0, real_form: bool = False):
        """A function giving an upper bound of ``|I - A M'|_inf`` over the members ``M'`` of interval matrices
        ``M`` near ``M0`` (``A`` a float matrix, typically an approximate inverse). The fast backend forms
        ``A mid(M0)`` once for all of them; ``real_form``: ``A`` and ``M`` may be real forms of complex matrices
        (a hint for speed; the bound does not depend on it). The object also bounds ``max |A g'|`` over interval
        vectors ``g`` (``image_norm_upper``)."""
        return DenseDefectBound(self, A)

    def spectrum_in_basis(self, J, basis):
        """Gershgorin discs of ``X^{-1} J' X`` over the members of ``J`` (see
        :func:`~neurodyn.validated.linalg.spectrum_enclosure`), or ``None``."""
        return _linalg.spectrum_by_products(self, J, basis)

    def spectral_solve(self, J, spectrum, basis, s: complex, b_re, b_im=None, s_rad: float = 0.0):
        """Enclosures ``(Re y, Im y)`` of the solutions of ``(J' - s') y = b'`` from the verified
        diagonalisation ``spectrum`` (see :func:`neurodyn.validated.spectral.spectral_solve`), or ``None`` where this
        backend has no such route or the shift is not provably off the spectrum."""
        return None

    def mid_blocks(self, M, rows: list[int], cols: list[int]):
        """``(i, j) ->`` the float midpoint of block ``(i, j)`` of the interval matrix ``M`` cut at ``rows`` and
        ``cols``."""
        mid = M.mid
        return lambda i, j: mid[rows[i]:rows[i + 1], cols[j]:cols[j + 1]]

    def to_arb(self, x) -> arb:
        """A 0-d interval of this backend as an Arb ball (the same set or larger)."""
        raise NotImplementedError

    def scaled_eye(self, w, n: int):
        """The interval matrix ``w I`` for an interval scalar ``w``."""
        return w * self.eye(n)

    def shift_diagonal(self, M, a):
        """``M + a I`` for an interval matrix ``M`` and interval scalar ``a``."""
        return M + a * self.eye(M.shape[0])

    def shifted(self, M, a):
        """``M + a I`` for a float matrix ``M``, as an interval matrix for products ``(M + a I) v`` and row
        scalings ``(M + a I) * c[:, None]`` (the fast backend keeps the pair, see ``balls.ShiftedMatrix``)."""
        return self.shift_diagonal(self.point(M), a)

    def block_matrix(self, rows: list[list]):
        """An interval matrix from a grid of blocks (interval or float arrays, ``None`` for zero blocks; every
        block row and column needs one that is not ``None``), like :meth:`block`; the fast backend keeps the
        blocks apart (:class:`~neurodyn.validated.blocks.BlockBall`)."""
        heights, widths = _blocks.grid_shape(rows)
        return self.block([[np.zeros((h, w)) if x is None else x for x, w in zip(row, widths, strict=True)]
                           for row, h in zip(rows, heights, strict=True)])

    @property
    def spec(self) -> str:
        """The string :func:`get_backend` turns back into this backend."""
        return self.name if self.name == "fast" else f"{self.name}:{self.prec}"

    def eye(self, n: int):
        return self.point(np.eye(n))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FastBackend(Backend):
    """float64 midpoint-radius balls; ``tanh``, its derivatives and residuals per element by Arb at ``prec``
    bits (``O(n)`` work next to the ``O(n^3)`` BLAS products)."""

    name = "fast"
    spectral_solves = True

    def __init__(self, prec: int = 128):
        self.prec = prec

    def spectrum_in_basis(self, J, basis):
        return _linalg.spectrum_by_row_sums(self.point(J), basis)

    def spectral_solve(self, J, spectrum, basis, s: complex, b_re, b_im=None, s_rad: float = 0.0):
        return _spectral.spectral_solve(J, spectrum, basis, s, b_re, b_im, s_rad=s_rad)

    def mid_blocks(self, M, rows: list[int], cols: list[int]):
        return M.mid_block  # a BlockBall (see block_matrix) keeps its blocks apart

    def to_arb(self, x: Ball) -> arb:
        return arb(float(x.mid), float(x.rad)) if x.rad else arb(float(x.mid))

    def point(self, x) -> Ball:
        return x if isinstance(x, Ball) else Ball(np.asarray(x, dtype=np.float64))

    def ball(self, mid, rad) -> Ball:
        return Ball(mid, rad)

    def block(self, rows) -> Ball:
        return _balls.block(rows)

    def concatenate(self, parts) -> Ball:
        return _balls.concatenate(parts)

    def norm_inf_upper(self, x: Ball) -> float:
        return _balls.norm_inf_upper(x)

    def defect_bound(self, A: np.ndarray, M0, real_form: bool = False) -> _blocks.DefectBound:
        return _blocks.DefectBound(A, M0, real_form=real_form)

    def block_matrix(self, rows: list[list]) -> _blocks.BlockBall:
        return _blocks.BlockBall(rows)

    def scaled_eye(self, w, n: int) -> Ball:
        # products with 1 and 0 are exact: the entries are w itself and exact zeros
        w = self.point(w)
        eye = np.eye(n)
        return Ball._of(eye * w.mid, eye * w.rad, w.exact)

    def shift_diagonal(self, M, a) -> Ball:
        # only the diagonal changes (rigorously, as a vector of balls); the rest is copied
        M = self.point(M)
        d = Ball(np.diagonal(M.mid).copy(), np.diagonal(M.rad).copy()) + a
        mid, rad = M.mid.copy(), M.rad.copy()
        np.fill_diagonal(mid, d.mid)
        np.fill_diagonal(rad, d.rad)
        return Ball._of(mid, rad, False)

    def shifted(self, M, a) -> _balls.ShiftedMatrix:
        return _balls.ShiftedMatrix(self.point(M), self.point(a))

    def affine(self, M, x, b=None) -> Ball:
        return _balls.affine(M, x, b)

    def inner(self, M, x, b=None) -> np.ndarray:
        hi, lo, rad = _balls.affine_parts(M, x, b)
        with ctx.workprec(self.prec):
            return np.array([arb(h) + arb(low) + arb(0, r) for h, low, r in zip(hi.tolist(), lo.tolist(),
                                                                               rad.tolist(), strict=True)],
                            dtype=object)

    def from_arb(self, values: np.ndarray) -> Ball:
        """The Arb balls ``m ± r`` as float balls ``fl(m) ± (r + 2 u |fl(m)|)`` rounded up: ``fl(m)`` is within an
        ulp (``<= 2 u |fl(m)|``) of ``m`` in any rounding mode, ``r`` (30 significant bits) converts exactly,
        and the absolute errors of gradual underflow are covered by :func:`~neurodyn.validated.balls.upper`."""
        values = np.asarray(values, dtype=object)
        flat = values.ravel().tolist()
        mid = np.array([float(v.mid()) for v in flat], dtype=np.float64).reshape(values.shape)
        rad = np.array([float(v.rad()) for v in flat], dtype=np.float64).reshape(values.shape)
        return Ball(mid, _balls.upper(rad + 2 * _balls.U * np.abs(mid), 2))

    def tanh_derivatives(self, y: Ball, orders) -> list[Ball]:
        y = self.point(y)
        with ctx.workprec(self.prec):
            t = [_arb.tanh(arb(m, r)) for m, r in zip(y.mid.ravel().tolist(), y.rad.ravel().tolist(), strict=True)]
            return [self.from_arb(np.array([_tanh_derivative(v, k) for v in t], dtype=object)).reshape(y.shape)
                    for k in orders]


class ArbBackend(Backend):
    """Arb balls at ``prec`` bits (the reference backend)."""

    name = "arb"

    def __init__(self, prec: int = 256):
        self.prec = int(prec)

    def point(self, x) -> ArbArray:
        return x if isinstance(x, ArbArray) else ArbArray.point(x, self.prec)

    def ball(self, mid, rad) -> ArbArray:
        return ArbArray.ball(mid, rad, self.prec)

    def block(self, rows) -> ArbArray:
        return _arb.block(rows, self.prec)

    def concatenate(self, parts) -> ArbArray:
        return _arb.concatenate(parts, self.prec)

    def norm_inf_upper(self, x: ArbArray) -> float:
        return _arb.norm_inf_upper(x)

    def to_arb(self, x: ArbArray) -> arb:
        return x.a.item() if isinstance(x.a, np.ndarray) else x.a

    def from_arb(self, values: np.ndarray) -> ArbArray:
        return ArbArray(np.asarray(values, dtype=object), self.prec)

    def tanh_derivatives(self, y: ArbArray, orders) -> list[ArbArray]:
        t = self.point(y).map(_arb.tanh)
        return [t.map(lambda v, k=k: _tanh_derivative(v, k)) for k in orders]

    def __repr__(self) -> str:
        return f"ArbBackend(prec={self.prec})"


def get_backend(backend) -> Backend:
    """``"fast"``, ``"arb"`` (256 bits), ``"arb:<bits>"``, or a :class:`Backend` instance."""
    if isinstance(backend, Backend):
        return backend
    if backend == "fast":
        return FastBackend()
    if isinstance(backend, str) and backend.split(":")[0] == "arb":
        bits = backend.split(":")[1] if ":" in backend else "256"
        if bits.isdigit() and int(bits) >= 53:
            return ArbBackend(int(bits))
    raise InvalidInputError(f"unknown interval backend {backend!r}: use 'fast' (float64 balls, large n), 'arb' "
                            "(Arb at 256 bits, the reference) or 'arb:<bits>' with bits >= 53")
