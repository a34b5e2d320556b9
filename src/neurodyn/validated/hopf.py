"""Proof of a Hopf bifurcation: the extended system, the spectrum, transversality and the first Lyapunov
coefficient, all enclosed rigorously (:func:`prove_hopf`, :func:`prove_hopf_points`)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from flint import ctx

from neurodyn._compat import renamed
from neurodyn._progress import progress_bar
from neurodyn.continuation.points import HopfPoint
from neurodyn.continuation.residuals import HopfUnknowns
from neurodyn.errors import InvalidInputError
from neurodyn.results import finish
from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.backend import get_backend
from neurodyn.validated.balls import upper
from neurodyn.validated.equilibrium import _point
from neurodyn.validated.field import TanhNetwork
from neurodyn.validated.hopf_system import Unknowns, field_parts, jacobian, mid_part, residual
from neurodyn.validated.hopf_terms import HopfEnclosures, NotVerified, crossing_and_l1
from neurodyn.validated.inverses import Inverses, extended_inverse
from neurodyn.validated.linalg import (
    EigenBases,
    Existence,
    approximate_inverse,
    existence_and_uniqueness,
    spectrum_enclosure,
)
from neurodyn.validated.proof import Proof, Proofs, decimal_down, decimal_up


def prove_hopf(system, hopf: HopfPoint | None = None, *, param: str | None = None, backend="fast",
               strict: bool | None = None, hopf_point: HopfPoint | None = None, progress: bool = False) -> Proof:
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
        hopf: a :class:`neurodyn.HopfPoint` of ``system`` (from :func:`neurodyn.find_hopf_points`);
            ``hopf_point=`` is its deprecated old name. For several points use :func:`prove_hopf_points`.
        param: the parameter's name (default: the Hopf point's).
        backend: ``"fast"`` or ``"arb"``/``"arb:<bits>"``, or a :class:`~neurodyn.validated.Backend`.
        strict: raise :class:`~neurodyn.ConvergenceError` instead of returning a proof that failed (default
            ``None``: "not proved" with its reason is an answer and is returned).

    Returns:
        :class:`Proof` (``status`` "proved" or "not proved").
    """
    hopf = renamed("prove_hopf", "hopf_point", hopf_point, "hopf", hopf)
    if not isinstance(hopf, HopfPoint) and isinstance(hopf, Sequence):
        warnings.warn("prove_hopf with a list of points is deprecated; use prove_hopf_points, which returns a "
                      "Proofs collection", DeprecationWarning, stacklevel=2)
        # the old return type, a list, for one release
        return list(prove_hopf_points(system, hopf, param=param, backend=backend, progress=progress, strict=strict))
    proof = _prove_hopf(system, hopf, param, backend, EigenBases())
    return finish(proof, strict=strict, what=f"the Hopf bifurcation proof at {proof.settings.get('value')}")


def prove_hopf_points(system, points, *, param: str | None = None, backend="fast", progress: bool = False,
                      strict: bool | None = None) -> Proofs:
    """:func:`prove_hopf` for each of ``points`` (e.g. a :class:`neurodyn.HopfPoints`), in turn.

    Points whose Jacobians differ by a multiple of the identity (the ``x = 0`` branch of
    ``tanh((A + alpha I) x)``) share one float eigen-decomposition, and the scratch arrays of the approximate
    inverses are kept from one point to the next.

    Args:
        system, param, backend: as for :func:`prove_hopf`. points: a sequence of :class:`neurodyn.HopfPoint`.
        progress: a progress bar. strict: raise :class:`~neurodyn.ConvergenceError` unless every point is proved.

    Returns:
        :class:`Proofs`, a sequence of :class:`Proof` in the order of ``points``.
    """
    if isinstance(points, HopfPoint) or not isinstance(points, Sequence):
        raise InvalidInputError(f"prove_hopf_points needs a sequence of HopfPoint (e.g. from "
                                f"neurodyn.find_hopf_points), got {type(points).__name__}; prove one with prove_hopf")
    bases, proofs, scratch = EigenBases(), [], _Scratch()
    with progress_bar(progress, len(points), "proving Hopf points") as advance:
        for h in points:
            proofs.append(_prove_hopf(system, h, param, backend, bases, scratch))
            if advance is not None:
                advance(1)
    return finish(Proofs.of(proofs, kind="hopf"), strict=strict, what="the Hopf bifurcation proofs")


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


