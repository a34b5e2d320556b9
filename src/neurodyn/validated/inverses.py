"""Approximate inverses for the Hopf proof (:func:`neurodyn.prove_hopf`) from a float eigen-decomposition
``J ~ X diag(lam) R``: the extended system's, the left-eigenvector system's and ``J``'s, each for a few BLAS
products instead of a dense inversion. Any approximate inverse is sound: the proof bounds its defect.
"""

from __future__ import annotations

import numpy as np

from neurodyn.validated.balls import _finite
from neurodyn.validated.blocks import _bands
from neurodyn.validated.linalg import real_form


class Inverses:
    """Approximate inverses from the eigenbasis ``J ~ X diag(lam) R`` at the Hopf point: ``P = (Re, Im)``, the
    inverse of ``J - i omega`` off its critical eigenvalue ``lam[k] ~ i omega`` (``X diag(1 / (lam - i omega)) R``
    without term ``k``), ``J^{-1}`` (``Ji``, or None) and the extended Jacobian's (``A``, or None)."""

    def __init__(self, basis, P, k, Ji=None, A=None):
        self.basis, self.X, self.R, self.P, self.k, self.Ji, self.A = basis, basis.X, basis.R, P, k, Ji, A

    @classmethod
    def of(cls, basis, lam: np.ndarray, w: float) -> Inverses | None:
        if basis.R is None:
            return None
        mu = lam - 1j * w
        k = int(np.argmin(np.abs(mu)))
        inv_mu = np.divide(1.0, mu, out=np.zeros_like(mu), where=mu != 0)
        inv_mu[k] = 0
        return cls(basis, basis.combine(inv_mu), k)


