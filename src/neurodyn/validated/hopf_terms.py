"""Transversality and the first Lyapunov coefficient at a proven Hopf point of a tanh network, enclosed by verified
linear solves (Kuznetsov's formula in the ``q^H q = 1``, ``p^H q = 1`` convention of :class:`neurodyn.HopfPoint`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import ctx

from neurodyn.continuation.residuals import HopfUnknowns
from neurodyn.validated.balls import upper
from neurodyn.validated.hopf_system import Unknowns, col
from neurodyn.validated.inverses import Inverses, bordered_inverse
from neurodyn.validated.linalg import real_form, verified_solve


class NotVerified(Exception):
    """A linear solve whose enclosure could not be verified."""


@dataclass(frozen=True)
class HopfEnclosures:
    """What the terms are formed from: the network ``net`` and backend ``bk``, the interval unknowns ``u`` of the
    proven zero, ``W`` and the tanh derivatives ``t`` there, the Jacobian ``J`` with its verified ``spectrum`` in
    ``basis``, the float point ``z``, approximate inverses ``inv`` (or ``None``) and the ``scratch`` arrays."""

    net: object
    bk: object
    u: Unknowns
    W: object
    t: list
    J: object
    spectrum: object
    basis: object
    z: np.ndarray
    inv: Inverses | None
    scratch: object

    @property
    def n(self) -> int:
        return self.net.n


def _solve(bk, M, b, what, inverse=None, real_form=False):
    x = verified_solve(bk, M, b, inverse, real_form)
    if x is None:
        raise NotVerified(f"the linear solve for {what} could not be verified (|I - R M| >= 1)")
    return x


def _left_eigenvector(e: HopfEnclosures):
    """``p`` with ``(J^T + i omega) p = 0``, ``q^H p = 1``, from the bordered system
    ``[[J^T + i w, q], [q^H, 0]] [p; s] = [0; 1]`` (nonsingular for a simple eigenvalue, ``s = 0`` at the
    solution), in real form; returns ``(Re p, Im p)``."""
    bk, n, u = e.bk, e.n, e.u
    zz = HopfUnknowns.of(e.z, 1)
    qr, qi = u.vr, u.vi
    JT, wI = e.J.T, bk.scaled_eye(u.w, n)
    M = bk.block_matrix([  # [[Kr, -Ki], [Ki, Kr]] with Kr = [[J^T, qr], [qr^T, 0]], Ki = [[w I, qi], [-qi^T, 0]]
        [JT, col(qr), -wI, col(-qi)],
        [qr[None, :], None, qi[None, :], None],
        [wI, col(qi), JT, col(qr)],
        [-qi[None, :], None, qr[None, :], None],
    ])
    rhs = np.zeros(2 * n + 2)
    rhs[n] = 1.0
    inverse = None if e.inv is None else bordered_inverse(e.inv, zz.vr + 1j * zz.vi,
                                                          out=e.scratch("bordered", 2 * n + 2))
    sol = _solve(bk, M, bk.point(rhs), "the left eigenvector p", inverse, real_form=True)
    return sol[:n], sol[n + 1:2 * n + 1]


def _double_frequency_solve(e: HopfEnclosures, b_qq, spectral: bool):
    """``h20 = (2 i omega - J)^{-1} B(q, q)`` in real form ``(Re, Im)`` stacked: ``2 i omega`` lies off every disc,
    so from the verified diagonalisation when ``spectral``, else (or where that fails) a dense verified solve."""
    bk, n, w = e.bk, e.n, e.u.w
    w_mid = float(HopfUnknowns.of(e.z, 1).omega)
    spec = spectral and bk.spectral_solve(e.J, e.spectrum, e.basis, 2j * w_mid, -b_qq[0], -b_qq[1],
                                          s_rad=float(upper(2.0 * (abs(w.mid - w_mid) + w.rad), 2)))
    if spec:
        return bk.concatenate(list(spec))
    w2I = bk.scaled_eye(2.0 * w, n)
    K = bk.block_matrix([[-e.J, -w2I], [w2I, -e.J]])  # 2 i omega - J in real form
    K_inv = real_form(e.basis.combine(1 / (2j * w_mid - e.spectrum.centers)),  # X (2iw - lam)^-1 R
                      out=e.scratch("double frequency", 2 * n))
    return _solve(bk, K, bk.concatenate(list(b_qq)), "(2 i omega - J)^{-1} B(q, q)", K_inv, real_form=True)


def crossing_and_l1(e: HopfEnclosures, spectral: bool = False):
    """Enclosures (Arb scalars) of the crossing speed, of ``l1`` for the eigenvector ``q = v*`` as normalised by
    the extended system, and of ``q^H q``. ``spectral``: solve the systems with ``J`` and ``2 i omega - J`` from
    the verified diagonalisation (:meth:`~neurodyn.validated.Backend.spectral_solve`) where the backend can,
    falling back to dense solves where it fails."""
    net, bk, u, W, J = e.net, e.bk, e.u, e.W, e.J
    s, s2, s3 = e.t[1], e.t[2], e.t[3]
    qr, qi, w = u.vr, u.vi, u.w
    pr, pi = _left_eigenvector(e)

    def pH(yr, yi):  # Re(p^H y)
        return pr @ yr + pi @ yi

    Wqr, Wqi = W @ qr, W @ qi
    dy = net.da_inner(bk, u.x)
    Fa = net.outer(bk, s * dy)
    mod2 = Wqr * Wqr + Wqi * Wqi  # |W q|^2
    b_qqbar = net.outer(bk, s2 * mod2)  # B(q, q̄), real (see below)
    # one verified solve with J for the branch tangent xdot = -J^{-1} F_a and for h11 = J^{-1} B(q, q̄): from the
    # verified diagonalisation on the fast backend (0 lies off every disc: only the critical pair's meet the axis)
    rhs = bk.block([[col(Fa), col(b_qqbar)]])
    spectral = spectral and bk.spectral_solves
    spec = spectral and bk.spectral_solve(J, e.spectrum, e.basis, 0.0, rhs)
    sol = spec[0] if spec else _solve(bk, J, rhs, "J^{-1} [F_a, B(q, q̄)]", None if e.inv is None else e.inv.Ji)
    xdot, h11 = -sol[:, 0], sol[:, 1]
    # transversality: d/da along the branch; dJ q = H(xdot) q + J_a q
    Wx = W @ xdot

    def dJ(Wv, v):
        out = s2 * (Wx + dy) * Wv
        if net.W1 is not None:
            out = out + s * (v if net.W1_is_identity else bk.point(net.W1) @ v)
        return net.outer(bk, out)

    crossing = pH(dJ(Wqr, qr), dJ(Wqi, qi))
    # B(u, v) = V (tanh'' * (W u)(W v)), C(u, v, w) = V (tanh''' * (W u)(W v)(W w)), complex via (re, im) pairs
    b_qq = (net.outer(bk, s2 * (Wqr * Wqr - Wqi * Wqi)), net.outer(bk, s2 * (2.0 * (Wqr * Wqi))))
    c_term = pH(net.outer(bk, s3 * mod2 * Wqr), net.outer(bk, s3 * mod2 * Wqi))  # C(q, q, q̄)
    Wh = W @ h11
    b_term = pH(net.outer(bk, s2 * Wqr * Wh), net.outer(bk, s2 * Wqi * Wh))  # B(q, h11)
    h20 = _double_frequency_solve(e, b_qq, spectral)
    Whr, Whi = W @ h20[:e.n], W @ h20[e.n:]
    # B(q̄, h20): (W q̄)(W h20) = (Wqr - i Wqi)(Whr + i Whi)
    d_term = pH(net.outer(bk, s2 * (Wqr * Whr + Wqi * Whi)), net.outer(bk, s2 * (Wqr * Whi - Wqi * Whr)))
    with ctx.workprec(128):
        total = bk.to_arb(c_term) - 2 * bk.to_arb(b_term) + bk.to_arb(d_term)
        l1 = total / (2 * bk.to_arb(w))
        qq = bk.to_arb(qr @ qr + qi @ qi)
        return bk.to_arb(crossing), l1, qq
