"""One step of the C^1 Lohner method on a batch of sets (the core of :func:`neurodyn.enclose_flow`).

A set of states is kept as ``x = x̂ + B r`` (``x̂`` a float point, ``B`` a float matrix, ``r`` an interval vector)
and the variational matrix ``V = D phi_t`` as ``V̂ + B R`` with the same ``B``. A step of size ``h``:

1. a-priori enclosure ``E`` of every solution from ``X = x̂ + B r`` over ``[0, h]``: the Picard–Lindelöf test
   ``X + [0, h] F(E') ⊆ E'`` on an inflated guess ``E'`` (then ``E = X + [0, h] F(E')``);
2. the Taylor polynomial at the point ``x̂`` plus the Lagrange remainder over ``E``:
   ``phi_h(x̂) ∈ sum_{k<p} h^k x_k(x̂) + h^p x_p(E)``;
3. the mean-value form over ``X``: ``phi_h(x) ∈ phi_h(x̂) + M_X (x - x̂)`` with
   ``M_X = I + sum_{1<=k<p} h^k D x_k(X)``; with ``M̂ = mid M_X`` and ``A = M̂ B``,
   ``x(h) ∈ S + A r``, ``S = phi_h(x̂) + (M_X - M̂) B r``;
4. QR: ``A ≈ Q R`` (float), ``B' = Q``, ``x̂' = mid S``, ``r' = (Q^{-1} A) r + Q^{-1} (S - x̂')`` with a rigorous
   enclosure of ``Q^{-1}`` (``Q^T Q = I + Δ``: ``Q^{-1} ∈ Q^T ± |Δ| / (1 - |Δ|) |Q^T|``), which keeps the
   wrapping effect of rotations out of the box ``r`` (Lohner, 1987; Nedialkov and Jackson, 2001);
5. the variational matrix: ``D phi_h(x) ∈ M = M_X + h^p D x_p(E) V_E`` (the remainder of ``D phi_s``'s Taylor
   series, with ``D phi_s ∈ V_E = I ± (e^{hL} - 1)`` for ``s <= h`` by Gronwall, ``L >= |DF(E)|_inf``), and
   ``V' = M V = M̂ V̂ + (M - M̂) V + A R`` is re-centred the same way.

References: R. J. Lohner, *Enclosing the solutions of ordinary initial and boundary value problems*, in Computer
Arithmetic, Teubner 1987; P. Zgliczyński, *C^1 Lohner algorithm*, Found. Comput. Math. 2 (2002).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.validated.balls import U, upper
from neurodyn.validated.ivec import Arith, select
from neurodyn.validated.taylor import Series


@dataclass
class LohnerState:
    """A batch of sets ``x̂ + B r`` and variational matrices ``V̂ + B R`` (``(N, n)``, ``(N, n, n)``)."""

    xhat: np.ndarray
    B: np.ndarray
    r: object
    Vhat: np.ndarray
    R: object

    def take(self, keep: np.ndarray) -> LohnerState:
        return LohnerState(self.xhat[keep], self.B[keep], self.r[keep], self.Vhat[keep], self.R[keep])

    def select(self, mask: np.ndarray, other: LohnerState) -> LohnerState:
        """This state where ``mask`` (per element), else ``other``'s."""
        v, m = mask[:, None], mask[:, None, None]
        return LohnerState(np.where(v, self.xhat, other.xhat), np.where(m, self.B, other.B),
                           select(mask, self.r, other.r), np.where(m, self.Vhat, other.Vhat),
                           select(mask, self.R, other.R))

    def hull(self):
        """Interval enclosures of the states ``(N, n)`` and of the variational matrices ``(N, n, n)``."""
        return self.hull_x(), self.Vhat + self.B @ self.R

    def hull_x(self):
        return self.xhat + (self.B @ self.r[..., None])[..., 0]


@dataclass(frozen=True)
class StepResult:
    """A step's outcome: the new state (only the elements in ``ok``), the trajectory enclosure over the step
    ``tube`` (``E``) for all elements, and ``ok`` per element."""

    state: LohnerState | None
    tube: object
    ok: np.ndarray
    remainder: np.ndarray  # per element: the larger of |h^p x_p(E)|_inf / (1 + |x̂|_inf) and |h^p D x_p(E)|_inf


def picard(ar: Arith, field, X, fX, h_hi: np.ndarray, tries: int = 3):
    """An a-priori enclosure ``E`` of the solutions from ``X`` over ``[0, h_hi]`` per element (``h_hi: (N,)``), and a
    mask of the elements where the Picard–Lindelöf test ``X + [0, h] F(E') ⊆ E'`` was verified (elsewhere ``E`` is
    meaningless)."""
    span = ar.interval(np.zeros_like(h_hi), h_hi).reshape(-1, 1)
    E = X + span * fX
    ok = np.zeros(X.shape[0], dtype=bool)
    guess = E
    for attempt in range(tries):
        guess = E.widen(1.5 + attempt, 1e-15 * (1.0 + np.abs(E.mid)))
        fE = field.series(guess, 1, False).x[1]
        E = X + span * fE
        ok = np.all(E.inside(guess), axis=-1)
        if ok.all():
            break
    return E, ok


