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
3. Rayleigh-Ritz on ``Q = [Qs, V]``: ``H = Q^T J Q``, ``R = J Q - Q H``. ``Q`` is an exact invariant subspace of
   ``J~ = J - R Q^T``, within ``||R||_F`` of ``J`` (a backward error of the kind LAPACK's ``geev`` guarantees,
   here checked: at most ``RESIDUAL * ||J||_F``), and ``J~`` has the eigenvalues ``eig(H)`` and those of the
   compression ``C = Q_perp^T J Q_perp``;
4. certificate: every eigenvalue of ``C`` has real part at most its logarithmic norm
   ``mu(C) = lambda_max((C + C^T)/2)`` (Bendixson), and ``mu(C) < c`` holds when
   ``c I - (J + J^T)/2 + a Q Q^T`` is positive definite for some ``a`` (on ``Q_perp`` it is ``c I - (C + C^T)/2``):
   one Cholesky factorisation, of the matrix shifted down by Rump's bound ``(n + 1) u tr / (1 - (n + 1) u)`` so
   that rounding cannot fake success. With ``c`` just left of ``Re l_k`` the ``k + 1`` leading Ritz values are
   exactly the ``k + 1`` leading eigenvalues of ``J~``; with ``c = Re l_k + rtol |Re l_k|`` the true slowest
   fast rate lies within ``rtol`` of ``-Re l_k``. Every rate is at most ``-lambda_min((J + J^T)/2)``, bounded by
   Gershgorin's discs of the symmetric part.

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

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import torch

from neurodyn._linalg import eig
from neurodyn.slowfast.spectra import CHUNK_ENTRIES, finite_jacobian, full_spectra, split_ratios

