"""Eigen-decompositions that survive strongly graded matrices, split over the CPU threads for batches.

PyTorch 2.13's CPU ``torch.linalg.eig`` / ``eigvals`` corrupt the heap (the process aborts later) on
matrices whose non-zero entries span more than ~200 orders of magnitude, e.g. a 5x5 matrix with entries from
1e-254 to 2 (reproduced in the tests); numpy's LAPACK handles them. Such matrices
arise from Jacobians of saturated tanh units. Every eigen-decomposition in the library goes through here (and a
user's analysis of such Jacobians can too: :func:`eig`, :func:`eigvals`, :func:`eig_leading`, :func:`is_graded`):
on the CPU, matrices graded beyond ``GRADED`` go to numpy (unless they require grad), the rest to PyTorch,
whose batch is split over its threads (LAPACK's ``geev`` takes one matrix at a time and leaves the other
cores idle: about 1.6x faster on two cores for 65 matrices of order 128). :func:`eig_leading` gives every
eigenvalue but only the leading eigenvectors, by inverse iteration.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

__all__ = ["GRADED", "eig", "eig_leading", "eigvals", "is_graded"]

# smallest |non-zero entry| / largest |entry| of a matrix sent to PyTorch's CPU eig (the crash needs ~1e-200)
GRADED = 1e-150


def is_graded(A: torch.Tensor) -> torch.Tensor:
    """``(...,)`` whether each matrix of ``A (..., n, n)`` has non-zero entries beyond ``GRADED`` apart."""
    a = A.detach().abs().flatten(-2)
    big = a.amax(-1)
    small = torch.where(a > 0, a, torch.full_like(a, float("inf"))).amin(-1)
    return small < GRADED * big


def _numpy_eig(A: torch.Tensor, vectors: bool):
    out = np.linalg.eig(A.detach().cpu().numpy()) if vectors else (np.linalg.eigvals(A.detach().cpu().numpy()),)
    cdt = torch.complex128 if A.dtype == torch.float64 else torch.complex64
    return tuple(torch.from_numpy(np.asarray(x)).to(cdt) for x in out)


def _eig(A: torch.Tensor, vectors: bool):
    fn = torch.linalg.eig if vectors else (lambda M: (torch.linalg.eigvals(M),))
    if A.device.type != "cpu" or A.numel() == 0 or not A.is_floating_point():
        return fn(A)
    flat = A.reshape(-1, *A.shape[-2:])
    graded = is_graded(flat)
    if bool(graded.any()) and not A.requires_grad:
        parts = [_numpy_eig(M[None], vectors) if g else fn(M[None])
                 for M, g in zip(flat, graded.tolist(), strict=True)]
        out = tuple(torch.cat(p) for p in zip(*parts, strict=True))
    else:
        workers = min(torch.get_num_threads(), len(flat))
        if workers < 2 or A.requires_grad:
            out = fn(flat)
        else:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(fn, flat.chunk(workers)))
            out = tuple(torch.cat(p) for p in zip(*parts, strict=True))
    return tuple(x.reshape(*A.shape[:-2], *x.shape[1:]) for x in out)


def eig(A: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.linalg.eig(A)`` for ``A (..., n, n)``, safe for graded matrices on the CPU (see the module)."""
    return _eig(A, True)