class _NotProved(Exception):
    """A part of the proof that failed: the reason and what was established before it."""

    def __init__(self, reason: str, bounds: dict | None = None, radius: float = np.inf, r_max: float = 0.0,
                 eigenvalues: np.ndarray | None = None):
        super().__init__(reason)
        self.reason, self.bounds, self.radius, self.r_max = reason, bounds or {}, radius, r_max
        self.eigenvalues = np.zeros((0, 3)) if eigenvalues is None else eigenvalues


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
    x = _point(hopf_point.x, net.n, "hopf_point.x")
    system.probe(torch.from_numpy(x).to(system.dtype))
    settings = {"backend": bk.spec, "param": param, "value": hopf_point.value}
    base = dict(kind="hopf", center=torch.from_numpy(x), backend=bk.spec, settings=settings)
    try:
        kind, statement, done = _argument(net, bk, hopf_point, x, param, bases,
                                          _Scratch() if scratch is None else scratch)
    except _NotProved as exc:
        return Proof(proved=False, statement=f"a Hopf bifurcation near {param} = {hopf_point.value:.10g} was not "
                     "proved", reason=exc.reason, conclusion="undecided", radius=exc.radius,
                     uniqueness_radius=exc.r_max, bounds=exc.bounds, eigenvalues=exc.eigenvalues,
                     seconds=time.perf_counter() - t0, **base)
    return Proof(proved=True, statement=statement, reason="", conclusion=kind, seconds=time.perf_counter() - t0,
                 **done, **base)


def _argument(net, bk, hopf_point: HopfPoint, x: np.ndarray, param: str, bases: EigenBases, scratch: _Scratch):
    """The four parts of the proof in order; ``(conclusion, statement, proof fields)`` or :class:`_NotProved`."""
    n = net.n
    q = hopf_point.q.detach().cpu().numpy().astype(np.complex128)
    z = HopfUnknowns.pack(torch.from_numpy(x), torch.tensor([hopf_point.value], dtype=torch.float64),
                          torch.from_numpy(q), hopf_point.omega).numpy()
    c = q / np.vdot(q, q).real  # normalisation c^H v = 1, satisfied by v = q
    z, e, basis, lam, fast = _existence(net, bk, z, c, bases, scratch)
    r = e.r_min
    u = Unknowns(bk, z, n, r)
    zz = HopfUnknowns.of(z, 1)
    bounds = {param: _widened(zz.p[0], r), "omega": _widened(zz.omega, r), "Y": (0.0, e.Y), "Z": (0.0, e.Z)}
    done = dict(radius=r, r_max=e.r_max)
    if not bounds["omega"][0] > 0:
        raise _NotProved("the frequency omega is not proven positive", bounds, **done)
    W, t, J, spectrum = _spectrum(net, bk, u, basis, bounds, done)
    eig = spectrum.as_array()
    enclosures = HopfEnclosures(net=net, bk=bk, u=u, W=W, t=t, J=J, spectrum=spectrum, basis=basis, z=z,
                                inv=fast or Inverses.of(basis, lam, float(zz.omega)), scratch=scratch)
    _terms(enclosures, bounds, eig, done)
    lo, hi = bounds["l1"]
    kind = "supercritical" if hi < 0 else "subcritical"
    a_lo, a_hi = bounds[param]
    w_lo, w_hi = bounds["omega"]
    statement = (f"at some {param} in [{decimal_down(a_lo)}, {decimal_up(a_hi)}] (the only solution of the extended "
                 f"Hopf system within {decimal_down(e.r_max)} of the float point) the field has an equilibrium whose "
                 f"Jacobian has the simple eigenvalues ±i omega, omega in [{decimal_down(w_lo)}, {decimal_up(w_hi)}],"
                 f" and no other eigenvalue on the imaginary axis; they cross it with speed in "
                 f"[{decimal_down(bounds['crossing'][0])}, {decimal_up(bounds['crossing'][1])}] and l1 in "
                 f"[{decimal_down(lo)}, {decimal_up(hi)}]: a {kind} Hopf bifurcation")
    return kind, statement, dict(radius=r, uniqueness_radius=e.r_max, bounds=bounds, eigenvalues=eig)


