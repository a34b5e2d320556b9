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
            stop: Callable[[torch.Tensor, torch.Tensor, float], bool] | None = None):
    """Up to ``steps`` Lanczos steps from ``v0`` with full re-orthogonalisation (classical Gram–Schmidt, twice).

    ``stop(alpha, beta, beta_next)`` is asked after every step and ends the run when true; the run also ends
    when the Krylov space becomes invariant (``beta_next`` below ``1e-12`` of the largest ``|alpha|``).

    Returns:
        ``(alpha, beta, V, beta_next)``: the tridiagonal ``T`` (diagonal ``alpha: (m,)``, off-diagonal
        ``beta: (m-1,)``), the orthonormal basis ``V: (m, n)`` with ``A V^T = V^T T + beta_next v_{m+1} e_m^T``.
    """
    V = [v0 / torch.linalg.vector_norm(v0)]
    alpha, beta = [], []
    beta_next = 0.0
    for _ in range(min(steps, len(v0))):
        w = matvec(V[-1])
        alpha.append(torch.dot(w, V[-1]))
        basis = torch.stack(V)
        for _ in range(2):
            w = w - basis.T @ (basis @ w)
        beta_next = float(torch.linalg.vector_norm(w))
        A = torch.stack(alpha)
        B = torch.stack(beta) if beta else A.new_zeros(0)
        invariant = beta_next <= 1e-12 * max(float(A.abs().max()), torch.finfo(w.dtype).tiny)
        if invariant or (stop is not None and stop(A, B, beta_next)) or len(alpha) == min(steps, len(v0)):
            return A, B, basis, (0.0 if invariant else beta_next)
        beta.append(w.new_tensor(beta_next))
        V.append(w / beta_next)
    raise ValueError("steps must be >= 1")


def tridiagonal(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return torch.diag(alpha) + torch.diag(beta, 1) + torch.diag(beta, -1)


def top_eigenpairs(matvec, dim: int, k: int, *, tol: float, max_iter: int, generator: torch.Generator,
                   dtype, device, v0: torch.Tensor | None = None):
    """The ``k`` algebraically largest eigenpairs of a symmetric operator, by Lanczos.

    Stops when every wanted Ritz pair ``(theta_i, y_i)`` has residual ``|A y_i - theta_i y_i| = beta_m |s_mi|``
    at most ``tol * |theta_i|`` (the eigenvalue error is then at most about ``residual^2 / gap``).

    Returns:
        ``(values (k,), vectors (k, dim), iterations, residuals (k,))``, values descending.
    """
    if v0 is None:
        v0 = torch.randn(dim, generator=generator, dtype=dtype, device="cpu").to(device)

    def converged(A, B, beta_next):
        if len(A) < k:
            return False
        theta, S = torch.linalg.eigh(tridiagonal(A, B))
        res = beta_next * S[-1, -k:].abs()
        return bool((res <= tol * theta[-k:].abs().clamp_min(torch.finfo(A.dtype).tiny)).all())

    A, B, V, beta_next = lanczos(matvec, v0, min(max_iter, dim), converged)
    theta, S = torch.linalg.eigh(tridiagonal(A, B))
    if len(theta) < k:
        raise InvalidInputError(f"the operator has an invariant subspace of dimension {len(theta)} < k = {k} "
                               "containing the start vector; use a smaller k")
    res = beta_next * S[-1, -k:].abs()
    values, vectors = theta[-k:].flip(0), (S[:, -k:].flip(1).T @ V)
    return values, vectors, len(A), res.flip(0)
