"""Proof of a Hopf bifurcation: the extended system, the spectrum, transversality and the first Lyapunov
coefficient, all enclosed rigorously (:func:`prove_hopf`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
from flint import ctx

from neurodyn._progress import progress_bar
from neurodyn.continuation.hopf import HopfPoint
from neurodyn.continuation.residuals import HopfUnknowns
from neurodyn.errors import InvalidInputError
from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.backend import get_backend
from neurodyn.validated.balls import upper
from neurodyn.validated.equilibrium import _point
from neurodyn.validated.field import TanhNetwork
from neurodyn.validated.inverses import Inverses, bordered_inverse, extended_inverse
from neurodyn.validated.linalg import (
    EigenBases,
    Existence,
    approximate_inverse,
    existence_and_uniqueness,
    real_form,
    spectrum_enclosure,
    verified_solve,
)
from neurodyn.validated.proof import Proof, decimal_down, decimal_up


class _Unknowns:
    """The unknowns ``z = (x, a, Re v, Im v, omega)`` of the extended Hopf system
    (:class:`neurodyn.continuation.residuals.HopfUnknowns`, one parameter) as intervals: a ball of radius ``r``
    around the float point ``z``, or the point itself when ``r == 0``."""

    def __init__(self, bk, z: np.ndarray, n: int, r: float = 0.0):
        u = HopfUnknowns.of(bk.ball(z, r) if r else bk.point(z), 1)
        self.x, self.a, self.vr, self.vi, self.w = u.x, u.p[0], u.vr, u.vi, u.omega


def _field_parts(net, bk, u, orders):
    W, y, t = net.evaluate(bk, u.x, u.a, orders)
    return W, t


def _J_times(net, bk, W, s, v):
    """``J v = -leak v + V (s * (W v))`` with ``s = tanh'(y)``."""
    out = net.outer(bk, s * (W @ v))
    return out - net.leak * v if net.leak else out


def _residual(net, bk, z: np.ndarray, n: int, c: np.ndarray):
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


def _jacobian(net, bk, u: _Unknowns, n: int, c: np.ndarray):
    """An enclosure of ``DG`` over the interval unknowns ``u``, ordered ``(x, a, Re v, Im v, omega)``."""
    W, t = _field_parts(net, bk, u, (1, 2))
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
        return net.outer(bk, W * s2Wv[:, None]), _col(net.outer(bk, out))

    Fa = net.outer(bk, s * dy)
    cr, ci = c.real, c.imag
    return bk.block_matrix([  # None: a zero block
        [J, _col(Fa), None, None, None],
        [*H_and_Ja(u.vr), J, wI, _col(u.vi)],
        [*H_and_Ja(u.vi), -wI, J, _col(-u.vr)],
        [None, None, np.stack([cr, -ci]), np.stack([ci, cr]), None],
    ])


def _cuts(n: int) -> tuple[list[int], list[int]]:
    """The extended Jacobian's block rows ``(F, Re, Im, normalisation)`` and columns ``(x, a, Re v, Im v,
    omega)``."""
    return [0, n, 2 * n, 3 * n, 3 * n + 2], [0, n, n + 1, 2 * n + 1, 3 * n + 1, 3 * n + 2]


def _mid_part(bk, DG, n: int):
    """``(i, j) ->`` block ``(i, j)`` (see :func:`_cuts`) of the extended Jacobian's float midpoint."""
    return bk.mid_blocks(DG, *_cuts(n))