SLOW_STEPS = 3  # orthogonal iterations with J^{-1}
ARNOLDI_STEPS = 60  # Krylov dimension for the rightmost fast estimate
FAST_STEPS = 6  # inverse iterations at the estimate
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
            ``||R||_F``).
    """

    values: np.ndarray
    certified: bool
    slow_basis: np.ndarray
    rate_bound: float


def _sorted(values: np.ndarray) -> np.ndarray:
    """``values`` as complex (numpy's ``eigvals`` returns a real array when all are real), by decreasing real
    part."""
    return values[np.argsort(-values.real, kind="stable")].astype(np.complex128)


def _rightmost_fast(A: np.ndarray, Qs: np.ndarray, rng: np.random.Generator) -> complex:
    """The rightmost Ritz value of Arnoldi on ``A`` restricted to ``span(Qs)^perp``, in single precision (an
    estimate for a shift: the eigenvalue itself is computed afterwards, in double precision)."""
    A, Qs = A.astype(np.float32), Qs.astype(np.float32)
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
    theta = np.linalg.eigvals(H[:m, :m].astype(np.float64))
    return complex(theta[np.argmax(theta.real)])


def _lognorm_below(S: np.ndarray, Q: np.ndarray, c: float) -> bool:
    """Whether ``lambda_max`` of ``S`` (the symmetric part of ``A``) compressed to ``span(Q)^perp`` is below
    ``c``."""
    n = S.shape[0]
    M = -S
    M[np.diag_indices(n)] += c
    M += (10 * np.abs(M).sum(1).max() + 1) * (Q @ Q.T)
    u = np.finfo(S.dtype).eps / 2
    gamma = (n + 1) * u / (1 - (n + 1) * u)
    M[np.diag_indices(n)] -= gamma / (1 - gamma) * np.abs(np.diag(M)).sum() + 4 * n * u
    try:
        np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        return False
    return True


def leading_spectrum(A: np.ndarray, start: np.ndarray, *, rtol: float, rng: np.random.Generator) -> Leading:
    """The ``k + 1`` leading eigenvalues of ``A (n, n)``, certified (algorithm: the module docstring).

    Args:
        A: a real matrix.
        start: ``(n, k)`` basis near the slow invariant subspace (``1 <= k <= n - 3``).
        rtol: how far (relative) the slowest fast rate may lie from the reported one: 0 certifies the reported
            ``l_k`` as the rightmost fast eigenvalue of ``J~``; ``rtol > 0`` only that none lies more than
            ``rtol |Re l_k|`` right of it.
        rng: the generator of Arnoldi's start vector.
    """
    n, k = start.shape
    S = 0.5 * (A + A.T)
    d = np.diag(S)
    rate_bound = float((np.abs(S).sum(1) - np.abs(d) - d).max())  # max_i (-S_ii + sum_{j != i} |S_ij|)
    fail = Leading(np.full(k + 1, np.nan + 0j), False, start, rate_bound)
    with np.errstate(all="ignore"):
        lu = sla.lu_factor(A, check_finite=False)
        X = start
        for _ in range(SLOW_STEPS):
            X = sla.lu_solve(lu, X, check_finite=False)
        if not np.isfinite(X).all():
            return fail
        Qs = np.linalg.qr(X)[0]
        theta = _rightmost_fast(A, Qs, rng)
        shift = theta if theta.imag != 0 else theta.real  # a complex pair gets a complex LU (its vector's span)
        shifted = A.astype(np.complex128) if theta.imag != 0 else A.copy()
        shifted[np.diag_indices(n)] -= shift + 1e-6 * abs(theta)
        lu2 = sla.lu_factor(shifted, overwrite_a=True, check_finite=False)
        v = (rng.standard_normal(n) + 1j * rng.standard_normal(n) if theta.imag != 0
             else rng.standard_normal((n, 2)))  # random starts: at a close shift a few steps converge
        for _ in range(FAST_STEPS):  # inverse (orthogonal) iteration, off span(Qs)
            v = sla.lu_solve(lu2, v, check_finite=False)
            for _ in range(2):
                v -= Qs @ (Qs.T @ v)
            v = v / np.linalg.norm(v) if v.ndim == 1 else np.linalg.qr(v)[0]
        Q = np.concatenate((Qs, np.linalg.qr(np.stack((v.real, v.imag), 1) if v.ndim == 1 else v)[0]), 1)
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
    ok = c < values[k - 1].real and _lognorm_below(S, Q, c)
    return Leading(values, ok, Qs, rate_bound + residual * norm)  # bounds J~'s rates: ||J~ - J||_2 <= ||R||_F


@dataclass
class GapBounds:
    """Working record of :func:`leading_bounds`: spectra and bounds on every split's time-scale ratio.

    Attributes:
        values: ``(B, n)`` complex, by decreasing real part; ``nan`` beyond the leading ones where not ``exact``.
        lo, hi: ``(B, n + 1)`` bounds on :func:`~neurodyn.slowfast.spectra.split_ratios` (equal where known).
        exact: ``(B,)`` where the full spectrum was computed.
        computed: ``(B,)`` how many leading eigenvalues are known at each state.
    """

    values: torch.Tensor
    lo: torch.Tensor
    hi: torch.Tensor
    exact: torch.Tensor
    computed: torch.Tensor

    def make_exact(self, system, x: torch.Tensor, mask: torch.Tensor) -> None:
        """Replace the states in ``mask`` by their full spectra (the reference method's answers)."""
        idx = torch.nonzero(mask & ~self.exact).flatten()
        if len(idx):
            vals = full_spectra(system, x[idx])
            self.values[idx] = vals
            self.lo[idx] = self.hi[idx] = split_ratios(vals)
            self.exact[idx] = True
            self.computed[idx] = vals.shape[-1]


def _certified_bounds(lead: Leading, n: int, rtol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bounds ``(n + 1,)`` on every split's ratio from a certified leading spectrum (``k`` slow + 1)."""
    values = torch.from_numpy(lead.values)
    k = len(values) - 1
    exact = split_ratios(values[None])[0, :k + 1]
    lo = torch.full((n + 1,), float("inf"), dtype=torch.float64)
    hi = lo.clone()
    lo[:k + 1] = hi[:k + 1] = exact
    hi[k] = exact[k] / (1 - rtol)  # the slowest fast rate is within rtol of -Re l_k
    re = values.real
    num = max(float(re[:k].abs().max()), -float(re[k]) * (1 - rtol))  # max_{j<k'} |Re l_j| for any k' > k
    lo[k + 1:n] = num / lead.rate_bound if lead.rate_bound > 0 else 0.0
    return lo, hi


def _start_basis(vals: torch.Tensor, vecs: torch.Tensor, k: int) -> np.ndarray:
    """An orthonormal ``(n, k)`` basis of the span of the ``k`` leading eigenvectors (real and imaginary parts)."""
    order = torch.argsort(vals.real, descending=True, stable=True)[:k]
    cols = [vecs[:, i].real if float(vals[i].imag) >= 0 else vecs[:, i].imag for i in order.tolist()]
    return np.linalg.qr(torch.stack(cols, -1).numpy())[0]


def leading_bounds(system, x: torch.Tensor, *, rtol: float, seed: int) -> GapBounds:
    """Leading spectra and ratio bounds along ``x (B, n)``: the full eigen-decomposition at the first state gives
    the number ``k`` of slow modes of its largest gap and the start basis; every other state gets
    :func:`leading_spectrum` from the last certified state's slow basis, or its full spectrum where the
    certificate fails. Without a gap at the first state (or ``k`` outside ``[1, n - 3]``) every state is full."""
    B, n = x.shape
    first = full_spectra(system, x[:1])[0]  # as the full method has it (geev with vectors rounds differently)
    ratios0 = split_ratios(first[None])[0]
    k = int(torch.argmin(ratios0))
    nan = torch.full((B, n), complex("nan"), dtype=first.dtype)
    bounds = GapBounds(values=nan, lo=torch.zeros(B, n + 1, dtype=torch.float64),
                       hi=torch.zeros(B, n + 1, dtype=torch.float64), exact=torch.zeros(B, dtype=torch.bool),
                       computed=torch.zeros(B, dtype=torch.long))
    bounds.values[0], bounds.lo[0], bounds.hi[0], bounds.exact[0], bounds.computed[0] = first, ratios0, ratios0, True, n
    if not (bool(torch.isfinite(ratios0[k])) and 1 <= k <= n - 3):
        bounds.make_exact(system, x, torch.ones(B, dtype=torch.bool))
        return bounds
    start, rng = _start_basis(*eig(finite_jacobian(system, x[:1], 0)[0]), k), np.random.default_rng(seed)
    failed = torch.zeros(B, dtype=torch.bool)
    chunk = max(1, min(8, CHUNK_ENTRIES // (n * n)))  # a few Jacobians at a time: they stay in cache
    for c0 in range(1, B, chunk):
        J = finite_jacobian(system, x[c0:c0 + chunk], c0).numpy()
        for i, A in enumerate(J, start=c0):
            lead = leading_spectrum(A, start, rtol=rtol, rng=rng)
            if not lead.certified:
                failed[i] = True
                continue
            start = lead.slow_basis
            bounds.values[i, :k + 1] = torch.from_numpy(lead.values)
            bounds.lo[i], bounds.hi[i] = _certified_bounds(lead, n, rtol)
            bounds.computed[i] = k + 1
    bounds.make_exact(system, x, failed)
    return bounds
