"""A weighted logarithmic-norm certificate for a deflated fast block, and Rump's proof of positive definiteness.

The Euclidean logarithmic norm of a non-normal fast block lies well right of its spectral abscissa (for a block
``-(I + 0.2 G / sqrt(m)) / eps`` with ``G`` standard normal, about ``sqrt 2`` times the disc's radius), so it often
cannot show that no fast eigenvalue lies right of the slowest computed one. In the metric ``<x, y>_K = x^T K y``
of a basis ``V`` that diagonalises a nearby matrix, ``K = V^{-T} V^{-1}``, the logarithmic norm of that matrix is
its spectral abscissa (Lyapunov: ``K A + A^T K <= 2 alpha(A) K`` for diagonalisable ``A``), and it moves by at
most ``kappa(V) ||A' - A||`` for a neighbour ``A'``. Along a trajectory, one reference state's eigenvectors
therefore certify the states near it; a state where the certificate fails gets a new reference.

The statement proved, for a computed ``Q (n, p)`` with ``R = J Q - Q H`` and any stored ``Zo (n, p)`` with
``Zo^T Q`` invertible: ``J~ = J - R (Zo^T Q)^{-1} Zo^T`` has ``J~ Q = Q H`` (the eigenvalues of ``H``) and its
other eigenvalues are those of ``x -> Pi J x`` on ``Zo^perp`` (``Pi = I - Q (Zo^T Q)^{-1} Zo^T``). For such an
eigenpair ``(l, x)``, ``||x|| = 1``: ``l x^* K x = x^* K J x - x^* K Q (Zo^T Q)^{-1} Zo^T J x``, and
``|x^* K Q| = |x^* (K Q - Zo C)| <= e`` for any ``C`` (``Zo^T x = 0``). So ``Re l < c`` whenever ``K`` is positive
definite and ``x^T (2 c K - K J - J^T K) x > 2 e beta ||Zo||_2 ||J||_2`` on ``Zo^perp``
(``beta >= ||(Zo^T Q)^{-1}||_2``), which holds when ``M = 2 c K - K J - J^T K + a Zo Zo^T - 2 e beta ||Zo||_2
||J||_F I`` is positive definite: one Cholesky.
``Zo`` is an orthonormal basis of the computed ``K Q`` (so ``e`` is of the order of rounding), and
``||J~ - J||_2 <= ||R||_F beta ||Zo||_2``: a backward error of the Rayleigh-Ritz residual's order when ``K Q`` is
not nearly orthogonal to ``Q``.

Rounding: every float product and sum is bounded as in Higham, *Accuracy and Stability of Numerical
Algorithms* (2002), 2.5 and 3.5 (``|fl(A B) - A B| <= gamma_m |A| |B|`` for inner dimension ``m``,
``gamma_m = m u / (1 - m u)``), in Frobenius norms; positive definiteness of a float matrix shifted down by the
bound is proved by Rump's criterion (BIT 2006): :func:`proved_positive_definite`.

References: Soederlind, *The logarithmic norm. History and modern theory* (BIT 2006); Rump, *Verification of
positive definiteness* (BIT 2006); Stewart & Sun, *Matrix Perturbation Theory* (1990), V.2 (invariant subspaces).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dpotrf as potrf

from neurodyn.validated.balls import U, gamma  # unit roundoff; Higham's gamma_m, rounded up


def round_up(x: float) -> float:
    """The next float above ``x`` (an upper bound for a quantity computed to nearest within half an ulp)."""
    return float(np.nextafter(x, np.inf))


def proved_positive_definite(M: np.ndarray, delta: float) -> bool:
    """Whether every symmetric matrix within ``delta`` (2-norm) of the float symmetric ``M`` (its upper triangle is
    read: a bound on ``M``'s error must hold for both triangles) is positive definite, proved in floating point;
    ``M`` (C-ordered) is overwritten.

    Rump's criterion (BIT 2006, Thm. 2.3 with the proof's ``||Delta|| <= gamma_{n+1}/(1 - gamma_{n+1}) tr``): if the
    float Cholesky factorisation of ``T``, equal to ``M`` off the diagonal and with ``T_ii <= M_ii - delta - r``
    (the subtraction rounded down with ``nextafter``), runs to completion, with
    ``r >= gamma_{n+1}/(1 - gamma_{n+1}) sum_i |M_ii| + 4 n u`` (the float trace rounded up by ``1 + 2 (n + 4) u``;
    the absolute term is far above the underflow terms), then ``T + r I``, and so ``M - delta I``, is positive
    definite.
    """
    n = M.shape[0]
    g = gamma(n + 1)
    with np.errstate(all="ignore"):
        rump = (g / (1 - g) * np.abs(np.diag(M)).sum() + 4 * n * U) * (1 + 2 * (n + 4) * U)
        shift = round_up(round_up(rump) + delta)
        M[np.diag_indices(n)] = np.nextafter(np.diag(M) - shift, -np.inf)
    # LAPACK's potrf in place on the transpose (Fortran order, no copy): it reads M's upper triangle and stops with
    # info > 0 at a pivot that is not positive; a NaN pivot passes that test, so the factor must also be finite
    # (Rump's theorem is about a factorisation that ran in finite arithmetic)
    with np.errstate(all="ignore"):
        info = potrf(M.T, lower=1, overwrite_a=1, clean=0)[1]
    return info == 0 and bool(np.isfinite(M).all())


def orthonormality_defect(Q: np.ndarray) -> float:
    """An upper bound ``eta >= ||Q^T Q - I||_2`` for a float ``Q (n, p)``: the float ``||Q^T Q - I||_F`` plus the
    rounding of ``Q^T Q`` (length-``n`` dot products: ``gamma_n |Q|^T |Q|``, Frobenius norm at most
    ``gamma_n ||Q||_F^2``) and of the subtraction. Then ``1 - eta <= sigma(Q)^2 <= 1 + eta``."""
    n, p = Q.shape
    return float(np.linalg.norm(Q.T @ Q - np.eye(p))) + 2 * (n + 2) * U * (float(np.sum(Q * Q)) + 1)


@dataclass(frozen=True)
class Metric:
    """A positive definite weight ``K`` for logarithmic norms (:func:`eigenvector_metric`).

    Attributes:
        K: ``(n, n)`` exactly symmetric float matrix, proved positive definite.
        norm: an upper bound on ``||K||_F``.
    """

    K: np.ndarray
    norm: float


def eigenvector_metric(values: np.ndarray, vectors: np.ndarray) -> Metric | None:
    """``K = T^T T``, ``T = V^{-1}`` for the real basis ``V`` of ``vectors (n, n)`` (a real eigenvector, or the
    real and imaginary parts of one vector of each conjugate pair of ``values``), scaled to ``max K_ii = 1``.

    In ``V``'s coordinates the matrix is block diagonal with normal ``1 x 1`` and ``2 x 2`` blocks, so its
    logarithmic norm in ``K`` equals its spectral abscissa (and so does that of its compression to a
    ``K``-orthogonal complement of leading eigenvectors). ``None`` when ``V`` is singular or ``K`` cannot be proved
    positive definite (:func:`proved_positive_definite`)."""
    cols = [vectors[:, i].real if values[i].imag == 0 else vectors[:, i].imag if values[i].imag < 0
            else vectors[:, i].real for i in range(len(values))]
    V = np.stack(cols, 1)
    try:
        T = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        return None
    K = T.T @ T
    K = 0.5 * (K + K.T)  # exactly symmetric: fl(a + b) = fl(b + a)
    K = K / np.abs(np.diag(K)).max()
    K = 0.5 * (K + K.T)
    if not (np.isfinite(K).all() and proved_positive_definite(K.copy(), 0.0)):
        return None
    n = K.shape[0]
    return Metric(K, round_up(float(np.linalg.norm(K)) * (1 + 2 * (n * n + 8) * U)))


def _cross_term(K: Metric, Q: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``Zo`` (an orthonormal basis of the float ``K Q``), ``e >= min_C ||K Q - Zo C||_2`` and
    ``beta >= ||(Zo^T Q)^{-1}||_2`` (``inf`` when not proved finite).

    ``e``: with ``Z0 = fl(K Q)`` and ``C = fl(Zo^T Z0)``, ``||K Q - Zo C|| <= ||K Q - Z0|| + ||Z0 - fl(Zo C)||
    + ||fl(Zo C) - Zo C||``, the first at most ``gamma_n ||K||_F ||Q||_F``, the last ``gamma_p ||Zo||_F ||C||_F``,
    the middle its float value over ``1 - u``. ``beta``: ``B = fl(Zo^T Q)`` is within
    ``gamma_n ||Zo||_F ||Q||_F`` of ``Zo^T Q``; ``sigma_min(B) >= s`` is proved by Rump's criterion on
    ``fl(B^T B) - s^2 I`` (formation error ``gamma_p ||B||_F^2``), ``s`` just below the SVD's value."""
    n, p = Q.shape
    Z0 = K.K @ Q
    Zo = np.linalg.qr(Z0)[0]
    C = Zo.T @ Z0
    nq, nz = float(np.linalg.norm(Q)), float(np.linalg.norm(Zo))
    e = (gamma(n) * K.norm * nq + float(np.linalg.norm(Z0 - Zo @ C)) / (1 - U)
         + gamma(p) * nz * float(np.linalg.norm(C)))
    e = round_up(e * (1 + 2 * (n * p + 16) * U))
    B = Zo.T @ Q
    s = 0.9 * float(np.linalg.svd(B, compute_uv=False).min())
    nb = float(np.linalg.norm(B)) * (1 + 2 * (p * p + 4) * U)
    G = B.T @ B
    G = 0.5 * (G + G.T)
    G[np.diag_indices(p)] -= s * s
    # the subtraction of s^2 rounds (u |diag|) and so do B^T B, its halving and s * s: all inside this bound
    if not (s > 0 and proved_positive_definite(G, round_up(4 * gamma(p + 2) * (nb * nb + s * s)))):
        return Zo, e, float("inf")
    sigma = s - gamma(n) * nz * nq * (1 + 2 * (n * p + 8) * U) - 4 * U * s
    return Zo, e, round_up(1 / sigma) * (1 + 4 * U) if sigma > 0 else float("inf")


