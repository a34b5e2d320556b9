"""Lanczos iteration on a symmetric operator given only by its products ``v -> A v``.

Written here rather than taken from ``scipy.sparse.linalg.eigsh`` because stochastic Lanczos quadrature
needs the tridiagonal matrix itself, and because the vectors stay torch tensors on the model's device
(products on a GPU need no host round trip).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from neurodyn.errors import InvalidInputError


def lanczos(matvec: Callable[[torch.Tensor], torch.Tensor], v0: torch.Tensor, steps: int,
            stop: Callable[[torch.Tensor, torch.Tensor, float, int], bool] | None = None,
            restart: torch.Generator | None = None):
    """Up to ``steps`` Lanczos steps from ``v0`` with full re-orthogonalisation (classical Gram–Schmidt, twice).

    ``stop(alpha, beta, beta_next, block)`` is asked after every step and ends the run when true (``block``: the
    index where the current Krylov block starts). When the Krylov space becomes invariant (``beta_next`` below
    ``50 eps`` of the largest ``|alpha|``), the run ends, or with a ``restart`` generator goes on from a random
    vector orthogonal to the basis (a zero in ``beta``): single-vector Lanczos sees each distinct eigenvalue of
    an invariant space once, so restarts are what reveal the further copies of a repeated eigenvalue.

    Returns:
        ``(alpha, beta, V, beta_next)``: the tridiagonal ``T`` (diagonal ``alpha: (m,)``, off-diagonal
        ``beta: (m-1,)``), the orthonormal basis ``V: (m, n)`` with ``A V^T = V^T T + beta_next v_{m+1} e_m^T``.
    """
    if steps < 1:
        raise InvalidInputError(f"Lanczos needs at least one step, got {steps}")
    n = len(v0)
    V = [v0 / torch.linalg.vector_norm(v0)]
    alpha, beta = [], []
    block = 0
    small = 50 * torch.finfo(v0.dtype).eps
    while True:
        w = matvec(V[-1])
        alpha.append(torch.dot(w, V[-1]))
        basis = torch.stack(V)
        w = _orthogonalise(w, basis)
        beta_next = float(torch.linalg.vector_norm(w))
        A = torch.stack(alpha)
        B = torch.stack(beta) if beta else A.new_zeros(0)
        invariant = beta_next <= small * max(float(A.abs().max()), torch.finfo(w.dtype).tiny)
        done = len(alpha) == min(steps, n)
        if invariant and restart is not None and not done:
            r = torch.randn(n, generator=restart, dtype=v0.dtype).to(v0.device)
            w = _orthogonalise(r, basis)
            if float(torch.linalg.vector_norm(w)) <= small * float(torch.linalg.vector_norm(r)):
                return A, B, basis, 0.0
            beta.append(w.new_zeros(()))
            V.append(w / torch.linalg.vector_norm(w))
            block = len(alpha)
            continue
        if invariant or done or (stop is not None and stop(A, B, beta_next, block)):
            return A, B, basis, (0.0 if invariant else beta_next)
        beta.append(w.new_tensor(beta_next))
        V.append(w / beta_next)


def _orthogonalise(w: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    for _ in range(2):
        w = w - basis.T @ (basis @ w)
    return w


def tridiagonal(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return torch.diag(alpha) + torch.diag(beta, 1) + torch.diag(beta, -1)


def top_eigenpairs(matvec, dim: int, k: int, *, tol: float, max_iter: int, generator: torch.Generator,
                   dtype, device, v0: torch.Tensor | None = None):
    """The ``k`` algebraically largest eigenpairs of a symmetric operator, by Lanczos.

    Stops when every wanted Ritz pair ``(theta_i, y_i)`` has residual ``|A y_i - theta_i y_i| = beta_m |s_mi|``
    at most ``tol * |theta_i|`` (the eigenvalue error is then at most about ``residual^2 / gap``) and, after a
    restart on an invariant subspace, the newest block's leading Ritz pair has converged too (so a further copy
    of a repeated eigenvalue is not missed). A start vector ``v0`` (e.g. a warm start) gets a random part of
    relative size 0.1 mixed in, so that the Krylov space cannot sit inside an eigenspace that is not the top one.

    Returns:
        ``(values (k,), vectors (k, dim), iterations, residuals (k,))``, values descending.
    """
    if max_iter < k:
        raise InvalidInputError(f"max_iter={max_iter} is below k={k}: Lanczos needs at least k steps")
    r = torch.randn(dim, generator=generator, dtype=dtype, device="cpu").to(device)
    if v0 is not None:
        v0 = v0.to(dtype) / torch.linalg.vector_norm(v0) + 0.1 * r / torch.linalg.vector_norm(r)
    else:
        v0 = r
    tiny = torch.finfo(dtype).tiny

    def converged(A, B, beta_next, block):
        if len(A) < k:
            return False
        theta, S = torch.linalg.eigh(tridiagonal(A, B))
        if not bool((beta_next * S[-1, -k:].abs() <= tol * theta[-k:].abs().clamp_min(tiny)).all()):
            return False
        if block == 0:
            return True
        theta_b, S_b = torch.linalg.eigh(tridiagonal(A[block:], B[block:]))
        return bool(beta_next * S_b[-1, -1].abs() <= tol * theta_b[-1].abs().clamp_min(tiny))

    A, B, V, beta_next = lanczos(matvec, v0, min(max_iter, dim), converged, restart=generator)
    theta, S = torch.linalg.eigh(tridiagonal(A, B))
    if len(theta) < k:
        raise InvalidInputError(f"the operator has rank-revealing Krylov dimension {len(theta)} < k = {k} within "
                                f"max_iter={max_iter} steps; use a smaller k or a larger max_iter")
    res = beta_next * S[-1, -k:].abs()
    values, vectors = theta[-k:].flip(0), (S[:, -k:].flip(1).T @ V)
    return values, vectors, len(A), res.flip(0)