def _existence(net, bk, z: np.ndarray, c: np.ndarray, bases: EigenBases, scratch: _Scratch):
    """1. A unique zero of the extended system near ``z``: one quasi-Newton step first sharpens the float point to
    full precision. The Jacobian is enclosed once over a ball around the float point wide enough to hold the ball
    of the first radius tried around the sharpened point (the one that usually succeeds), and serves both. Its
    approximate inverse comes from the eigenbasis of J (structured, cheap); the dense inverse is the fallback.
    Returns the sharpened point, the :class:`Existence` bounds, the eigenbasis and the structured inverse."""
    n = net.n
    wide = 2e-5 * (1 + float(np.abs(z).max()))
    DG = jacobian(net, bk, Unknowns(bk, z, n, wide), n, c)
    part = mid_part(bk, DG, n)
    basis, lam = bases.decompose(part(0, 0))
    fast = extended_inverse(part, basis, lam, n, float(HopfUnknowns.of(z, 1).omega),
                            out=scratch("extended", 3 * n + 2))
    G0 = residual(net, bk, z, n, c).mid

    def newton_kantorovich(A):
        z1 = z - A @ G0
        if not np.all(np.isfinite(z1)):
            return z, Existence(False, np.inf, np.inf, np.inf, 0.0, "the sharpening step left a non-finite point")
        shift = float(upper(np.abs(z1 - z), 1).max())

        def jacobian_over(r):  # B(z1, r) lies in the ball DG was enclosed over when r + shift <= wide; smaller
            # radii (tried when the first fails) get their own, tighter enclosure
            inside = wide / 4 <= r and float(np.nextafter(r + shift, np.inf)) <= wide  # r + shift rounded up
            return DG if inside else jacobian(net, bk, Unknowns(bk, z1, n, r), n, c)

        return z1, existence_and_uniqueness(bk, A, residual(net, bk, z1, n, c), jacobian_over,
                                            float(np.abs(z1).max()), center=DG)

    e = None
    if fast is not None:
        z_new, e = newton_kantorovich(fast.A)
    if e is None or not e.ok:
        A = approximate_inverse(DG.mid)
        if A is None:
            raise _NotProved("the extended system's Jacobian is singular at the Hopf point (a degenerate point?)")
        z_new, e = newton_kantorovich(A)
    if not e.ok:
        raise _NotProved(f"extended system: {e.reason}", {"Y": (0.0, e.Y), "Z": (0.0, e.Z)})
    return z_new, e, basis, lam, fast


def _spectrum(net, bk, u: Unknowns, basis, bounds: dict, done: dict):
    """2. The spectrum at ``(x*, a*)``: exactly the two isolated discs of the critical pair meet the imaginary
    axis. Returns ``W``, the tanh derivatives, ``J`` and the spectrum."""
    W, t = field_parts(net, bk, u, (1, 2, 3))
    J = net.jacobian_from(bk, W, t[1])
    spectrum = spectrum_enclosure(bk, J, basis)
    if spectrum is None:
        raise _NotProved("the Jacobian's eigenvector matrix is too ill-conditioned to enclose its spectrum", bounds,
                         **done)
    meets = ~((spectrum.real_lower() > 0) | (spectrum.real_upper() < 0))  # NaN counts as meeting the axis
    upper_half = spectrum.centers.imag > 0
    sizes = spectrum.sizes()
    if not (meets.sum() == 2 and (sizes[meets] == 1).all() and upper_half[meets].sum() == 1):
        raise _NotProved(f"{int(meets.sum())} Gershgorin discs meet the imaginary axis (need exactly the two "
                         "isolated discs of the critical pair)", bounds, eigenvalues=spectrum.as_array(), **done)
    return W, t, J, spectrum


def _terms(e: HopfEnclosures, bounds: dict, eig: np.ndarray, done: dict) -> None:
    """3. and 4.: transversality and ``l1`` (into ``bounds``) from the enclosed ``q``, ``p``; the solves with ``J``
    and ``2 i omega - J`` first from the verified diagonalisation (``O(n^2)``, norm-wise), and again from dense
    approximate inverses (``O(n^3)``, tighter for non-normal ``J``) when those enclosures do not decide the
    signs."""
    for spectral in (True, False):
        try:
            crossing, l1, qq = crossing_and_l1(e, spectral)
        except NotVerified as exc:
            if "crossing" in bounds:  # keep the first pass's enclosures
                break
            raise _NotProved(str(exc), bounds, eigenvalues=eig, **done) from None
        with ctx.workprec(128):
            l1 = l1 / qq  # the q^H q = 1 convention (l1 scales with |q|^2)
            for name, value in (("crossing", crossing), ("l1", l1)):  # both passes enclose it: intersect
                lo, hi = bounds.get(name, (-np.inf, np.inf))
                bounds[name] = (max(lo, float_down(value)), min(hi, float_up(value)))
        if all(lo > 0 or hi < 0 for lo, hi in (bounds["crossing"], bounds["l1"])) or not e.bk.spectral_solves:
            break
    if not (bounds["crossing"][0] > 0 or bounds["crossing"][1] < 0):
        raise _NotProved(f"transversality: the crossing speed enclosure [{decimal_down(bounds['crossing'][0])}, "
                         f"{decimal_up(bounds['crossing'][1])}] contains 0", bounds, eigenvalues=eig, **done)
    lo, hi = bounds["l1"]
    if not (lo > 0 or hi < 0):
        raise _NotProved(f"non-degeneracy: the first Lyapunov coefficient enclosure [{decimal_down(lo)}, "
                         f"{decimal_up(hi)}] contains 0", bounds, eigenvalues=eig, **done)


def _widened(value: float, r: float) -> tuple[float, float]:
    """``[value - r, value + r]`` rounded outwards."""
    return float(np.nextafter(value - r, -np.inf)), float(np.nextafter(value + r, np.inf))