def prove_hopf(system, hopf_point, *, param: str | None = None, backend="fast",
               progress: bool = False) -> Proof | list[Proof]:
    """Prove that ``hopf_point`` is a non-degenerate Hopf bifurcation of ``system`` and decide its criticality.

    The proof has four parts, each rigorous (interval backend ``backend``):

    1. **Existence and local uniqueness** of a zero ``(x*, a*, v*, omega*)`` of the extended system
       ``F(x, a) = 0``, ``J(x, a) v = i omega v``, ``c^H v = 1`` (``c`` the float eigenvector, ``v`` split into
       real and imaginary parts) within ``radius`` of the float point (Newton–Kantorovich, as in
       :func:`neurodyn.prove_equilibrium`), with ``omega* > 0``.
    2. **The spectrum** of ``J(x*, a*)`` enclosed by verified diagonalisation and Gershgorin discs: the discs
       through ``± i omega*`` are isolated (so the pair is simple) and no other disc meets the imaginary axis.
    3. **Transversality**: the crossing speed ``Re p^H (dJ/da along the branch) q`` enclosed away from 0.
    4. **The first Lyapunov coefficient** (Kuznetsov's formula, ``q^H q = 1``, ``p^H q = 1``, the convention of
       :class:`neurodyn.HopfPoint`), enclosed by verified solves for ``p``, ``J^{-1} B(q, q̄)`` and
       ``(2 i omega - J)^{-1} B(q, q)``; proved non-degenerate only if the enclosure excludes 0. On the fast
       backend the last two solves first use the diagonalisation verified in 2. (``O(n^2)``, see
       :func:`neurodyn.validated.spectral.spectral_solve`); when the enclosures of the crossing speed and ``l1``
       so obtained do not decide their signs (their widths grow with the condition number of the eigenvector
       matrix), both are formed again from dense solves.

    ``proved`` is True only when all four hold; otherwise ``reason`` names the first that failed. ``conclusion``
    is ``"supercritical"`` (``l1 < 0``, a stable cycle is born) or ``"subcritical"``. ``bounds`` holds the
    parameter, ``omega``, the crossing speed and ``l1`` as rigorous intervals.

    Args:
        system: a flow built by :func:`neurodyn.tanh_family` (or ``tanh_field`` with a parameter).
        hopf_point: a :class:`neurodyn.HopfPoint` of ``system`` (from :func:`neurodyn.find_hopf_points`), or a
            list of them: each is proved in turn and a list of proofs returned; points whose Jacobians differ
            by a multiple of the identity (the ``x = 0`` branch of ``tanh((A + alpha I) x)``) then share one
            float eigen-decomposition.
        param: the parameter's name (default: the Hopf point's).
        backend: ``"fast"`` or ``"arb"``/``"arb:<bits>"``.
        progress: a progress bar over a list of points.
    """
    if isinstance(hopf_point, HopfPoint) or not isinstance(hopf_point, Sequence):
        return _prove_hopf(system, hopf_point, param, backend, EigenBases())
    bases, proofs, scratch = EigenBases(), [], _Scratch()
    with progress_bar(progress, len(hopf_point), "proving Hopf points") as advance:
        for h in hopf_point:
            proofs.append(_prove_hopf(system, h, param, backend, bases, scratch))
            if advance is not None:
                advance(1)
    return proofs


class _Scratch:
    """Square float arrays by name, kept from one point of a list to the next for the approximate inverses: the
    kernel provides the fresh pages of an array of this size (tens of MB at n = 1000) at a cost comparable to
    the products that fill it, and a kept array needs none. Nothing written here outlives the point's proof."""

    def __init__(self):
        self._arrays = {}

    def __call__(self, name: str, size: int) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != (size, size):
            a = self._arrays[name] = np.empty((size, size))
        return a


