"""The leading part of a Jacobian's spectrum, certified, without its full eigen-decomposition.

The largest spectral gap needs only the ``k`` slow eigenvalues (largest real parts) and the slowest fast one
``l_k``; the other ``n - k - 1`` matter only through a bound. At a state with Jacobian ``J`` and a start basis
``Q0`` of ``k`` columns near the slow invariant subspace (from a nearby state):

1. slow subspace: orthogonal iteration with ``J^{-1}`` (one LU): ``Qs = qr(J^{-3} Q0)``, contracting at the rate
   ``|l_slow| / |l_fast|`` per step;
2. slowest fast mode: Arnoldi in single precision with ``J`` restricted to ``Qs^perp`` (``ARNOLDI_STEPS``
   steps) estimates the rightmost remaining eigenvalue ``theta``; inverse iteration from random starts with the
   shift ``theta`` (a second LU, complex for a complex ``theta``, whose vector's real and imaginary parts span
   the pair's invariant subspace; two columns for a real one, which also catch a near tie), projected off
   ``Qs``, gives ``V``: one or two columns, whichever has the small residual below;
3. Rayleigh-Ritz on ``Q = [Qs, V]``: ``H = Q^T J Q``, ``R = J Q - Q H``. ``Q`` spans an exact invariant
   subspace of ``J~ = J - R Q^+`` (``Q^+ = (Q^T Q)^{-1} Q^T``; ``Q`` from Householder QR is orthonormal up to
   ``O(u)``, so ``Q^+ = Q^T + O(u)``), within ``||R||_F / sigma_min(Q)`` of ``J`` (a backward error of the kind
   LAPACK's ``geev`` guarantees, here checked: ``||R||_F`` at most ``RESIDUAL * ||J||_F``; ``sigma_min(Q)`` is
   bounded below from the computed ``||Q^T Q - I||_F``), and ``J~`` has the eigenvalues of ``Q^+ J Q`` and those
   of the compression ``C = P^T J P`` (``P`` an orthonormal basis of ``span(Q)^perp``, where ``Q^+`` vanishes);
4. certificate: every eigenvalue of ``C`` has real part at most its logarithmic norm
   ``mu(C) = lambda_max((C + C^T)/2)`` (Bendixson), and ``mu(C) < c`` holds when
   ``c I - (J + J^T)/2 + a Q Q^T`` is positive definite for some ``a`` (on ``span(Q)^perp`` it is
   ``c I - (C + C^T)/2``): one Cholesky factorisation, of the computed matrix shifted down by a bound on the
   error of forming it in floating point plus Rump's bound ``(n + 1) u tr / (1 - (n + 1) u)`` on the
   factorisation's, the diagonal rounded down, so that rounding cannot fake success (derivation:
   ``_lognorm_below``). With ``c`` just left of ``Re l_k`` the ``k + 1`` leading Ritz values are exactly the
   ``k + 1`` leading eigenvalues of ``J~``; with ``c = Re l_k + rtol |Re l_k|`` the true slowest fast rate lies
   within ``rtol`` of ``-Re l_k``. Every rate of ``J~`` is at most ``-lambda_min((J + J^T)/2)`` plus the backward
   error, bounded by Gershgorin's discs of the symmetric part (rounded up, with its rounding error counted).

What is certified, precisely: the statements in 4 (the compression's logarithmic norm below ``c``, the rate
bound) are proved in floating point, with every rounding counted. The rest is taken at face value: the reported
values are the eigenvalues of the computed ``H = fl(Q^T J Q)`` (from ``eigvals``), which differ from those of
``Q^+ J Q`` by a perturbation of order ``p u ||J||`` (``Q``'s deviation from orthonormality and the rounding of
``H``, ``p = k + 1`` or ``k + 2``) amplified by their condition numbers; ``||R||_F`` is its float value (its
rounding, ``O(n u ||J||_F)``, is not counted). Statements hold for ``J~``, not for ``J``: an eigenvalue of ``J``
can differ from ``J~``'s by as much as the backward error allows.

Along a trajectory (``warm``, ``metric``: :mod:`neurodyn.slowfast.bounds`), step 2 starts from the previous
state's slowest fast eigenvalue and vectors instead of Arnoldi (two inverse iterations, and two slow ones), and
step 4 first tries the logarithmic norm in the metric of a reference state's eigenvectors
(:func:`~neurodyn.slowfast.metric.metric_below`: ``J~`` then deflates along ``K Q`` instead of ``Q``, with
``||J~ - J||_2 <= ||R||_F beta``, accepted only while that stays within ``RESIDUAL ||J||_F``); it costs one more
``n^3`` product (``K J``) than the Euclidean check, and holds for non-normal fast blocks near the reference.

Any failure (a singular shift, a large residual, a complex pair across the split, a fast block whose logarithmic
norm reaches past ``c``, which non-normal fast blocks often do) leaves the state uncertified, and the caller
computes its full spectrum. Cost: two LU factorisations (the second complex, four times the flops, for a
complex ``theta``), a few triangular solves with ``k`` right-hand sides, the Arnoldi steps (matrix-vector
products) and one Cholesky: ``2 n^3`` to ``4 n^3`` flops against ``~25 n^3`` for ``geev`` with vectors and
``~10 n^3`` without (Golub & Van Loan, *Matrix Computations*, 4th ed., 7.5.6).

References: Saad, *Numerical Methods for Large Eigenvalue Problems* (2011), ch. 4-6 (Rayleigh-Ritz, subspace
iteration, Arnoldi); Soederlind, *The logarithmic norm. History and modern theory* (BIT 2006); Rump,
*Verification of positive definiteness* (BIT 2006).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from neurodyn.slowfast.metric import (
    Metric,
    gamma,
    metric_below,
    orthonormality_defect,
    proved_positive_definite,
    round_up,
)

SLOW_STEPS = 3  # orthogonal iterations with J^{-1}
ARNOLDI_STEPS = 60  # Krylov dimension for the rightmost fast estimate
FAST_STEPS = 6  # inverse iterations at the estimate
ARNOLDI_RANGE = 30  # Arnoldi (single precision) scales a matrix whose largest entry is beyond 2^(+-30)
WARM_STEPS = 2  # inverse iterations from the previous state's vectors at its eigenvalue (and slow steps, warm)
RESIDUAL = 1e-10  # largest accepted ||J Q - Q H||_F / ||J||_F
MARGIN = 1e-8  # the exact certificate asks mu(C) < Re l_k - MARGIN |Re l_k|


@dataclass(frozen=True)
class Leading:
    """The certified leading spectrum of one matrix.

    Attributes:
        values: ``(k + 1,)`` complex, by decreasing real part: the ``k`` slow eigenvalues and the slowest fast one.
        certified: whether the residual check and the certificate passed (else ``values`` mean nothing).
        slow_basis: ``(n, k)`` orthonormal basis of the slow invariant subspace (a start for the next state).
        rate_bound: an upper bound on every ``-Re l`` of ``J~`` (Gershgorin on the symmetric part of ``J``, plus
            the backward error ``||R||_F / sigma_min(Q)``), rounded up with its rounding errors counted.
        warm: this state's slowest fast mode (a start for a nearby state; ``None`` where nothing was computed).
        via: the certificate that passed: ``"lognorm"`` (Euclidean), ``"metric"`` (weighted) or ``""``.
    """

    values: np.ndarray
    certified: bool
    slow_basis: np.ndarray
    rate_bound: float
    warm: Warm | None = None
    via: str = ""


@dataclass(frozen=True)
class Warm:
    """A state's slowest fast mode, to start a nearby state's computation from (along a trajectory).

    Attributes:
        theta: its eigenvalue: the next state's inverse-iteration shift instead of Arnoldi's estimate.
        fast: its inverse-iteration vectors: ``(n,)`` complex for a complex ``theta``, else ``(n, 2)`` real.
    """

    theta: complex
    fast: np.ndarray


def _sorted(values: np.ndarray) -> np.ndarray:
    """``values`` as complex (numpy's ``eigvals`` returns a real array when all are real), by decreasing real
    part."""
    return values[np.argsort(-values.real, kind="stable")].astype(np.complex128)


def _rightmost_fast(A: np.ndarray, Qs: np.ndarray, rng: np.random.Generator) -> complex:
    """The rightmost Ritz value of Arnoldi on ``A`` restricted to ``span(Qs)^perp``, in single precision (an
    estimate for a shift: the eigenvalue itself is computed afterwards, in double precision). A matrix whose
    largest entry lies outside ``[2^-30, 2^30]`` is scaled by a power of two first, so that single
    precision neither overflows nor underflows whatever the units of time; ``nan`` when no finite estimate
    results."""
    e = int(np.frexp(np.abs(A).max())[1])
    e = e if abs(e) > ARNOLDI_RANGE else 0
    A, Qs = np.ldexp(A, -e).astype(np.float32), Qs.astype(np.float32)
    n, m = A.shape[0], min(ARNOLDI_STEPS, A.shape[0] - Qs.shape[1])
    V, H = np.zeros((n, m + 1), np.float32), np.zeros((m + 1, m), np.float32)
    v = rng.standard_normal(n).astype(np.float32)
    v -= Qs @ (Qs.T @ v)
    V[:, 0] = v / np.linalg.norm(v)
    for j in range(m):
        w = A @ V[:, j]
        for _ in range(2):  # classical Gram-Schmidt, twice (Giraud et al. 2005)
            w -= Qs @ (Qs.T @ w)
            h = V[:, :j + 1].T @ w
            w -= V[:, :j + 1] @ h
            H[:j + 1, j] += h
        H[j + 1, j] = np.linalg.norm(w)
        if H[j + 1, j] <= 1e-6 * np.abs(H[:j + 2, j]).max():  # an invariant subspace: its values are exact
            m = j + 1
            break
        V[:, j + 1] = w / H[j + 1, j]
    H = H[:m, :m].astype(np.float64)
    if not np.isfinite(H).all():
        return complex("nan")
    theta = np.linalg.eigvals(H)
    i = int(np.argmax(theta.real))
    return complex(np.ldexp(theta[i].real, e), np.ldexp(theta[i].imag, e))


def _formation_bound(M: np.ndarray, X: np.ndarray, Y: np.ndarray, S: np.ndarray, Q: np.ndarray, a: float) -> float:
    """An upper bound on ``||M - (c I - S_exact + a Q Q^T)||_2`` for the computed ``M = fl(X + Y)``,
    ``X = fl(c I - S)``, ``Y = fl(a fl(Q Q^T))``, ``S = fl((A + A^T) / 2)`` (the derivation: :func:`_lognorm_below`),
    from norms only: ``||B||_F <= u (||M||_F + ||X||_F + ||S||_F) + gamma_{p+1} a ||Q||_F^2`` (the triangle
    inequality, and ``|| |Q| |Q|^T ||_F <= ||Q||_F^2``), times ``3/2 >= sqrt 2`` for the symmetric matrix that
    Cholesky reads from one triangle (mirrored entries of ``B``: at most twice its squared Frobenius norm)."""
    n, p = Q.shape
    u = np.finfo(M.dtype).eps / 2
    norms = float(np.linalg.norm(M)) + float(np.linalg.norm(X)) + float(np.linalg.norm(S))
    b = u * norms + gamma(p + 1) * a * float(np.sum(Q * Q))
    m = n * n + p + 8  # the float sums and products that formed the norms, all of non-negative terms
    return round_up(1.5 * b * (1 + 2 * m * u))


def _gershgorin_rate(S: np.ndarray) -> float:
    """An upper bound on ``-lambda_min`` of the exact symmetric part ``(A + A^T)/2``, of which ``S`` is the float
    value: ``g = max_i (-S_ii + sum_{j != i} |S_ij|)`` (Gershgorin) plus its rounding error.

    ``|S - (A + A^T)/2| <= u |S|`` moves ``lambda_min`` by at most ``u max_i sum_j |S_ij| = u t``; the float ``g``
    (a sum of ``n`` non-negative terms, then two subtractions) is within ``(n + 2) u (t + 2 |S_ii|) <= 3 (n + 2) u t``
    of the exact one (Higham 4.2). So ``g + (3 n + 8) u t`` rounded up bounds it (the extra ``2 u t`` covers
    the rounding of the bound itself).
    """
    n, u = S.shape[0], np.finfo(S.dtype).eps / 2
    d, rows = np.diag(S), np.abs(S).sum(1)
    g = float((rows - np.abs(d) - d).max())
    return round_up(g + (3 * n + 8) * u * float(rows.max()))


def _lognorm_below(S: np.ndarray, Q: np.ndarray, c: float) -> bool:
    """Whether ``lambda_max`` of ``S`` (the symmetric part of ``A``, as computed) compressed to ``span(Q)^perp``
    is below ``c``, proved in floating point.

    ``M = c I - S + a Q Q^T`` is positive definite (PD) iff ``x^T (c I - S) x > 0`` on ``span(Q)^perp`` for ``a``
    large enough (``Q Q^T x = 0`` there, whether or not ``Q`` is exactly orthonormal). In floats
    (unit roundoff ``u``, ``|fl(z) - z| <= u |fl(z)|``, Higham, *Accuracy and Stability*, 2.5):

    - ``S^ = fl((A + A^T)/2)``: ``|S^ - S| <= u |S^|`` (the halving is exact);
    - ``X^ = fl(c I - S^)``: ``|X^ - (c I - S^)| <= u |X^|`` (only the diagonal rounds);
    - ``Y^ = fl(a fl(Q Q^T))``: ``|Y^ - a Q Q^T| <= gamma_{p+1} a |Q| |Q|^T`` (a length-``p`` dot product, then a
      product; Higham 3.5), ``gamma_m = m u / (1 - m u)``;
    - ``M^ = fl(X^ + Y^)``: ``|M^ - (X^ + Y^)| <= u |M^|``;

    so ``E = M^ - M`` has ``|E| <= B = u (|M^| + |X^| + |S^|) + gamma_{p+1} a |Q| |Q|^T`` and
    ``||E||_2 <= ||B||_F``, bounded from norms (:func:`_formation_bound`) by ``delta`` (computed from
    non-negative terms, rounded up by the factor ``1 + 2 m u``, ``m = n^2 + p + 8``). ``M^ - delta I`` PD implies
    ``M`` PD, which Rump's criterion proves (:func:`~neurodyn.slowfast.metric.proved_positive_definite`).
    """
    n = S.shape[0]
    X = -S
    X[np.diag_indices(n)] += c
    a = 10 * np.abs(X).sum(1).max() + 1
    Y = a * (Q @ Q.T)
    M = X + Y
    return proved_positive_definite(M, _formation_bound(M, X, Y, S, Q, a))


def _warm_for(value: complex, v: np.ndarray) -> Warm:
    """The :class:`Warm` start for the next state from this state's slowest fast ``value`` and inverse-iteration
    vectors ``v`` (a complex vector for a complex value, else two real orthonormal columns)."""
    if value.imag != 0:
        return Warm(value, v if v.ndim == 1 else v[:, 0] + 1j * v[:, 1])
    return Warm(value, v if v.ndim == 2 else np.linalg.qr(np.stack((v.real, v.imag), 1))[0])


def _ritz_basis(A: np.ndarray, start: np.ndarray, rng: np.random.Generator,
                warm: Warm | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Steps 1-2 of the module docstring: ``Qs (n, k)``, ``Q = [Qs, V] (n, k + 2)`` and the inverse-iteration
    vectors; from ``warm``'s shift and vectors (``WARM_STEPS`` steps of each iteration, no Arnoldi) when given.
    ``None`` when the slow iteration is not finite."""
    n = A.shape[0]
    lu = sla.lu_factor(A, check_finite=False)
    X = start
    for _ in range(SLOW_STEPS if warm is None else WARM_STEPS):  # from a nearby state's basis, two suffice
        X = sla.lu_solve(lu, X, check_finite=False)
    if not np.isfinite(X).all():
        return None
    Qs = np.linalg.qr(X)[0]
    if warm is None:
        theta = _rightmost_fast(A, Qs, rng)
        if not np.isfinite(theta):
            return None
        v = (rng.standard_normal(n) + 1j * rng.standard_normal(n) if theta.imag != 0
             else rng.standard_normal((n, 2)))  # random starts: at a close shift a few steps converge
        steps = FAST_STEPS
    else:
        theta, v, steps = warm.theta, warm.fast, WARM_STEPS
    shift = theta if theta.imag != 0 else theta.real  # a complex pair gets a complex LU (its vector's span)
    shifted = A.astype(np.complex128) if theta.imag != 0 else A.copy()
    shifted[np.diag_indices(n)] -= shift + 1e-6 * abs(theta)
    lu2 = sla.lu_factor(shifted, overwrite_a=True, check_finite=False)
    for _ in range(steps):  # inverse (orthogonal) iteration, off span(Qs)
        v = sla.lu_solve(lu2, v, check_finite=False)
        for _ in range(2):
            v -= Qs @ (Qs.T @ v)
        v = v / np.linalg.norm(v) if v.ndim == 1 else np.linalg.qr(v)[0]
    Q = np.concatenate((Qs, np.linalg.qr(np.stack((v.real, v.imag), 1) if v.ndim == 1 else v)[0]), 1)
    return Qs, Q, v


def _certify(A: np.ndarray, S: np.ndarray, Q: np.ndarray, c: float, metric: Metric | None, residual: float,
             euclid: float) -> tuple[str, float]:
    """Step 4 (``""`` when nothing is proved): ``"metric"`` (:func:`~neurodyn.slowfast.metric.metric_below`, kept
    only when its backward error ``residual * beta ||Zo||_2`` stays within ``RESIDUAL``) or ``"lognorm"``
    (:func:`_lognorm_below`); with the factor that turns ``||R||_F`` into the backward error (``euclid``, a bound
    on ``1 / sigma_min(Q)``, for the Euclidean complement)."""
    if metric is not None:
        factor = metric_below(A, Q, c, metric)
        if factor is not None and residual * factor <= RESIDUAL:
            return "metric", factor
    return ("lognorm" if _lognorm_below(S, Q, c) else ""), euclid


def leading_spectrum(A: np.ndarray, start: np.ndarray, *, rtol: float, rng: np.random.Generator,
                     warm: Warm | None = None, metric: Metric | None = None) -> Leading:
    """The ``k + 1`` leading eigenvalues of ``A (n, n)``, certified (algorithm: the module docstring).

    Args:
        A: a real matrix.
        start: ``(n, k)`` basis near the slow invariant subspace (``1 <= k <= n - 3``).
        rtol: how far (relative) the slowest fast rate may lie from the reported one: 0 certifies the reported
            ``l_k`` as the rightmost fast eigenvalue of ``J~``; ``rtol > 0`` only that none lies more than
            ``rtol |Re l_k|`` right of it.
        rng: the generator of Arnoldi's and inverse iteration's start vectors.
        warm: the previous state's slowest fast mode (default ``None``: Arnoldi's estimate and random starts).
        metric: a weight for the certificate (:func:`~neurodyn.slowfast.metric.eigenvector_metric` of a nearby
            matrix), tried before the Euclidean logarithmic norm (default ``None``: the Euclidean one only).
    """
    n, k = start.shape
    S = 0.5 * (A + A.T)
    u = np.finfo(A.dtype).eps / 2
    rate_bound = _gershgorin_rate(S)
    fail = Leading(np.full(k + 1, np.nan + 0j), False, start, rate_bound)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # an exactly singular J (or shifted J): scipy warns, and the solves' non-finite results fail the state
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        basis = _ritz_basis(A, start, rng, warm)
        if basis is None:
            return fail
        Qs, Q, v = basis
        AQ = A @ Q
        H = Q.T @ AQ
        norm = np.linalg.norm(A)
        for p in (k + 1, k + 2):  # the rightmost real eigenvector alone, else both columns (pair or near-tie)
            residual = np.linalg.norm(AQ[:, :p] - Q[:, :p] @ H[:p, :p]) / norm
            values = _sorted(np.linalg.eigvals(H[:p, :p]))[:k + 1]
            if residual <= RESIDUAL and (p == k + 2 or values[k].imag == 0):
                break
        Q = Q[:, :p]
    if not (np.isfinite(values).all() and residual <= RESIDUAL) or (values[k].imag != 0
                                                                   and values[k] == np.conj(values[k - 1])):
        return fail
    re = values[k].real
    c = re + rtol * abs(re) if rtol > 0 else re - MARGIN * abs(re)
    eta = orthonormality_defect(Q)  # ||J~ - J||_2 <= ||R||_F / sigma_min(Q), sigma_min(Q)^2 >= 1 - eta
    if not eta < 0.5:
        return fail
    euclid = 1 / np.sqrt(1 - eta)
    via, factor = _certify(A, S, Q, c, metric, residual, euclid) if c < values[k - 1].real else ("", euclid)
    backward = residual * norm * factor
    bound = rate_bound + backward
    return Leading(values, bool(via), Qs, round_up(bound + 4 * u * abs(bound) + 4 * u * backward),
                   _warm_for(complex(values[k]), v), via)
