"""Computer-assisted proofs of periodic orbits: :func:`prove_periodic_orbit` proves that a float periodic orbit
is near a true one, encloses its period and Floquet multipliers, and decides its stability."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from flint import acb, arb, ctx

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError, NeurodynError, UnsupportedModelError
from neurodyn.integrate import VariationalIntegrator
from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.balls import U, upper
from neurodyn.validated.flow import FlowSettings, _integrate
from neurodyn.validated.ivec import Arith, FastIV
from neurodyn.validated.linalg import approximate_inverse
from neurodyn.validated.monodromy import modulus_bounds, monodromy_spectrum
from neurodyn.validated.proof import Proof
from neurodyn.validated.taylor import TanhTaylor, taylor_field


@dataclass(frozen=True)
class _Shot:
    """The time-1 maps of ``(T/m) F`` over the boxes ``X_i`` (all ``T`` in an interval): the images ``(m, n)`` and
    the matrices ``D phi_{T/m}`` ``(m, n, n)``."""

    image: FastIV
    jacobian: FastIV


def _shoot(ar: Arith, field: TanhTaylor, X: np.ndarray, rad: float, T: FastIV, s: FlowSettings) -> _Shot | None:
    """All segments in one batch of the rigorous integrator (``None`` unless every one reaches its end)."""
    run = _integrate(ar, field.scaled(T.div(len(X))), X, np.full(X.shape, rad), 1.0, s)
    if not np.all(run.reached == 1.0):
        return None
    return _Shot(FastIV.from_bounds(run.lower, run.upper), FastIV.from_bounds(run.jlower, run.jupper))


def _system(field, X: np.ndarray, shot: _Shot, v: np.ndarray, x_ref: np.ndarray):
    """``G(z)`` and ``DG`` of multiple shooting, ``G = (phi_{T/m}(X_i) - X_{i+1 mod m}, v . (X_0 - x_ref))``, as
    interval arrays of size ``m n + 1`` from a shot (``DG``'s last column: ``F(phi_{T/m}(X_i)) / m``)."""
    m, n = X.shape
    G = shot.image - np.roll(X, -1, axis=0)
    phase = float(v @ (X[0] - x_ref))
    G0 = FastIV(np.concatenate([G.mid.ravel(), [phase]]), np.concatenate([G.rad.ravel(), [0.0]]))
    fY = field.series(shot.image, 1, False).x[1].div(m)  # d phi_{T/m} / dT
    mid, rad = np.zeros((m * n + 1, m * n + 1)), np.zeros((m * n + 1, m * n + 1))
    for i in range(m):
        rows = slice(i * n, (i + 1) * n)
        mid[rows, i * n:(i + 1) * n] = shot.jacobian.mid[i]
        rad[rows, i * n:(i + 1) * n] = shot.jacobian.rad[i]
        j = (i + 1) % m
        mid[rows, j * n:(j + 1) * n] -= np.eye(n)  # exact: the identity block (or J - I for one segment)
        mid[rows, -1], rad[rows, -1] = fY.mid[i], fY.rad[i]
    mid[-1, :n] = v
    if m == 1:  # J - I rounded: widen by the rounding of the subtraction
        rad[:n, :n] = upper(rad[:n, :n] + U * np.abs(mid[:n, :n]), 3)
    return G0, FastIV(mid, rad)


def _krawczyk(ar, field, X, T, v, s: FlowSettings, rho: float, at_point: _Shot | None):
    """The Krawczyk test for multiple shooting on the box ``Z = (X̄, T̄) ± rho``:
    ``K = z̄ - A G(z̄) + (I - A DG(Z)) (Z - z̄) ⊂ int Z`` proves a unique zero in ``Z``, which lies in ``K``
    (Krawczyk 1969; Moore, *Interval Analysis*). ``at_point``: the rigorous shot at ``(X̄, T̄)`` (``None``: it
    could not be enclosed).
    Returns ``(K, shot over Z, reason)``."""
    over = _shoot(ar, field, X, rho, ar.interval(np.nextafter(T - rho, -np.inf), np.nextafter(T + rho, np.inf)), s)
    if at_point is None or over is None:
        return None, None, f"the flow could not be enclosed over the segments at radius {rho:.3g}"
    G0, _ = _system(field, X, at_point, v, X[0])
    _, DG = _system(field, X, over, v, X[0])
    A = approximate_inverse(DG.mid) if np.all(np.isfinite(DG.mid)) else None
    if A is None:
        return None, over, "the shooting Jacobian is numerically singular (the orbit is not isolated)"
    z = np.concatenate([X.ravel(), [T]])
    K = (z - A @ G0) + (np.eye(len(z)) - A @ DG) @ ar.ball(np.zeros(len(z)), rho)
    # floats on the inner side of z -+ rho: K inside them is inside Z
    lo, hi = np.nextafter(z - rho, np.inf), np.nextafter(z + rho, -np.inf)
    inside = bool(np.all(K.lower() > lo) and np.all(K.upper() < hi))
    return (K if inside else None), over, ("" if inside else f"Krawczyk's K(Z) is not inside Z at radius {rho:.3g} "
                                           f"(max |K - z| = {float(np.max(np.abs(K.mid - z) + K.rad)):.3g})")


def _float_shot(system, X: np.ndarray, T: float) -> _Shot | None:
    """The segments' ``phi_{T/m}(X_i)`` and ``D phi_{T/m}`` by a float integrator (the variational equation with
    the Dormand–Prince 5(4) pair at tolerances 1e-13, :class:`~neurodyn.integrate.VariationalIntegrator`),
    as point intervals (``None`` when the integration fails or is not finite). For polishing only: nothing proven
    rests on it."""
    m, n = X.shape
    step = VariationalIntegrator(system, dt=T / m, method="dopri5", rtol=1e-13, atol=1e-13)
    x = torch.from_numpy(X).to(system.dtype)
    try:
        y, J = step.advance(x, torch.eye(n, dtype=x.dtype).expand(m, n, n).clone(), 0)
    except NeurodynError:
        return None
    y, J = y.to(torch.float64).numpy(), J.to(torch.float64).numpy()
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(J))):
        return None
    return _Shot(FastIV(y, np.zeros_like(y)), FastIV(J, np.zeros_like(J)))