def _prove_hopf(system, hopf_point, param, backend, bases: EigenBases, scratch: _Scratch | None = None) -> Proof:
    """One point; ``bases`` and ``scratch`` are shared by the points of a list."""
    t0 = time.perf_counter()
    if not isinstance(hopf_point, HopfPoint):
        raise InvalidInputError(f"prove_hopf needs a HopfPoint (from neurodyn.find_hopf_points), got "
                                f"{type(hopf_point).__name__}")
    param = param or hopf_point.param
    net = TanhNetwork.of(system, "prove_hopf", {param: hopf_point.value} if param else None)
    if net.param != param or param != hopf_point.param:
        raise InvalidInputError(f"the Hopf point is in {hopf_point.param!r} but the system's parameter is "
                                f"{net.param!r} (param={param!r}): prove it for the family it came from")
    bk = get_backend(backend)
    n = net.n
    x = _point(hopf_point.x, n, "hopf_point.x")
    q = hopf_point.q.detach().cpu().numpy().astype(np.complex128)
    z = np.concatenate([x, [hopf_point.value], q.real, q.imag, [hopf_point.omega]])
    c = q / np.vdot(q, q).real  # normalisation c^H v = 1, satisfied by v = q
    settings = {"backend": bk.spec, "param": param, "value": hopf_point.value}
    base = dict(kind="hopf", center=torch.from_numpy(x), backend=bk.spec, settings=settings)

    def failed(reason, bounds=None, radius=np.inf, r_max=0.0, eigenvalues=None):
        return Proof(proved=False, statement=f"a Hopf bifurcation near {param} = {hopf_point.value:.10g} was not "
                     "proved", reason=reason, conclusion="undecided", radius=radius, uniqueness_radius=r_max,
                     bounds=bounds or {}, eigenvalues=np.zeros((0, 3)) if eigenvalues is None else eigenvalues,
                     seconds=time.perf_counter() - t0, **base)

    # 1. the extended system; one quasi-Newton step first sharpens the float point to full precision. The
    # Jacobian is enclosed once over a ball around the float point wide enough to hold the ball of the first
    # radius tried around the sharpened point (the one that usually succeeds), and serves both. Its approximate
    # inverse comes from the eigenbasis of J (structured, cheap); the dense inverse is the fallback.
    wide = 2e-5 * (1 + float(np.abs(z).max()))
    DG = _jacobian(net, bk, _Unknowns(bk, z, n, wide), n, c)
    part = _mid_part(bk, DG, n)
    basis, lam = bases.decompose(part(0, 0))
    scratch = _Scratch() if scratch is None else scratch
    fast = extended_inverse(part, basis, lam, n, float(HopfUnknowns.of(z, 1).omega), out=scratch("extended", 3 * n + 2))
    G0 = _residual(net, bk, z, n, c).mid

    def newton_kantorovich(A):
        z1 = z - A @ G0
        if not np.all(np.isfinite(z1)):
            return z, Existence(False, np.inf, np.inf, np.inf, 0.0, "the sharpening step left a non-finite point")
        shift = float(upper(np.abs(z1 - z), 1).max())

        def jacobian_over(r):  # B(z1, r) lies in the ball DG was enclosed over when r + shift <= wide; smaller
            # radii (tried when the first fails) get their own, tighter enclosure
            inside = wide / 4 <= r and float(np.nextafter(r + shift, np.inf)) <= wide  # r + shift rounded up
            return DG if inside else _jacobian(net, bk, _Unknowns(bk, z1, n, r), n, c)

        return z1, existence_and_uniqueness(bk, A, _residual(net, bk, z1, n, c), jacobian_over,
                                            float(np.abs(z1).max()), center=DG)

    e = None
    if fast is not None:
        z_new, e = newton_kantorovich(fast.A)
    if e is None or not e.ok:
        A = approximate_inverse(DG.mid)
        if A is None:
            return failed("the extended system's Jacobian is singular at the Hopf point (a degenerate point?)")
        z_new, e = newton_kantorovich(A)
    z = z_new
    if not e.ok:
        return failed(f"extended system: {e.reason}", {"Y": (0.0, e.Y), "Z": (0.0, e.Z)})
    r = e.r_min
    u = _Unknowns(bk, z, n, r)
    zz = HopfUnknowns.of(z, 1)
    bounds = {param: _widened(zz.p[0], r), "omega": _widened(zz.omega, r), "Y": (0.0, e.Y), "Z": (0.0, e.Z)}
    done = dict(radius=r, r_max=e.r_max)
    if not bounds["omega"][0] > 0:
        return failed("the frequency omega is not proven positive", bounds, **done)

    # 2. the spectrum at (x*, a*)
    W, t = _field_parts(net, bk, u, (1, 2, 3))
    J = net.jacobian_from(bk, W, t[1])
    spectrum = spectrum_enclosure(bk, J, basis)
    if spectrum is None:
        return failed("the Jacobian's eigenvector matrix is too ill-conditioned to enclose its spectrum", bounds,
                      **done)
    meets = ~((spectrum.real_lower() > 0) | (spectrum.real_upper() < 0))  # NaN counts as meeting the axis
    upper_half = spectrum.centers.imag > 0
    sizes = spectrum.sizes()
    if not (meets.sum() == 2 and (sizes[meets] == 1).all() and upper_half[meets].sum() == 1):
        return failed(f"{int(meets.sum())} Gershgorin discs meet the imaginary axis (need exactly the two isolated "
                      "discs of the critical pair)", bounds, eigenvalues=spectrum.as_array(), **done)
    eig = spectrum.as_array()

    # 3. and 4.: transversality and l1 from the enclosed q, p; the solves with J and 2 i omega - J first from the
    # verified diagonalisation (O(n^2), norm-wise), and again from dense approximate inverses (O(n^3), tighter
    # for non-normal J) when those enclosures do not decide the signs
    inv = fast or Inverses.of(basis, lam, float(zz.omega))
    for spectral in (True, False):
        try:
            crossing, l1, qq = _crossing_and_l1(net, bk, u, W, t, J, n, spectrum, basis, z, inv, scratch, spectral)
        except _NotVerified as exc:
            if "crossing" in bounds:  # keep the first pass's enclosures
                break
            return failed(str(exc), bounds, eigenvalues=eig, **done)
        with ctx.workprec(128):
            l1 = l1 / qq  # the q^H q = 1 convention (l1 scales with |q|^2)
            for name, value in (("crossing", crossing), ("l1", l1)):  # both passes enclose it: intersect
                lo, hi = bounds.get(name, (-np.inf, np.inf))
                bounds[name] = (max(lo, float_down(value)), min(hi, float_up(value)))
        if all(lo > 0 or hi < 0 for lo, hi in (bounds["crossing"], bounds["l1"])) or not bk.spectral_solves:
            break
    if not (bounds["crossing"][0] > 0 or bounds["crossing"][1] < 0):
        return failed(f"transversality: the crossing speed enclosure [{decimal_down(bounds['crossing'][0])}, "
                      f"{decimal_up(bounds['crossing'][1])}] contains 0", bounds, eigenvalues=eig, **done)
    lo, hi = bounds["l1"]
    if not (lo > 0 or hi < 0):
        return failed(f"non-degeneracy: the first Lyapunov coefficient enclosure [{decimal_down(lo)}, "
                      f"{decimal_up(hi)}] contains 0", bounds, eigenvalues=eig, **done)
    kind = "supercritical" if hi < 0 else "subcritical"
    a_lo, a_hi = bounds[param]
    w_lo, w_hi = bounds["omega"]
    statement = (f"at some {param} in [{decimal_down(a_lo)}, {decimal_up(a_hi)}] (the only solution of the extended "
                 f"Hopf system within {decimal_down(e.r_max)} of the float point) the field has an equilibrium whose "
                 f"Jacobian has the simple eigenvalues ±i omega, omega in [{decimal_down(w_lo)}, {decimal_up(w_hi)}],"
                 f" and no other eigenvalue on the imaginary axis; they cross it with speed in "
                 f"[{decimal_down(bounds['crossing'][0])}, {decimal_up(bounds['crossing'][1])}] and l1 in "
                 f"[{decimal_down(lo)}, {decimal_up(hi)}]: a {kind} Hopf bifurcation")
    return Proof(proved=True, statement=statement, reason="", conclusion=kind, radius=r, uniqueness_radius=e.r_max,
                 bounds=bounds, eigenvalues=eig, seconds=time.perf_counter() - t0, **base)


