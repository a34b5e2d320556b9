"""The extended Hopf system of a tanh network enclosed by an interval backend: its residual at a float point and
its Jacobian over a ball of unknowns ``(x, a, Re v, Im v, omega)`` (the layout of
:class:`neurodyn.continuation.residuals.HopfUnknowns`, the float system's own definition)."""

from __future__ import annotations

import numpy as np
from flint import ctx

from neurodyn.continuation.residuals import HopfUnknowns


class Unknowns:
    """The unknowns ``z = (x, a, Re v, Im v, omega)`` of the extended Hopf system
    (:class:`neurodyn.continuation.residuals.HopfUnknowns`, one parameter) as intervals: a ball of radius ``r``
    around the float point ``z``, or the point itself when ``r == 0``."""

    def __init__(self, bk, z: np.ndarray, n: int, r: float = 0.0):
        u = HopfUnknowns.of(bk.ball(z, r) if r else bk.point(z), 1)
        self.x, self.a, self.vr, self.vi, self.w = u.x, u.p[0], u.vr, u.vi, u.omega


def field_parts(net, bk, u, orders):
    W, y, t = net.evaluate(bk, u.x, u.a, orders)
    return W, t


def residual(net, bk, z: np.ndarray, n: int, c: np.ndarray):
    """An enclosure of ``G(z)`` at the float point ``z``, each row evaluated in Arb from exactly summed products
    (so the enclosure is tight to a few units of the residual's own last place)."""
    u = HopfUnknowns.of(z, 1)
    x, a, vr, vi, w = u.x, float(u.p[0]), u.vr, u.vi, float(u.omega)
    F, s = net.residual_point(bk, x, a)
    rows = [F]
    for v, u, sign in ((vr, vi, 1.0), (vi, vr, -1.0)):  # J v + sign omega u
        with ctx.workprec(bk.prec):
            inside = s * net.inner_arb(bk, v, a)
        rows.append(net.outer_arb(bk, inside, net.linear_arb(bk, v, sign * w, u)))
    cr, ci = c.real, c.imag
    norm = bk.affine(np.stack([np.concatenate([cr, ci]), np.concatenate([-ci, cr])]), np.concatenate([vr, vi]),
                     np.array([-1.0, 0.0]))
    return bk.concatenate(rows + [norm])


def jacobian(net, bk, u: Unknowns, n: int, c: np.ndarray):
    """An enclosure of ``DG`` over the interval unknowns ``u``, ordered ``(x, a, Re v, Im v, omega)``."""
    W, t = field_parts(net, bk, u, (1, 2))
    s, s2 = t[1], t[2]
    dy = net.da_inner(bk, u.x)
    J = net.jacobian_from(bk, W, s)
    wI = bk.scaled_eye(u.w, n)

    def H_and_Ja(v):
        # d/dx (J v) = V diag(tanh''(y) * (W v)) W;  d/da (J v) = V (tanh''(y) * dy/da * (W v) + tanh'(y) * (W1 v))
        s2Wv = s2 * (W @ v)
        out = s2Wv * dy
        if net.W1 is not None:
            out = out + s * (v if net.W1_is_identity else bk.point(net.W1) @ v)
        return net.outer(bk, W * s2Wv[:, None]), col(net.outer(bk, out))

    Fa = net.outer(bk, s * dy)
    cr, ci = c.real, c.imag
    return bk.block_matrix([  # None: a zero block
        [J, col(Fa), None, None, None],
        [*H_and_Ja(u.vr), J, wI, col(u.vi)],
        [*H_and_Ja(u.vi), -wI, J, col(-u.vr)],
        [None, None, np.stack([cr, -ci]), np.stack([ci, cr]), None],
    ])


def cuts(n: int) -> tuple[list[int], list[int]]:
    """The extended Jacobian's block rows ``(F, Re, Im, normalisation)`` and columns ``(x, a, Re v, Im v,
    omega)``."""
    return [0, n, 2 * n, 3 * n, 3 * n + 2], [0, n, n + 1, 2 * n + 1, 3 * n + 1, 3 * n + 2]


def mid_part(bk, DG, n: int):
    """``(i, j) ->`` block ``(i, j)`` (see :func:`cuts`) of the extended Jacobian's float midpoint."""
    return bk.mid_blocks(DG, *cuts(n))




def col(v):
    return v[:, None]