def eigvals(A: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.eigvals(A)`` for ``A (..., n, n)``, safe for graded matrices on the CPU."""
    return _eig(A, False)[0]


def eig_leading(A: torch.Tensor, key, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every eigenvalue of ``A (P, n, n)``, sorted by decreasing ``key(values)``, and unit eigenvectors
    ``(P, n, k)`` of the ``k`` leading ones.

    ``geev`` forms all ``n`` eigenvectors from the Schur vectors, which is about half its cost at n ~ 100.
    Here the eigenvalues come from ``eigvals`` and the ``k`` vectors from two steps of inverse iteration with
    each eigenvalue as its shift: one LU of ``A - lambda I`` per vector, in real arithmetic for real
    eigenvalues, and none for the second of a conjugate pair (its vector is the conjugate). The starts are
    seeded random vectors, one per vector: a fixed start can be orthogonal to an eigenvector (the Fourier
    modes of a circulant matrix), and distinct starts give independent vectors for a repeated eigenvalue.
    An exactly singular shift (a triangular matrix, an identity) gets its zero pivot replaced by
    ``eps |A|_F``, as in LAPACK's inverse iteration. Vectors have unit 2-norm and their largest component real
    and positive (LAPACK's are real there, of either sign). A matrix for which any vector's residual
    ``|A v - lambda v|`` exceeds ``450 eps |A|_F`` (1e-13 |A|_F in float64; an ill-conditioned eigenvalue)
    is decomposed by ``geev`` instead.
    """
    P, n = A.shape[0], A.shape[-1]
    vals = eigvals(A)
    vals = torch.gather(vals, -1, _leading_first(vals, key))
    k = min(k, n)
    vecs = vals.new_zeros(P, n, k)
    if P == 0 or k == 0:
        return vals, vecs
    lam = vals[:, :k]
    real_A = not A.is_complex()
    partner = torch.zeros(P, k, dtype=torch.bool, device=A.device)  # the conjugate of the column before
    for j in range(1, k if real_A else 1):
        partner[:, j] = (lam[:, j] == lam[:, j - 1].conj()) & (lam[:, j].imag != 0) & ~partner[:, j - 1]
    eps = torch.finfo(vals.real.dtype).eps
    norm_A = torch.linalg.matrix_norm(A)
    tiny_pivot = eps * torch.where(norm_A > 0, norm_A, torch.ones_like(norm_A))
    gen = torch.Generator().manual_seed(0)
    for real in (True, False):
        p, j = torch.nonzero((((lam.imag == 0) & real_A) == real) & ~partner, as_tuple=True)
        if len(p) == 0:
            continue
        shift = lam[p, j].real if real else lam[p, j]
        M = A[p].to(shift.dtype)
        M.diagonal(dim1=-2, dim2=-1).sub_(shift.unsqueeze(-1))
        LU, piv, _ = torch.linalg.lu_factor_ex(M)
        # an exactly singular shift leaves an exact zero pivot (with a zero column below it): replace it by
        # eps |A|, which factorises A - lambda I perturbed by that much, as LAPACK's inverse iteration does
        pivots = LU.diagonal(dim1=-2, dim2=-1)
        pivots.copy_(torch.where(pivots == 0, tiny_pivot[p].unsqueeze(-1).to(pivots.dtype), pivots))
        v = torch.randn(len(p), n, 1, generator=gen, dtype=vals.real.dtype)
        if not real:
            v = torch.complex(v, torch.randn(len(p), n, 1, generator=gen, dtype=vals.real.dtype))
        v = v.to(A.device)
        for _ in range(2):
            w = torch.linalg.lu_solve(LU, piv, v)
            v = w / torch.linalg.vector_norm(w, dim=-2, keepdim=True)
        vecs[p, :, j] = v.squeeze(-1).to(vecs.dtype)
    vecs = _phase(vecs)
    pp, jj = torch.nonzero(partner, as_tuple=True)
    vecs[pp, :, jj] = vecs[pp, :, jj - 1].conj()
    if real_A:  # real and imaginary parts side by side: one real product (strided views are slow in matmul)
        Av = torch.view_as_complex((A @ torch.view_as_real(vecs).flatten(-2)).unflatten(-1, (k, 2)))
    else:
        Av = A @ vecs
    residual = torch.linalg.vector_norm(Av - vecs * lam.unsqueeze(-2), dim=-2)
    bad = ~(residual <= 450 * eps * norm_A.unsqueeze(-1)).all(-1)  # NaN is bad too
    if bool(bad.any()):
        bad_vals, bad_vecs = eig(A[bad])
        order = _leading_first(bad_vals, key)
        vals[bad] = torch.gather(bad_vals, -1, order)
        vecs[bad] = _phase(torch.gather(bad_vecs, -1, order[:, None, :k].expand(-1, n, k)))
    return vals, vecs


def _leading_first(vals: torch.Tensor, key) -> torch.Tensor:
    """The order of ``vals (P, n)`` by decreasing ``key(vals)``, ties in their original order."""
    return torch.argsort(key(vals), dim=-1, descending=True, stable=True)


def _phase(V: torch.Tensor) -> torch.Tensor:
    """Columns of ``V (..., n, k)`` scaled by a unit complex number so that the largest component is real > 0."""
    at = V.abs().argmax(-2, keepdim=True)
    big = torch.gather(V, -2, at)
    V = V * (big.conj() / big.abs().clamp_min(torch.finfo(V.real.dtype).tiny))
    return V.scatter(-2, at, big.abs().to(V.dtype))  # exactly real, as LAPACK sets it