def _subtract_product(M: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
    """``M -= U @ V`` in place for a low-rank product (``U`` of few columns), band by band: no temporary the
    size of ``M`` (whose fresh pages cost the kernel more time than the update costs to compute)."""
    for band in _bands(len(M), M.shape[1]):
        M[band] -= U[band] @ V


def _real_column(y: np.ndarray) -> np.ndarray:
    """The ``2n x 2`` real form of the complex column ``y`` (acting on a complex scalar as ``(re, im)``)."""
    return np.stack([np.concatenate([y.real, y.imag]), np.concatenate([-y.imag, y.real])], axis=1)


def extended_inverse(part, basis, lam: np.ndarray, n: int, w: float, out: np.ndarray | None = None
                     ) -> Inverses | None:
    """An approximate inverse of the extended system's Jacobian ``M`` (float; unknowns ``(x, a, Re v, Im v,
    omega)``, rows ``(F, Re, Im, normalisation)``; ``part(i, j)`` its blocks, see ``hopf._cuts``) from the
    eigenbasis of its block ``J``, for ``O(n^3)`` BLAS
    products instead of a ``(3n + 2)``-square inversion; None when ``J`` or the critical ``2 x 2`` system is
    singular. Any approximate inverse is sound (the proof bounds its defect).

    Eliminating ``x``: ``M = [[J, f e_a^T], [H, K]]`` and ``M^{-1} = [[Ji + Ji f e_a^T S^-1 H Ji, -Ji f e_a^T
    S^-1], [-S^-1 H Ji, S^-1]]`` with the Schur complement ``S = K - H Ji f e_a^T`` (``K`` with its ``a`` column
    ``b_a`` taken along the equilibrium branch). ``S`` is the bordered system ``(J - i omega) dv + b_a da + b_w
    domega = rho``, ``c^H dv = rho'`` (complex ``dv``, real ``da``, ``domega``): the left eigenvector ``r_k`` of
    the critical eigenvalue annihilates ``J - i omega``, so ``r_k (b_a da + b_w domega) = r_k rho`` (two real
    equations) gives ``(da, domega)``; then ``dv = P (rho - b_a da - b_w domega) + x_k t`` with ``t`` fixed by the
    normalisation. This is ``S^-1`` exactly when ``lam_k = i omega``.

    ``out``: a ``(3n + 2)``-square array to write the inverse into (reused from point to point of a list).
    """
    inv = Inverses.of(basis, lam, w)
    if inv is None or not np.all(lam != 0):
        return None
    X, R, P, k = inv.X, inv.R, inv.P, inv.k
    Ji = basis.combine(1 / lam, imag=False)[0]  # J^{-1} = X diag(1 / lam) R, real for real J
    f, H_re, H_im = part(0, 1)[:, 0], part(1, 0), part(2, 0)
    Jif = Ji @ f
    HJi = np.concatenate([H_re, H_im, np.zeros((2, n))]) @ Ji if H_re.any() or H_im.any() else None
    b_a = np.concatenate([part(i, 1)[:, 0] for i in (1, 2, 3)]) - (0.0 if HJi is None else HJi @ f)
    b_a, b_w = b_a[:n] + 1j * b_a[n:2 * n], part(1, 4)[:, 0] + 1j * part(2, 4)[:, 0]
    rk, xk = R[k], X[:, k]
    ta, tw = rk @ b_a, rk @ b_w
    T = np.array([[ta.real, tw.real], [ta.imag, tw.imag]])
    C = np.concatenate([part(3, 2), part(3, 3)], axis=1)  # the normalisation rows, acting on (Re dv, Im dv)
    Xk = _real_column(xk)
    try:
        G = np.linalg.solve(T, np.stack([np.concatenate([rk.real, -rk.imag]), np.concatenate([rk.imag, rk.real])]))
        XH = Xk @ np.linalg.inv(C @ Xk)
    except np.linalg.LinAlgError:
        return None
    B = np.stack([np.concatenate([b_a.real, b_a.imag]), np.concatenate([b_w.real, b_w.imag])], axis=1)
    # written in place, the rank-2 updates band by band: these (3n + 2)-square passes cost as much as the products
    A = np.empty((3 * n + 2, 3 * n + 2)) if out is None else out
    S_inv = A[n:, n:]  # rows (a, Re v, Im v, omega), columns (Re, Im, normalisation)
    S_inv[0, :2 * n], S_inv[-1, :2 * n] = G
    S_inv[0, 2 * n:] = S_inv[-1, 2 * n:] = 0.0
    dv = S_inv[1:2 * n + 1, :2 * n]  # Q = P (I - B G) in real form, then dv = Q - XH C Q
    real_form(P, out=dv)
    _subtract_product(dv, dv @ B, G)
    _subtract_product(dv, XH, C @ dv)
    S_inv[1:2 * n + 1, 2 * n:] = XH
    np.multiply.outer(-Jif, S_inv[0], out=A[:n, n:])
    if HJi is None:
        A[n:, :n] = 0.0
        A[:n, :n] = Ji
    else:
        np.matmul(S_inv, -HJi, out=A[n:, :n])
        np.multiply.outer(Jif, -A[n, :n], out=A[:n, :n])
        A[:n, :n] += Ji
    if not _finite(A):
        return None
    inv.Ji, inv.A = Ji, A
    return inv


def bordered_inverse(inv: Inverses, q: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """An approximate inverse of ``[[J^T + i w I, q], [q^H, 0]]`` (real form) from ``J - i w ~ X diag(mu) R``.

    ``J^T + i w = (J - i w)^H = U diag(conj mu) V`` with ``U = R^H``, ``V = X^H``, and ``mu_k ~ 0`` the critical
    eigenvalue: if ``mu_k = 0`` exactly, the inverse is ``[[(I - u q^H / g) P' (I - q a^T), u / g], [a^T, 0]]``
    with ``P' = sum_{j != k} u_j v_j^T / conj(mu_j) = P^H``, ``u = U e_k``, ``v = V^T e_k``, ``g = q^H u``,
    ``a = v / (v^T q)`` (project the first block row on ``v`` and the rest on the other ``v_j``). Any approximate
    inverse is sound (the solve bounds its defect); this one costs ``O(n^2)`` given ``P``. ``out``: a
    ``(2n + 2)``-square array to write it into.
    """
    n = len(q)
    C = np.zeros((n + 1, n + 1), dtype=np.complex128)
    P = C[:n, :n]  # P^H, then minus the rank-2 term u (qP - (qP q) a) / g + Pq a
    P.real, P.imag = inv.P[0].T, -inv.P[1].T
    u, v = inv.R[inv.k].conj(), inv.X[:, inv.k].conj()
    g = np.vdot(q, u)
    a = v / (v @ q)
    qP, Pq = q.conj() @ P, P @ q
    _subtract_product(C[:n, :n], np.stack([u, Pq], axis=1), np.stack([(qP - (qP @ q) * a) / g, a]))
    C[:n, n], C[n, :n] = u / g, a
    return real_form(C, out=out)
