"""Verified linear algebra on either backend: the existence-and-uniqueness theorem behind every proof, linear
solves, and eigenvalue enclosures. Each routine says the theorem it applies.

Norms are max norms (``|x|_inf``, max row sums for matrices) throughout.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from flint import arb, ctx
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from neurodyn.validated.arb import float_up
from neurodyn.validated.balls import Ball, gamma, sum_upper, upper
from neurodyn.validated.blocks import defect_norm_upper


@dataclass(frozen=True)
class Existence:
    """The outcome of :func:`existence_and_uniqueness`: ``ok`` with radii, or the failing bound in ``reason``."""

    ok: bool
    Y: float
    Z: float
    r_min: float
    r_max: float
    reason: str = ""


def existence_and_uniqueness(bk, A: np.ndarray, G0, jacobian_over, scale: float, center=None) -> Existence:
    """Newton–Kantorovich in the Krawczyk form used by radii-polynomial proofs.

    With ``A`` an approximate inverse of ``DG(z̄)``, ``Y >= |A G(z̄)|`` and ``Z >= sup |I - A DG(z)|`` over the
    ball ``B(z̄, r*)``: if ``Y + Z r* < r*`` (so ``Z < 1``), then ``T(z) = z - A G(z)`` maps ``B(z̄, r*)`` into
    itself as a contraction, ``A`` is injective and ``G`` has exactly one zero in ``B(z̄, r*)``, which lies in
    ``B(z̄, r_min)`` with ``r_min = Y / (1 - Z)``. The radii polynomial is ``p(r) = Y + (Z - 1) r`` with ``Z``
    taken at ``r*``; ``r*`` is tried from large to small (``1e-5`` and ``1e-8`` times ``1 + scale``, then
    ``100 Y``), each try one interval product, and the largest that works is the uniqueness radius.

    ``G0`` is an interval enclosure of ``G(z̄)``; ``jacobian_over(r)`` an interval enclosure of ``DG`` over
    ``B(z̄, r)``; ``center``: an enclosure of ``DG`` near ``z̄`` (e.g. the one ``A`` came from) whose midpoint
    every ``Z`` is formed around (default: the first ``jacobian_over(r)``).
    """
    bound = None if center is None else bk.defect_bound(A, center)
    Y = bk.norm_inf_upper(bk.point(A) @ G0) if bound is None else bound.image_norm_upper(G0)
    if not np.isfinite(Y):
        return Existence(False, Y, np.inf, np.inf, 0.0, f"the residual bound Y = {Y} is not finite")
    last = Existence(False, Y, np.inf, np.inf, 0.0, "no radius r* > Y to try")
    # A DG(z̄) is formed once; the enclosures over smaller balls are recentred on its midpoint
    for r in sorted({1e-5 * (1 + scale), 1e-8 * (1 + scale), 100 * Y}, reverse=True):
        if not r > Y:
            continue
        DG = jacobian_over(r)
        bound = bound or bk.defect_bound(A, DG)
        Z = bound(DG)
        with ctx.workprec(128):
            if Z < 1 and arb(Y) + arb(Z) * arb(r) < arb(r):
                return Existence(True, Y, Z, float_up(arb(Y) / (1 - arb(Z))), r)
        last = Existence(False, Y, Z, np.inf, 0.0,
                         f"Y + Z r* < r* fails at r* = {r:.3g}: Y = {Y:.3g}, Z = {Z:.3g} (Z must be < 1 - Y/r*)")
    return last


def approximate_inverse(M: np.ndarray) -> np.ndarray | None:
    """A float approximate inverse (any accuracy is sound: the proofs bound its defect rigorously), or ``None``
    when ``M`` is numerically singular."""
    try:
        R = torch.linalg.inv(torch.from_numpy(np.ascontiguousarray(M))).numpy()
    except RuntimeError:  # torch reports a singular matrix this way
        return None
    return R if np.all(np.isfinite(R)) else None


def verified_solve(bk, M, b, inverse: np.ndarray | None = None, real_form: bool = False):
    """An interval enclosure of every solution of ``M' x = b'`` with ``M' in M``, ``b' in b`` (a vector, or a
    matrix of right-hand sides), or ``None`` when the preconditioned matrix is not provably invertible.

    With ``R`` an approximate inverse of ``mid M`` (``inverse``, or computed), ``x̃ = R mid(b)`` and
    ``delta >= |I - R M|`` (all members): if ``delta < 1`` every ``M'`` is invertible and
    ``|x' - x̃| <= |R (b - M x̃)| / (1 - delta)`` (a Neumann series bound), column by column. ``real_form``: ``M`` and
    ``R`` may be real forms of complex matrices (a hint for speed, see ``Backend.defect_bound``).
    """
    R = approximate_inverse(M.mid) if inverse is None else inverse
    if R is None:
        return None
    x = R @ b.mid
    bound = bk.defect_bound(R, M, real_form=real_form)
    delta = bound(M)
    with ctx.workprec(128):
        if not delta < 1:
            return None
        worst = bound.image_norm_upper(b - M @ x)
        err = np.array([float_up(arb(float(d)) / (1 - arb(delta))) for d in np.ravel(worst)])
    return bk.ball(x, np.broadcast_to(err if x.ndim == 2 else err[0], x.shape))


class EigenBases:
    """Float eigenvector matrices ``X`` (of ``mid J``) and approximate inverses ``R ~ X^{-1}``, the last one kept
    and reused for a matrix that differs from it by a multiple of the identity up to rounding (the same
    eigenvectors: e.g. the Hopf points on the ``x = 0`` branch of ``tanh((A + alpha I) x)``, whose Jacobians are
    ``A + alpha I``). Any ``X`` gives a rigorous enclosure; a good one gives tight discs."""

    def __init__(self):
        self._M = self._basis = self._lam = None

    def __call__(self, M: np.ndarray) -> Basis:
        return self.decompose(M)[0]

    def decompose(self, M: np.ndarray) -> tuple[Basis, np.ndarray]:
        """The basis for ``M`` and float approximations of ``M``'s eigenvalues, in the order of ``X``'s columns."""
        if self._M is not None and self._M.shape == M.shape:
            D = M - self._M
            shift = np.diagonal(D).copy()
            np.fill_diagonal(D, 0.0)
            tol = 64 * np.finfo(np.float64).eps * float(np.abs(M).max())
            if float(np.abs(D).max()) <= tol and float(np.ptp(shift)) <= tol:
                return self._basis, self._lam + float(np.mean(shift))
        try:  # numpy's LAPACK: torch 2.13's CPU eig corrupts the heap on some graded matrices (entries 1e-250..1)
            lam, X = np.linalg.eig(M)
            basis = Basis(X.astype(np.complex128), approximate_inverse(X.astype(np.complex128)))
            lam = lam.astype(np.complex128)
        except np.linalg.LinAlgError:  # the QR iteration did not converge: no basis (spectra are then refused)
            lam, basis = np.full(len(M), np.nan + 0j), Basis(np.eye(len(M), dtype=np.complex128), None)
        self._M, self._lam, self._basis = M.copy(), lam, basis
        return basis, lam


def real_form(C, out: np.ndarray | None = None) -> np.ndarray:
    """``[[Re C, -Im C], [Im C, Re C]]``: ``C`` (a complex matrix, or its real and imaginary parts as a pair) acting
    on complex vectors stacked as ``(re; im)`` (written into ``out``, a ``(2n, 2m)`` array, if given)."""
    re, im = (C.real, C.imag) if isinstance(C, np.ndarray) else C
    n, m = re.shape
    out = np.empty((2 * n, 2 * m)) if out is None else out
    out[:n, :m] = out[n:, m:] = re
    out[n:, :m] = im
    np.negative(im, out=out[:n, m:])
    return out


class Basis:
    """``X``, ``R ~ X^{-1}`` (None when ``X`` is numerically singular) and, computed once, their contiguous real
    and imaginary parts and ``delta >= |I - R X|`` (max row sum of moduli, bounded through the real form)."""

    def __init__(self, X: np.ndarray, R: np.ndarray | None):
        self.X, self.R = X, R

    @functools.cached_property
    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(Re X, Im X, Re R, Im R)``, contiguous for BLAS."""
        return tuple(np.ascontiguousarray(a) for a in (self.X.real, self.X.imag, self.R.real, self.R.imag))

    @functools.cached_property
    def abs_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(|Re R|, |Im R|)``."""
        return tuple(np.abs(a) for a in self.parts[2:])

    @functools.cached_property
    def abs_R(self) -> np.ndarray:
        """Upper bounds of ``|R|`` entrywise (``|z| <= |Re z| + |Im z|``)."""
        return upper(self.abs_parts[0] + self.abs_parts[1], 1)

    @functools.cached_property
    def abs_X_rows(self) -> np.ndarray:
        """Upper bounds of the row sums of ``|Re X| + |Im X|`` (the real-form norm of ``X``, row by row)."""
        Xr, Xi = self.parts[:2]
        return sum_upper(upper(np.abs(Xr) + np.abs(Xi), 1), axis=1)

    @functools.cached_property
    def delta(self) -> float:
        return defect_norm_upper(real_form(self.R), Ball(real_form(self.X)), real_form=True)

    @functools.cached_property
    def pairs(self):
        """``(first, real, Xh, Rr, Ri, Rreal)`` when ``X``'s columns are real vectors and exactly conjugate pairs
        in adjacent columns (as LAPACK returns them for a real matrix): ``first`` the first column of each pair,
        ``real`` the real columns, ``Xh = [Re X_first, Im X_first, X_real]`` and the matching rows of ``R``;
        else None."""
        X, n = self.X, len(self.X)
        is_real = ~self.X.imag.any(axis=0)
        first, k = [], 0
        while k < n:
            if is_real[k]:
                k += 1
            elif k + 1 < n and np.array_equal(X[:, k + 1], X[:, k].conj()):
                first.append(k)
                k += 2
            else:
                return None
        first, real = np.array(first, dtype=np.intp), np.flatnonzero(is_real)
        Xr, Xi, Rr, Ri = self.parts
        Xh = np.concatenate([Xr[:, first], Xi[:, first], Xr[:, real]], axis=1)
        return first, real, Xh, Rr[first], Ri[first], Rr[real]

    def combine(self, d: np.ndarray, imag: bool = True):
        """``(Re, Im)`` of ``X diag(d) R`` (``Im`` None unless ``imag``) for a complex vector ``d`` in the order of
        ``X``'s columns: an approximate inverse such as ``(J - s I)^{-1} ~ X diag(1 / (lam - s)) R``.

        For a real matrix the eigenvectors come in conjugate pairs ``x, conj(x)``, and the pair's terms
        ``d x r + d' conj(x) conj(r)`` are real combinations of ``Re x``, ``Im x`` and ``Re r``, ``Im r`` (with the
        row of ``R`` for ``conj(x)`` taken as the conjugate of ``x``'s: ``R`` is only an approximate inverse
        anyway). So each part is one real product of order ``n`` (``2 n^3`` operations) instead of the complex
        product's ``8 n^3``. Without that structure, the complex product."""
        if self.pairs is None:
            M = (self.X * d) @ self.R
            return np.ascontiguousarray(M.real), (np.ascontiguousarray(M.imag) if imag else None)
        first, real, Xh, Rr, Ri, Rreal = self.pairs
        a, b, a2, b2 = d[first].real, d[first].imag, d[first + 1].real, d[first + 1].imag

        def right(p, q, c):  # rows multiplying Re x, Im x of each pair and the real x: (Re d + i Im d)-weighted
            return np.concatenate([p[:, None] * Rr + q[:, None] * Ri, q[:, None] * Rr - p[:, None] * Ri,
                                   c[:, None] * Rreal])

        # d x r + d' conj(x r) = (a + a') Re(x r) + (b' - b) Im(x r) + i ((b + b') Re(x r) + (a - a') Im(x r))
        re = Xh @ right(a + a2, b2 - b, d[real].real)
        return re, (Xh @ right(b + b2, a - a2, d[real].imag) if imag else None)