def _refine(system, field, X: np.ndarray, T: float, steps: int = 4):
    """Float Newton steps on the multiple-shooting map, integrated by a float scheme far more accurate than the
    float orbit's (an RK orbit is only as accurate as its steps; the proof needs ``G(z̄)`` near rounding level).
    Stops when a step does not shrink the residual; returns the best point (any point is sound: the Krawczyk test
    on the rigorous enclosures decides) and the float ``DG`` there (``None`` when no shot was made)."""
    best, best_res = (X, T, None), np.inf
    v = field.series(field.ar.point(X[:1]), 1, False).x[1].mid[0]
    x_ref = X[0].copy()
    for _ in range(steps):
        shot = _float_shot(system, X, T)
        if shot is None:
            break
        G, DG = _system(field, X, shot, v, x_ref)
        res = float(np.max(np.abs(G.mid)))
        if not res < best_res:
            break
        best, best_res = (X, T, DG.mid), res
        try:
            dz = np.linalg.solve(DG.mid, G.mid)
        except np.linalg.LinAlgError:
            break
        X, T = X - dz[:-1].reshape(X.shape), T - float(dz[-1])
        if not (np.all(np.isfinite(X)) and T > 0):
            break
    return best


def _radii(G0: FastIV | None, DG: np.ndarray | None, size: float) -> list[float]:
    """The radii of the boxes ``Z`` to try, smallest first: twice the bound ``|A| (|G(z̄)|)`` of the Newton
    step from ``z̄`` (``G(z̄)`` enclosed, ``A`` the float inverse of the float ``DG``; below it ``K(Z)`` cannot fit in
    ``Z``, and the smaller ``Z``, the tighter the enclosures of the multipliers over it), then ``1e-9, 1e-7, 1e-5``
    times the orbit's size. Only a choice: the Krawczyk test decides on each."""
    fixed = [scale * size for scale in (1e-9, 1e-7, 1e-5)]
    A = None if G0 is None or DG is None or not np.all(np.isfinite(DG)) else approximate_inverse(DG)
    if A is None:
        return fixed
    step = float(np.max(np.abs(A) @ (np.abs(G0.mid) + G0.rad)))
    first = min(max(2.0 * step, 1e-13 * size), fixed[0])
    return [first] + [r for r in fixed if r > 2.0 * first]


