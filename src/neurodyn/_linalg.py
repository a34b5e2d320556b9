"""Eigen-decompositions that survive strongly graded matrices, split over the CPU threads for batches.

PyTorch 2.13's CPU ``torch.linalg.eig`` / ``eigvals`` corrupt the heap (the process aborts later) on
matrices whose non-zero entries span more than ~200 orders of magnitude, e.g. a 5x5 matrix with entries from
1e-254 to 2 (reproduced in ``tests/test_linalg_guard.py``); numpy's LAPACK handles them. Such matrices
arise from Jacobians of saturated tanh units. Every eigen-decomposition in the library goes through here:
on the CPU, matrices graded beyond ``GRADED`` go to numpy (unless they require grad), the rest to PyTorch,
whose batch is split over its threads (LAPACK's ``geev`` takes one matrix at a time and leaves the other
cores idle: about 1.6x faster on two cores for 65 matrices of order 128).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

# smallest |non-zero entry| / largest |entry| of a matrix sent to PyTorch's CPU eig (the crash needs ~1e-200)
GRADED = 1e-150


def _graded(A: torch.Tensor) -> torch.Tensor:
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
    graded = _graded(flat)
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