@dataclass(frozen=True)
class Spectrum:
    """Gershgorin discs ``|lambda - centers[k]| <= radii[k]`` whose union holds every eigenvalue of every matrix
    in the interval matrix; ``component[k]`` labels the connected components of the union (a component of ``m``
    discs holds exactly ``m`` eigenvalues, counted with multiplicity). ``X`` and ``R`` are the float
    eigenvector matrix and its approximate inverse used (``J ~ X diag(centers) R``)."""

    centers: np.ndarray
    radii: np.ndarray
    component: np.ndarray
    delta: float
    X: np.ndarray
    R: np.ndarray

    def as_array(self) -> np.ndarray:
        return np.stack([self.centers.real, self.centers.imag, self.radii], axis=1)

    def real_upper(self) -> np.ndarray:
        return np.nextafter(self.centers.real + self.radii, np.inf)

    def real_lower(self) -> np.ndarray:
        return np.nextafter(self.centers.real - self.radii, -np.inf)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.component)[self.component]


def _complex_product(bk, Rr, Ri, Pr, Pi):
    """``(R P)`` for a complex point matrix ``R`` and complex interval ``P``, as two real products."""
    stacked = bk.block([[Pr], [Pi]])
    return bk.point(np.hstack([Rr, -Ri])) @ stacked, bk.point(np.hstack([Ri, Rr])) @ stacked