def q_inverse(ar: Arith, Q: np.ndarray):
    """An interval enclosure of ``Q^{-1}`` for nearly orthogonal float matrices ``Q: (N, n, n)``, or ``None`` for
    elements where ``|Q^T Q - I|_inf >= 1/2``."""
    QT = np.swapaxes(Q, -1, -2)
    n = Q.shape[-1]
    delta = ar.point(QT) @ ar.point(Q) - np.eye(n)
    d = upper(np.sum(delta.abs_upper(), axis=-1), n + 1).max(axis=-1)  # (N,)
    norm = upper(np.sum(np.abs(QT), axis=-1), n + 1).max(axis=-1)
    rad = upper(d / (1.0 - d) * norm, 5)
    rad = np.where(d < 0.5, rad, np.inf)
    return ar.ball(QT, np.broadcast_to(rad[:, None, None], Q.shape)), d < 0.5


def _powers(h, p: int) -> list:
    out = [None, h]
    for _ in range(2, p + 1):
        out.append(out[-1] * h)
    return out


def lohner_step(ar: Arith, field, st: LohnerState, h, h_hi: np.ndarray, p: int, center: Series, over: Series):
    """One step (see the module docstring). ``h``: each element's step as an interval array ``(N,)`` (a point, or
    the tiny interval ``t_end - t`` of a last step), ``h_hi``: float upper bounds of it ``(N,)``. ``center``: the
    Taylor series at ``x̂`` (orders ``< p``); ``over``: the series with derivatives over the hull ``X`` (orders
    ``< p``)."""
    X = over.x[0]
    E, ok = picard(ar, field, X, over.x[1], h_hi)
    at_E = field.series(E, p, True)
    powers = _powers(h, p)
    hk = [None] + [q.reshape(-1, 1) for q in powers[1:]]  # for vectors (N, n)
    hm = [None] + [q.reshape(-1, 1, 1) for q in powers[1:]]  # for matrices (N, n, n)
    n = X.shape[-1]
    # Gronwall: |D phi_s - I| <= e^{sL} - 1 <= hL / (1 - hL) for hL < 1
    L = upper(np.sum(at_E.dx[1].abs_upper(), axis=-1), n + 1).max(axis=-1)
    hL = upper(L * h_hi, 1)
    ok &= hL < 0.5
    growth = np.where(hL < 0.5, upper(hL / (1.0 - np.minimum(hL, 0.5)), 4), np.inf)
    phi = center.x[0]
    for k in range(1, p):
        phi = phi + hk[k] * center.x[k]
    rem_x = hk[p] * at_E.x[p]
    phi = phi + rem_x
    rem_V = hm[p] * at_E.dx[p]
    remainder = np.maximum(np.max(rem_x.abs_upper(), axis=-1) / (1.0 + np.max(np.abs(st.xhat), axis=-1)),
                           np.max(rem_V.abs_upper(), axis=(-1, -2)))
    MX = ar.point(np.broadcast_to(np.eye(n), over.dx[0].shape))
    for k in range(1, p):
        MX = MX + hm[k] * over.dx[k]
    Mhat = MX.mid
    Br = (st.B @ st.r[..., None])[..., 0]
    S = phi + ((MX - Mhat) @ Br[..., None])[..., 0]
    A = ar.point(Mhat) @ st.B
    Q = _qr(A.mid, st.r)
    Qinv, q_ok = q_inverse(ar, Q)
    ok &= q_ok
    VE = ar.ball(np.broadcast_to(np.eye(n), MX.shape), np.where(ok, growth, 0.0)[:, None, None])
    M = MX + rem_V @ VE
    QA = Qinv @ A
    xhat = S.mid
    r = (QA @ st.r[..., None])[..., 0] + (Qinv @ (S - xhat)[..., None])[..., 0]
    G = ar.point(Mhat) @ st.Vhat + (M - Mhat) @ (st.Vhat + st.B @ st.R)
    Vhat = G.mid
    R = QA @ st.R + Qinv @ (G - Vhat)
    ok &= np.all(r.finite(), axis=-1) & np.all(R.finite(), axis=(-1, -2)) & np.all(np.isfinite(xhat), axis=-1)
    return StepResult(LohnerState(xhat, Q, r, Vhat, R), E, ok, remainder)


def _qr(A: np.ndarray, r) -> np.ndarray:
    """``Q`` of the QR decomposition of ``A`` with its columns ordered by the size of ``A_j rad(r_j)`` (largest
    first: the directions in which the set is longest come first, Lohner's pivoting)."""
    size = np.linalg.norm(A, axis=-2) * (r.rad + U)
    order = np.argsort(-size, axis=-1)
    Ap = np.take_along_axis(A, order[:, None, :], axis=-1)
    Q, _ = np.linalg.qr(Ap)
    return Q