def _segments(ar, field, x: np.ndarray, T: float, m: int, path, s: FlowSettings) -> np.ndarray:
    """Starting points of the ``m`` segments: from the float orbit's path where there is one, else by the rigorous
    integrator's midpoints from ``x``."""
    if path is not None and len(path) > m:
        L = len(path) - 1
        X = np.stack([path[round(k * L / m)] for k in range(m)])
        X[0] = x
        return X
    X = [x]
    for _ in range(m - 1):
        shot = _shoot(ar, field, X[-1][None], 0.0, ar.point(T / m), s)
        if shot is None:
            break
        X.append(shot.image.mid[0])
    return np.stack(X) if len(X) == m else np.stack([x] * m)


def prove_periodic_orbit(system, orbit=None, *, x0=None, period: float | None = None, segments: int | None = None,
                         order: int = 12, tol: float = 1e-15) -> Proof:
    """Prove a periodic orbit near a float one, enclose its period and Floquet multipliers, and decide stability.

    Multiple shooting with the period as unknown: ``m`` points ``X_i`` on the orbit and ``T`` solve
    ``G = (phi_{T/m}(X_i) - X_{i+1 mod m}, f(x̄) . (X_0 - x̄)) = 0`` (all segments integrated in one batch): the float
    orbit is first polished by a few float Newton steps (segments and variational equations by the float
    Dormand–Prince 5(4) scheme at tolerance 1e-13; refused when they move the orbit by more than 1e-6: a wrong period
    or an inaccurate orbit), then verified by the Krawczyk operator on a box ``Z`` around ``(x̄, T̄)`` (its radius
    twice the float bound of the Newton step, else 1e-9, 1e-7, 1e-5 times the orbit's size); ``G(z̄)``, and
    ``phi_T`` and ``D phi_T`` over the box (for every ``T`` in its interval, as the time-1 map of ``T F``) come from
    the C^1 Lohner integrator (:func:`neurodyn.enclose_flow`).
    The monodromy matrix of the true orbit is a product of the segments' ``D phi_{T/m}``, each enclosed over ``Z``
    (or, when that does not decide, over the smaller box of the Krawczyk image); the Floquet multipliers are
    enclosed by Gershgorin discs of that product in a float
    eigenbasis carried along the segments (:func:`neurodyn.validated.monodromy_spectrum`: the factors
    ``S_i^{-1} J_i S_{i-1}`` are nearly diagonal, so their interval product hardly wraps). The disc holding the
    trivial multiplier 1 must be isolated, and the orbit is proven stable when every other disc lies inside the
    unit circle, unstable when a component of discs lies outside it (a component of ``k`` discs holds ``k``
    multipliers; each multiplier's bounds are its component's). The orbit's Lyapunov exponents
    ``log|mu| / T`` are enclosed in Arb. Not proved (with the reason) when Krawczyk fails (no isolated orbit
    there, e.g. a centre's family of orbits, or a wrong period) or a disc meets the unit circle (not hyperbolic,
    or not resolved).

    ``T`` is proven to be *a* period (a multiple of the minimal one gives the same exponents and stability).

    Args:
        system: a :class:`neurodyn.Flow` of the form ``-leak x + W_out tanh(W x + b) + b_out``
            (:func:`neurodyn.tanh_field`, :func:`neurodyn.tanh_family`).
        orbit: a :class:`neurodyn.PeriodicOrbit` (from :func:`neurodyn.periodic_orbit` or
            :func:`neurodyn.continue_periodic_orbits`); the system is taken at its parameter value. Or give
            ``x0`` (a point on the orbit) and ``period`` (time units) instead.
        segments: ``m`` (default ``ceil(T)``, at most 32: segments of about one time unit keep the enclosures
            tight). order, tol: the integrator's Taylor order and step tolerance.

    Returns:
        A :class:`~neurodyn.validated.Proof` of kind ``"periodic orbit"``: ``conclusion`` ``"stable"`` /
        ``"unstable"`` / ``"undecided"``; ``bounds`` with ``period``, and per non-trivial multiplier ``k``
        ``|mu_k|`` and ``exponent_k``; ``eigenvalues``: the discs of all multipliers (trivial one first).

    See also:
        :func:`neurodyn.periodic_orbit`, :func:`neurodyn.prove_hopf`, :func:`neurodyn.enclose_flow`.
    """
    started = time.perf_counter()
    system, x, T, path = _inputs(system, orbit, x0, period)
    ar = Arith("fast")
    field = taylor_field(system, ar, "prove_periodic_orbit")
    if not isinstance(field, TanhTaylor):
        raise UnsupportedModelError("prove_periodic_orbit proves orbits of fields -leak x + W_out tanh(W x + b) + "
                                    f"b_out (tanh_field, tanh_family); {system.name!r} is not one")
    s = FlowSettings(order=order, tol=tol, keep_tube=False, own_steps=True)
    m = min(32, max(1, int(np.ceil(T)))) if segments is None else positive_int(segments, name="segments")
    settings = dict(order=order, tol=tol, period_guess=T, segments=m, system=system.name)
    X = _segments(ar, field, x, T, m, path, s)
    X_r, T_r, DG_float = _refine(system, field, X, T)
    moved = max(float(np.max(np.abs(X_r[0] - x))), abs(T_r - T))
    if moved > 1e-6 * (1.0 + max(float(np.max(np.abs(x))), T)):
        return _refused(x, T, f"the orbit given is not a periodic orbit to 1e-6: Newton on the shooting map moves it "
                        f"by {moved:.3g} (to period {T_r:.10g}); give a more accurate orbit or the right period",
                        started, settings)
    X, T = X_r, T_r
    x = X[0]
    v = field.series(ar.point(X[:1]), 1, False).x[1].mid[0]
    K, reasons, rho = None, [], 0.0
    at_point = _shoot(ar, field, X, 0.0, ar.point(T), s)
    size = 1.0 + max(float(np.max(np.abs(X))), T)
    G0 = None if at_point is None else _system(field, X, at_point, v, X[0])[0]
    for rho in _radii(G0, DG_float, size):
        K, over, reason = _krawczyk(ar, field, X, T, v, s, rho, at_point)
        reasons.append(reason)
        if K is not None or "max |K - z| =" in reason and float(reason.rsplit("= ", 1)[1][:-1]) > 1e-3 * size:
            break  # proved, or the Newton step itself is far larger than any radius tried: no isolated orbit here
    reason = "; ".join(reasons)
    if K is None:
        return _refused(x, T, reason, started, settings)
    # the monodromy matrix is the product of the segments' D phi_{T/m} over Z (the zero lies in Z); its multipliers
    # are enclosed in an eigenbasis carried along the segments, which keeps the wrapping of an interval product out.
    # When that does not decide, the segments over K's box (the zero lies in K, usually far inside Z) are tighter
    proof = _conclude(X, T, K, monodromy_spectrum(over.jacobian.mid, over.jacobian.rad), rho, started, settings)
    if proof.proved:
        return proof
    z = np.concatenate([X.ravel(), [T]])
    r_k = float(upper(np.max(np.maximum(K.upper() - z, z - K.lower())), 2))
    tight = _shoot(ar, field, X, r_k, ar.interval(K.lower()[-1], K.upper()[-1]), s)
    if tight is None:
        return proof
    return _conclude(X, T, K, monodromy_spectrum(tight.jacobian.mid, tight.jacobian.rad), rho, started, settings)