def spectrum_enclosure(bk, J, bases: EigenBases | Basis | None = None) -> Spectrum | None:
    """Gershgorin discs for ``X^{-1} J' X`` over all ``J'`` in the interval matrix ``J``, with ``X`` the float
    eigenvector matrix of ``mid J`` or of a matrix that differs from it by a multiple of the identity (a
    verified diagonalisation; see :class:`EigenBases`).

    ``R = inv(X)`` is only approximate: with ``delta >= |I - R X|`` < 1, ``X^{-1} B - R B = ((R X)^{-1} - I) R B``
    has max-norm at most ``eps = delta / (1 - delta) |R B|``, so row ``k`` of ``X^{-1} J' X`` is row ``k`` of some
    member of the interval ``R (J X)`` plus a vector of 1-norm ``<= eps``. Complex moduli are bounded by
    ``|re| + |im|``. ``None`` when ``X`` is too ill-conditioned (``delta >= 1``: a defective or nearly defective
    matrix). ``bases`` supplies ``X`` (and keeps it for the next call), or is the basis to use as it is (one
    computed for a nearby matrix: any ``X`` is sound).
    """
    basis = bases if isinstance(bases, Basis) else (bases or EigenBases())(J.mid)
    if basis.R is None:
        return None
    return bk.spectrum_in_basis(J, basis)