def metric_below(A: np.ndarray, Q: np.ndarray, c: float, metric: Metric) -> float | None:
    """Whether every eigenvalue of ``J~ = J - R (Zo^T Q)^{-1} Zo^T`` (module docstring; ``A`` is ``J``) outside
    ``span(Q)`` has real part below ``c``, proved in floating point; returns a bound on
    ``beta ||Zo||_2`` (``||J~ - J||_2 <= ||J Q - Q H||_F`` times it) when proved, else ``None``.

    Formation of ``M`` (Frobenius norms): ``G = fl(K J)`` is within ``gamma_n ||K||_F ||J||_F`` of ``K J`` (twice:
    ``G`` and ``G^T``); ``fl(fl(2 c K) - G - G^T)`` within ``gamma_3 (2 |c| ||K||_F + 2 ||G||_F)`` of its exact
    value; ``fl(a fl(Zo Zo^T))`` within ``a gamma_p ||Zo||_F^2 + u ||Y||_F`` of ``a Zo Zo^T`` (``||Y||_F`` at most
    ``a ||Zo||_F^2`` up to the ``gamma_p`` term, whose ``u`` multiple the rounding-up factor covers); the sum within
    ``u ||M||_F``. The entrywise bounds are symmetric, so they hold for the symmetric matrix Cholesky reads."""
    n, p = Q.shape
    Zo, e, beta = _cross_term(metric, Q)
    norm_j = round_up(float(np.linalg.norm(A)) * (1 + 2 * (n * n + 8) * U))
    norm_z = round_up(np.sqrt(1 + orthonormality_defect(Zo)) * (1 + 4 * U))  # ||Zo||_2, in ||Zo^T J x||
    cross = round_up(2 * e * beta * norm_z * norm_j * (1 + 8 * U))
    if not np.isfinite(cross):
        return None
    G = metric.K @ A
    M = (2 * c) * metric.K
    M -= G
    M -= G.T
    a = 10 * float(np.linalg.norm(M)) + 1  # above ||M||_2: the added term dominates on span(Zo)
    Y = Zo @ Zo.T
    Y *= a
    M += Y
    terms = (2 * gamma(n) * metric.norm * norm_j + gamma(3) * (2 * abs(c) * metric.norm + 2 * float(np.linalg.norm(G)))
             + a * gamma(p) * float(np.sum(Zo * Zo)) + U * (a * float(np.sum(Zo * Zo)) + float(np.linalg.norm(M))))
    delta = round_up(terms * (1 + 2 * (n * n + 16) * U))
    if not proved_positive_definite(M, round_up(delta + cross)):
        return None
    return round_up(beta * norm_z * (1 + 4 * U))