def _inputs(system, orbit, x0, period):
    if orbit is not None:
        if x0 is not None or period is not None:
            raise InvalidInputError("give either orbit= or x0= and period=, not both")
        for name in ("x0", "period"):
            if not hasattr(orbit, name):
                raise InvalidInputError(f"orbit must be a PeriodicOrbit (with x0 and period), got "
                                        f"{type(orbit).__name__}")
        if getattr(orbit, "param", None) and system.params and orbit.param in system.params:
            system = system.with_params(**{orbit.param: float(orbit.value)})
        x0, period = orbit.x0, orbit.period
        path = getattr(orbit, "orbit", None)
        path = None if path is None else torch.as_tensor(path, dtype=torch.float64).numpy()
    else:
        path = None
    if x0 is None or period is None:
        raise InvalidInputError("prove_periodic_orbit needs orbit= (a PeriodicOrbit) or both x0= and period=")
    x = state_batch(x0, n=system.dim, name="x0", dtype=torch.float64, device="cpu")[0].numpy()
    return system, x, positive_float(period, name="period"), path


def _refused(x, T, reason, started, settings) -> Proof:
    return Proof(kind="periodic orbit", proved=False,
                 statement=f"attempted: a periodic orbit through x0 with period near {T:.10g}", reason=reason,
                 conclusion="undecided", center=torch.from_numpy(x), radius=float("inf"), uniqueness_radius=0.0,
                 seconds=time.perf_counter() - started, settings=settings)