def spectrum_by_products(bk, J, basis: Basis) -> Spectrum | None:
    """:func:`spectrum_enclosure` for any backend: the interval products ``R X`` and ``R (J X)`` in full."""
    X, R = basis.X, basis.R
    Xr, Xi, Rr, Ri = X.real, X.imag, R.real, R.imag
    n = len(X)
    Er, Ei = _complex_product(bk, Rr, Ri, bk.point(Xr), bk.point(Xi))
    delta = float(np.max(sum_upper((np.eye(n) - Er).abs_upper() + Ei.abs_upper(), axis=1)))
    if not delta < 1:
        return None
    Cr, Ci = _complex_product(bk, Rr, Ri, J @ Xr, J @ Xi)
    mod = Cr.abs_upper() + Ci.abs_upper()
    with ctx.workprec(128):
        eps = float_up(arb(float(np.max(sum_upper(mod, axis=1)))) * arb(delta) / (1 - arb(delta)))
    diag = np.arange(n)
    off = mod.copy()
    off[diag, diag] = _diagonal_radius(Cr, Ci, diag)
    radii = sum_upper(off, axis=1) + eps
    radii = np.nextafter(radii, np.inf)
    centers = Cr.mid[diag, diag] + 1j * Ci.mid[diag, diag]
    if not (np.all(np.isfinite(centers)) and np.all(np.isfinite(radii))):
        return None
    return Spectrum(centers, radii, disc_components(centers, radii), delta, X, R)