def _col(v):
    return v[:, None]


def _widened(value: float, r: float) -> tuple[float, float]:
    """``[value - r, value + r]`` rounded outwards."""
    return float(np.nextafter(value - r, -np.inf)), float(np.nextafter(value + r, np.inf))


class _NotVerified(Exception):
    pass


def _solve(bk, M, b, what, inverse=None, real_form=False):
    x = verified_solve(bk, M, b, inverse, real_form)
    if x is None:
        raise _NotVerified(f"the linear solve for {what} could not be verified (|I - R M| >= 1)")
    return x


def _crossing_and_l1(net, bk, u: _Unknowns, W, t, J, n, spectrum, basis, z, inv: Inverses | None, scratch: _Scratch,
                     spectral: bool = False):
    """Enclosures (Arb scalars) of the crossing speed, of ``l1`` for the eigenvector ``q = v*`` as normalised by
    the extended system, and of ``q^H q``. ``spectrum`` (the verified diagonalisation of ``J`` in ``basis``) and
    ``inv`` supply the approximate inverses of the linear systems (written into ``scratch``); ``z`` is the float
    point of the extended system. ``spectral``: solve the systems with ``J`` and ``2 i omega - J`` by
    :func:`spectral_solve` on the fast backend (falling back to dense solves where it fails)."""
    s, s2, s3 = t[1], t[2], t[3]
    zz = HopfUnknowns.of(z, 1)
    q_mid, w_mid = zz.vr + 1j * zz.vi, float(zz.omega)
    qr, qi, w = u.vr, u.vi, u.w
    # p: (J^T + i omega) p = 0, q^H p = 1, from the bordered system [[J^T + i w, q], [q^H, 0]] [p; s] = [0; 1]
    # (nonsingular for a simple eigenvalue, s = 0 at the solution), in real form
    JT, wI = J.T, bk.scaled_eye(w, n)
    M = bk.block_matrix([  # [[Kr, -Ki], [Ki, Kr]] with Kr = [[J^T, qr], [qr^T, 0]], Ki = [[w I, qi], [-qi^T, 0]]
        [JT, _col(qr), -wI, _col(-qi)],
        [qr[None, :], None, qi[None, :], None],
        [wI, _col(qi), JT, _col(qr)],
        [-qi[None, :], None, qr[None, :], None],
    ])
    rhs = np.zeros(2 * n + 2)
    rhs[n] = 1.0
    sol = _solve(bk, M, bk.point(rhs), "the left eigenvector p",
                 None if inv is None else bordered_inverse(inv, q_mid, out=scratch("bordered", 2 * n + 2)),
                 real_form=True)
    pr, pi = sol[:n], sol[n + 1:2 * n + 1]

    def pH(yr, yi):  # Re(p^H y)
        return pr @ yr + pi @ yi

    Wqr, Wqi = W @ qr, W @ qi
    dy = net.da_inner(bk, u.x)
    Fa = net.outer(bk, s * dy)
    mod2 = Wqr * Wqr + Wqi * Wqi  # |W q|^2
    b_qqbar = net.outer(bk, s2 * mod2)  # B(q, q̄), real (see below)
    # one verified solve with J for the branch tangent xdot = -J^{-1} F_a and for h11 = J^{-1} B(q, q̄): from the
    # verified diagonalisation on the fast backend (0 lies off every disc: only the critical pair's meet the axis)
    rhs = bk.block([[_col(Fa), _col(b_qqbar)]])
    spectral = spectral and bk.spectral_solves
    spec = spectral and bk.spectral_solve(J, spectrum, basis, 0.0, rhs)
    sol = spec[0] if spec else _solve(bk, J, rhs, "J^{-1} [F_a, B(q, q̄)]", None if inv is None else inv.Ji)
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
    # (2 i omega - J) h20 = B(q, q), i.e. (J - 2 i omega) h20 = -B(q, q): 2 i omega lies off every disc too
    spec = spectral and bk.spectral_solve(J, spectrum, basis, 2j * w_mid, -b_qq[0], -b_qq[1],
                                          s_rad=float(upper(2.0 * (abs(w.mid - w_mid) + w.rad), 2)))
    if spec:
        h20 = bk.concatenate(list(spec))
    else:
        w2I = bk.scaled_eye(2.0 * w, n)
        K = bk.block_matrix([[-J, -w2I], [w2I, -J]])  # 2 i omega - J in real form
        K_inv = real_form(basis.combine(1 / (2j * w_mid - spectrum.centers)),  # X (2iw - lam)^-1 R
                          out=scratch("double frequency", 2 * n))
        h20 = _solve(bk, K, bk.concatenate(list(b_qq)), "(2 i omega - J)^{-1} B(q, q)", K_inv, real_form=True)
    Whr, Whi = W @ h20[:n], W @ h20[n:]
    # B(q̄, h20): (W q̄)(W h20) = (Wqr - i Wqi)(Whr + i Whi)
    d_term = pH(net.outer(bk, s2 * (Wqr * Whr + Wqi * Whi)), net.outer(bk, s2 * (Wqr * Whi - Wqi * Whr)))
    with ctx.workprec(128):
        total = bk.to_arb(c_term) - 2 * bk.to_arb(b_term) + bk.to_arb(d_term)
        l1 = total / (2 * bk.to_arb(w))
        qq = bk.to_arb(qr @ qr + qi @ qi)
        return bk.to_arb(crossing), l1, qq