def _conclude(X, T, K: FastIV, spec, rho, started, settings) -> Proof:
    x, n = X[0], X.shape[1]
    z = np.concatenate([X.ravel(), [T]])
    r_min = float(np.max(np.maximum(K.upper() - z, z - K.lower())))
    T_lo, T_hi = float(K.lower()[-1]), float(K.upper()[-1])
    base = dict(center=torch.from_numpy(x), radius=r_min, uniqueness_radius=rho, seconds=0.0, settings=settings)
    exists = (f"a periodic orbit passes within {r_min:.3g} (max norm) of x0, with a period T in [{T_lo:.12g}, "
              f"{T_hi:.12g}]; it is the only zero of the shooting map with the phase condition within {rho:.3g}")
    if spec is None:
        return Proof(kind="periodic orbit", proved=False, statement=exists, reason="the monodromy matrix could not "
                     "be diagonalised reliably (nearly defective): the multipliers are not enclosed",
                     conclusion="undecided", bounds={"period": (T_lo, T_hi)}, **{**base, "seconds":
                                                                                   time.perf_counter() - started})
    with ctx.workprec(80):
        dist = [acb(float(c.real), float(c.imag)) - 1 for c in spec.centers]
        one = [bool(abs(d).lower() <= arb(float(r))) for d, r in zip(dist, spec.radii, strict=True)]
        trivial = [k for k in range(n) if one[k]]
    sizes = spec.sizes()
    bounds = {"period": (T_lo, T_hi)}
    if len(trivial) != 1 or sizes[trivial[0]] != 1:
        return Proof(kind="periodic orbit", proved=False, statement=exists, reason="the disc of the trivial "
                     "multiplier 1 is not isolated from the others: the multipliers are not resolved",
                     conclusion="undecided", bounds=bounds, eigenvalues=spec.as_array(),
                     **{**base, "seconds": time.perf_counter() - started})
    inside, outside = [], []
    others = [k for k in np.argsort(-np.abs(spec.centers)) if k != trivial[0]]
    low, high = modulus_bounds(spec)
    with ctx.workprec(80):
        for j, k in enumerate(others, start=1):
            lo, hi = arb(low[k]), arb(high[k])
            inside.append(bool(hi < 1))
            outside.append(bool(lo > 1))
            lo_f = float(low[k])
            bounds[f"|mu_{j}|"] = (lo_f, float_up(hi))
            log_lo = arb(lo_f).log() if lo_f > 0 else None
            log_hi = hi.log()
            exps = [v / t for v in (log_lo, log_hi) if v is not None for t in (arb(T_lo), arb(T_hi))]
            bounds[f"exponent_{j}"] = (min(float_down(e) for e in exps) if log_lo is not None else -np.inf,
                                       max(float_up(e) for e in exps))
    order = [trivial[0]] + others
    eig = spec.as_array()[order]
    if any(outside):
        conclusion, proved, why = "unstable", True, ""
    elif all(inside):
        conclusion, proved, why = "stable", True, ""
    else:
        conclusion, proved = "undecided", False
        why = ("a multiplier's disc meets the unit circle: the orbit is not proven hyperbolic (a non-hyperbolic "
               "orbit, or enclosures too wide to decide)")
    statement = exists + (f"; it is orbitally {'asymptotically stable' if conclusion == 'stable' else 'unstable'}: "
                          f"{'all' if conclusion == 'stable' else 'at least one of the'} {n - 1} non-trivial Floquet "
                          f"multipliers lie {'inside' if conclusion == 'stable' else 'outside'} the unit circle"
                          if proved else "")
    return Proof(kind="periodic orbit", proved=proved, statement=statement, reason=why, conclusion=conclusion,
                 bounds=bounds, eigenvalues=eig, **{**base, "seconds": time.perf_counter() - started})