def spectrum_by_row_sums(J: Ball, basis: Basis) -> Spectrum | None:
    """:func:`spectrum_enclosure` for float64 balls with three complex BLAS products and matrix-vector products.

    Gershgorin discs need only the diagonal of ``R J' X`` and its off-diagonal row sums, so the radii of the
    products are carried as row sums (``|z| <= |re z| + |im z|`` throughout): with ``P = fl(mJ X)``,
    ``|J' X - P| <= (gamma_n |mJ| + rJ) |X|``, and with ``C = fl(R P)`` (inner dimension ``2n`` in real form),
    ``|R J' X - C| <= gamma_2n |R| |P| + |R| (gamma_n |mJ| + rJ) |X|``, whose row sums are matrix-vector products.
    ``delta >= |I - R X|`` comes from the real form ``[[Re, -Im], [Im, Re]]`` of the product, whose row sums are
    exactly the sums of ``|re| + |im|``.
    """
    X, R = basis.X, basis.R
    n = len(X)
    Xr, Xi, Rr, Ri = basis.parts
    delta = basis.delta
    if not delta < 1:
        return None
    rho = upper(upper(gamma(n) * np.abs(J.mid) + J.rad, 2) @ basis.abs_X_rows, n + 1)  # rows of |J'X - P|
    if basis.pairs is None:
        Pr, Pi = J.mid @ Xr, J.mid @ Xi
        Cr, Ci = Rr @ Pr - Ri @ Pi, Ri @ Pr + Rr @ Pi
        absP = sum_upper(upper(np.abs(Pr) + np.abs(Pi), 1), axis=1)
    else:
        Cr, Ci, absP = pair_products(J.mid, basis)
    rad_rows = upper(basis.abs_R @ upper(gamma(2 * n) * absP + rho, 2), n + 1)  # rows of |R J' X - C|
    mod = upper(np.abs(Cr) + np.abs(Ci), 1)
    diag = np.arange(n)
    norm = float(np.max(upper(sum_upper(mod, axis=1) + rad_rows, 1)))
    with ctx.workprec(128):
        eps = float_up(arb(norm) * arb(delta) / (1 - arb(delta)))
    mod[diag, diag] = 0.0
    radii = np.nextafter(upper(sum_upper(mod, axis=1) + rad_rows + eps, 2), np.inf)
    centers = Cr[diag, diag] + 1j * Ci[diag, diag]
    if not (np.all(np.isfinite(centers)) and np.all(np.isfinite(radii))):
        return None
    return Spectrum(centers, radii, disc_components(centers, radii), delta, X, R)


def pair_products(mJ: np.ndarray, basis: Basis):
    """``C = fl(R fl(mJ X))`` (real and imaginary parts) and the row sums of ``|Re P| + |Im P|`` for ``P = fl(mJ X)``,
    when ``X``'s columns are conjugate pairs and real vectors: ``P``'s column for ``conj(x)`` is the conjugate of
    ``x``'s (``fl(-a) = -fl(a)``), and ``C``'s columns for a pair are sums and differences of the same two
    products, so two real products of order ``n`` replace six. Every entry is still a float evaluation of the
    real-form product's sum (inner dimension ``2n``), so its a-priori rounding bound applies."""
    first, real, Xh = basis.pairs[:3]
    Rr, Ri = basis.parts[2:]
    m, n = len(first), len(mJ)
    JX = mJ @ Xh  # columns: J Re x, J Im x (one per pair), J x (real x)
    RrP, RiP = Rr @ JX, Ri @ JX
    a, b, c = slice(0, m), slice(m, 2 * m), slice(2 * m, None)
    Cr, Ci = np.empty((n, n)), np.empty((n, n))
    Cr[:, first], Cr[:, first + 1] = RrP[:, a] - RiP[:, b], RrP[:, a] + RiP[:, b]
    Ci[:, first], Ci[:, first + 1] = RiP[:, a] + RrP[:, b], RiP[:, a] - RrP[:, b]
    Cr[:, real], Ci[:, real] = RrP[:, c], RiP[:, c]
    weights = np.concatenate([np.full(2 * m, 2.0), np.ones(n - 2 * m)])  # each pair's columns twice (exact)
    return Cr, Ci, upper(np.abs(JX) @ weights, n + 1)


def _diagonal_radius(Cr, Ci, diag) -> np.ndarray:
    # |entry - float(mid)| <= rad + |mid - float(mid)|, bounded via abs_upper of the difference
    return (Cr[diag, diag] - Cr.mid[diag, diag]).abs_upper() + (Ci[diag, diag] - Ci.mid[diag, diag]).abs_upper()


def disc_components(centers: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Connected components of the union of discs (touching or nearly touching discs are joined: merging more
    only weakens what is claimed). Only pairs whose real parts are within reach are compared: discs sorted by
    real part, each against the following ones up to its radius plus the largest radius away."""
    n = len(centers)
    order = np.argsort(centers.real, kind="stable")
    c, r = centers[order], radii[order]
    slack = lambda d: d * (1 + 1e-12) + 1e-300  # noqa: E731
    ends = np.searchsorted(c.real, c.real + slack(r + (r.max() if n else 0.0)), side="right")
    counts = np.maximum(ends - np.arange(n) - 1, 0)
    i = np.repeat(np.arange(n), counts)
    j = i + 1 + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    near = np.abs(c[i] - c[j]) <= slack(r[i] + r[j])
    graph = csr_matrix((np.ones(int(near.sum()), dtype=bool), (order[i[near]], order[j[near]])), shape=(n, n))
    return connected_components(graph, directed=False)[1]
