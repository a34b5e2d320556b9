"""Slow/fast coordinates from invariant subspaces (real Schur with reordering), the CSP refinement of the fast
basis at a point, and the slow manifold ``f_fast = 0`` solved for the fast coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch

from neurodyn.errors import ConvergenceError
from neurodyn.numerics import NewtonOutcome, batched_newton


@dataclass(frozen=True, eq=False)
class Chart:
    """Affine slow/fast coordinates ``x = origin + A_s z + A_f w`` (``A = [A_s | A_f]``, ``B = A^{-1}``).

    ``A_s (n, k)`` is an orthonormal basis of the slow invariant subspace of the Jacobian at ``origin`` and
    ``A_f (n, m)`` one of the fast invariant subspace; the rows ``B_s``, ``B_f`` of the inverse are the dual
    (left) bases: ``B_f`` spans the left fast subspace, orthogonal to the slow one.
    """

    origin: torch.Tensor
    A: torch.Tensor
    B: torch.Tensor
    n_slow: int

    @property
    def slow_basis(self) -> torch.Tensor:
        return self.A[:, :self.n_slow]

    @property
    def fast_basis(self) -> torch.Tensor:
        return self.A[:, self.n_slow:]

    def coords(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z (..., k), w (..., m))`` of states ``x (..., n)``."""
        y = (x - self.origin) @ self.B.T
        return y[..., :self.n_slow], y[..., self.n_slow:]

    def point(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """The state ``origin + A_s z + A_f w``."""
        return self.origin + torch.cat((z, w), dim=-1) @ self.A.T


def invariant_bases(J: torch.Tensor, n_fast: int, what: str) -> torch.Tensor:
    """``A = [A_s | A_f] (n, n)``: orthonormal bases of the slow and the fast invariant subspaces of ``J (n, n)``.

    Two real Schur forms with reordering (``scipy.linalg.schur(sort=...)``, LAPACK ``dgees``/``dtrsen``): one
    with the ``n - n_fast`` slowest eigenvalues (largest real parts) leading, whose first Schur vectors span
    the slow invariant subspace, one with the fast eigenvalues leading. The eigenvalues are selected by a real
    part threshold halfway between the two groups, so a conjugate pair is never split.
    """
    Jn = J.detach().cpu().numpy()
    n = Jn.shape[0]
    k = n - n_fast
    re = np.sort(np.linalg.eigvals(Jn).real)[::-1]
    cut = 0.5 * (re[k - 1] + re[k])
    parts = []
    for select, count in ((lambda a, b: a > cut, k), (lambda a, b: a < cut, n_fast)):
        try:
            _, Z, sdim = scipy.linalg.schur(Jn, output="real", sort=select)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise ConvergenceError(f"reordering the real Schur form of the Jacobian of {what} failed ({exc}); the "
                                   "slow and fast eigenvalues are too close to separate reliably") from exc
        if sdim != count:
            raise ConvergenceError(f"the real Schur form of the Jacobian of {what} selected {sdim} eigenvalues "
                                   f"instead of {count}; the split at n_fast = {n_fast} is not well defined")
        parts.append(Z[:, :count])
    return torch.from_numpy(np.concatenate(parts, axis=1)).to(dtype=J.dtype, device=J.device)


def riccati_slope(Jh: torch.Tensor, k: int, *, tol: float = 1e-14, maxiter: int = 200):
    """The slope ``P (B, m, k)`` of the slow invariant subspace ``span [I; P]`` of ``Jh (B, n, n)`` (a Jacobian
    in chart coordinates), and ``(B,)`` whether each converged.

    Invariance ``Jh [I; P] = [I; P] R`` gives ``P = Jh_ff^{-1} (P (Jh_ss + Jh_sf P) - Jh_fs)``; iterated from
    ``P = 0`` it contracts by ``O(eps)`` per step. This is the algebraic CSP refinement of the fast basis
    (Lam & Goussis 1994; Zagaris, Kaper & Kaper, J. Nonlinear Sci. 14, 59 (2004)): ``[-P, I] Jh`` spans the
    left fast invariant subspace of ``Jh``, the ILDM basis of Maas & Pope (1992) at that point.
    """
    Jss, Jsf = Jh[..., :k, :k], Jh[..., :k, k:]
    Jfs, Jff = Jh[..., k:, :k], Jh[..., k:, k:]
    LU, piv = torch.linalg.lu_factor(Jff)
    P = torch.zeros_like(Jfs)
    done = torch.zeros(Jh.shape[0], dtype=torch.bool, device=Jh.device)
    for _ in range(maxiter):
        P_new = torch.linalg.lu_solve(LU, piv, P @ (Jss + Jsf @ P) - Jfs)
        change = torch.linalg.matrix_norm(P_new - P)
        P = P_new
        done = change <= tol * (1 + torch.linalg.matrix_norm(P))
        if bool(done.all()):
            break
    return P, done & torch.isfinite(P).flatten(1).all(-1)


@dataclass(frozen=True, eq=False)
class ManifoldCondition:
    """The slow-manifold condition at states ``x (B, n)``: ``C = f_f - P f_s`` (``(B, m)``, in chart coordinates;
    ``P = 0`` at order 0), its derivative in the fast coordinates ``dC/dw = Jh_ff - P Jh_sf`` and in the slow
    ones ``dC/dz = Jh_fs - P Jh_ss`` (``P`` held fixed), the chart Jacobian ``Jh`` and the velocity ``fh``."""

    C: torch.Tensor
    dC_dw: torch.Tensor
    dC_dz: torch.Tensor
    Jh: torch.Tensor
    fh: torch.Tensor
    P: torch.Tensor
    basis_converged: torch.Tensor


def manifold_condition(system, chart: Chart, x: torch.Tensor, order: int) -> ManifoldCondition:
    """:class:`ManifoldCondition` at ``x (B, n)``; ``f`` keeps its derivatives, ``J`` and ``P`` do not.

    Order 0 uses the fast basis of the chart (the Jacobian's left fast subspace at the chart's origin: the
    linear CSP projection, manifold error ``O(eps)``); order 1 refines it at each point to the left fast
    invariant subspace of the Jacobian there (:func:`riccati_slope`; manifold error ``O(eps^2)``).
    """
    k = chart.n_slow
    fh = system.f(x) @ chart.B.T
    Jh = chart.B @ system.jacobian(x.detach()).detach() @ chart.A
    if order == 0:
        P = Jh.new_zeros(x.shape[0], Jh.shape[-1] - k, k)
        ok = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
    else:
        P, ok = riccati_slope(Jh, k)
    C = fh[..., k:] - (P @ fh[..., :k].unsqueeze(-1)).squeeze(-1)
    return ManifoldCondition(C=C, dC_dw=Jh[..., k:, k:] - P @ Jh[..., :k, k:],
                             dC_dz=Jh[..., k:, :k] - P @ Jh[..., :k, :k], Jh=Jh, fh=fh, P=P, basis_converged=ok)


def solve_fast(system, chart: Chart, z: torch.Tensor, order: int, w0: torch.Tensor | None = None,
               *, tol: float = 1e-12, maxiter: int = 50) -> NewtonOutcome:
    """The fast coordinates ``w (B, m)`` of the slow-manifold points with slow coordinates ``z (B, k)``: the
    solution of ``C(origin + A_s z + A_f w) = 0`` by :func:`neurodyn.numerics.batched_newton` (from ``w0``,
    default 0), without derivatives in ``z``."""
    z = z.detach()
    m = chart.A.shape[0] - chart.n_slow

    def fun(w):
        cond = manifold_condition(system, chart, chart.point(z, w), order)
        return cond.C.detach(), cond.dC_dw

    start = w0.detach() if w0 is not None else z.new_zeros(z.shape[0], m)
    with torch.no_grad():
        return batched_newton(fun, start, tol=tol, maxiter=maxiter)
