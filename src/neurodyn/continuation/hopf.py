"""Hopf points of a flow in one parameter: Newton on the extended Hopf system, seeded from every complex
eigenpair of the equilibrium, and the first Lyapunov coefficient from Kuznetsov's formula."""

from __future__ import annotations

import torch
from torch.func import jacfwd, jvp

from neurodyn import _linalg
from neurodyn._checks import as_tensor, positive_int
from neurodyn._compat import renamed
from neurodyn.continuation.points import HopfPoint, HopfPoints
from neurodyn.continuation.residuals import HopfUnknowns, hopf_residual
from neurodyn.errors import ConvergenceError, InvalidInputError
from neurodyn.numerics import Stop, damped_newton, newton
from neurodyn.results import Status, finish
from neurodyn.systems.protocol import Flow


def parametrised_field(system: Flow, param: str, caller: str):
    """``G(x, a)``: the field of ``system`` at parameter value ``a`` (a 0-d tensor, differentiable), after checking
    that ``system`` is a flow with the parameter ``param``."""
    if not isinstance(system, Flow):
        raise InvalidInputError(f"{caller} needs a Flow (continuous time), got {type(system).__name__}")
    if system.params is None or param not in system.params:
        raise InvalidInputError(f"{system.name!r} has no parameter {param!r}; it has "
                                f"{sorted(system.params or {})}: build it with params={{{param!r}: value}}")
    t0 = torch.zeros((), dtype=system.dtype, device=system.device)

    def G(x, a):
        return system.fn(t0, x, {**system.params, param: a})

    return G


def _multilinear(G, x, a):
    """``B(u, v)`` and ``C(u, v, w)`` (second and third derivatives of ``G`` in ``x``) for complex directions."""

    def d1(y, u):
        return jvp(lambda z: G(z, a), (y,), (u,))[1]

    def d2(y, u, v):
        return jvp(lambda z: d1(z, v), (y,), (u,))[1]

    def d3(y, u, v, w):
        return jvp(lambda z: d2(z, v, w), (y,), (u,))[1]

    def parts(u):
        return ((u.real, 1), (u.imag, 1j))

    def B(u, v):
        return sum(cu * cv * d2(x, pu.contiguous(), pv.contiguous()) for pu, cu in parts(u) for pv, cv in parts(v))

    def C(u, v, w):
        return sum(cu * cv * cw * d3(x, pu.contiguous(), pv.contiguous(), pw.contiguous())
                   for pu, cu in parts(u) for pv, cv in parts(v) for pw, cw in parts(w))

    return B, C


def first_lyapunov_coefficient(G, x, a, J, q, omega, p=None) -> float:
    """Kuznetsov (Elements of Applied Bifurcation Theory, 3rd ed., eq. 3.20):
    ``l1 = Re[p^H C(q,q,q̄) - 2 p^H B(q, J^{-1} B(q,q̄)) + p^H B(q̄, (2 i omega - J)^{-1} B(q,q))] / (2 omega)``
    with ``J q = i omega q``, ``J^T p = -i omega p``, ``q^H q = 1``, ``p^H q = 1`` (``p`` computed if not given);
    ``Re c1 / omega`` of :func:`normal_form_coefficient`."""
    return float(normal_form_coefficient(G, x, a, J, q, omega, p).real) / omega


def normal_form_coefficient(G, x, a, J, q, omega, p=None) -> complex:
    """The complex cubic coefficient ``c1`` of the Poincaré normal form ``w' = (mu + i omega) w + c1 w |w|^2``
    on the centre manifold, by the projection method (Kuznetsov 1999, SIAM J. Numer. Anal. 36):
    ``c1 = p^H [C(q,q,q̄) + 2 B(q, h11) + B(q̄, h20)] / 2`` with ``h11 = -J^{-1} B(q,q̄)`` and
    ``h20 = (2 i omega - J)^{-1} B(q,q)``; ``Re c1 / omega`` is ``l1`` and ``Im c1`` shifts the cycle's frequency."""
    B, C = _multilinear(G, x, a)
    cJ = J.to(q.dtype)
    if p is None:
        p = left_eigenvector(J, q, omega)
    eye = torch.eye(len(q), dtype=q.dtype, device=q.device)
    term = (torch.vdot(p, C(q, q, q.conj()))
            - 2 * torch.vdot(p, B(q, torch.linalg.solve(cJ, B(q, q.conj()))))
            + torch.vdot(p, B(q.conj(), torch.linalg.solve(2j * omega * eye - cJ, B(q, q)))))
    return complex(term) / 2


def left_eigenvector(J: torch.Tensor, q: torch.Tensor, omega: float) -> torch.Tensor:
    """``p`` with ``J^T p = -i omega p`` and ``p^H q = 1``, by inverse iteration on ``J^T + i omega I`` with a tiny
    shift (three solves; no eigen-decomposition), started from ``q``."""
    M = J.T.to(q.dtype) + 1j * omega * torch.eye(len(q), dtype=q.dtype, device=q.device)
    shift = 1e-10 * max(float(torch.linalg.matrix_norm(J, ord=1)), 1.0)
    M = M + shift * torch.eye(len(q), dtype=q.dtype, device=q.device)
    p = q.clone()
    for _ in range(3):
        p = torch.linalg.solve(M, p)
        p = p / torch.linalg.vector_norm(p)
    return p / torch.vdot(p, q).conj()


def _normalise(v: torch.Tensor) -> torch.Tensor:
    """Unit ``v^H v``, real and imaginary parts orthogonal with the real part the longer (a fixed phase)."""
    v = v / torch.linalg.vector_norm(v)
    # rotate the phase so that Re(v) . Im(v) = 0 and |Re v| >= |Im v|
    s = (v * v).sum()
    v = v * torch.exp(-0.5j * torch.angle(s))
    return v


def find_hopf_points(system: Flow, *, param: str, start: float | None = None, x0=None,
                     interval: tuple[float, float] | None = None, tol: float = 1e-10, maxiter: int = 30,
                     min_omega: float = 1e-8, strict: bool | None = None, at: float | None = None) -> HopfPoints:
    """All Hopf points reachable from the equilibrium at ``param = start``, one per complex eigenpair.

    The equilibrium ``x0`` (default: the origin) is first polished by Newton at ``param = start``. For every
    eigenvalue ``mu = sigma + i omega`` (``omega > min_omega``) a first-order predictor moves the parameter to
    where ``Re mu`` would cross zero (``d mu/d alpha`` from the left and right eigenvectors), and damped Newton
    (:func:`neurodyn.numerics.damped_newton`) solves the extended system
    (:func:`neurodyn.continuation.residuals.hopf_residual`; Kuznetsov; Govaerts 2000)

        F(x, alpha) = 0,  J(x, alpha) v = i omega v,  c^H v = 1

    in the ``3n + 2`` real unknowns ``(x, alpha, Re v, Im v, omega)``, with its Jacobian from ``torch.func``
    (forward mode over the field's own JVPs). Seeding from each eigenpair, rather than scanning for sign
    changes along a branch, finds closely spaced Hopf points. Solutions outside ``interval``, with ``omega`` ~ 0
    (a real eigenvalue: a branch or fold point, not Hopf) or duplicated (within ``1e-7``) are dropped.

    Args:
        system: a :class:`neurodyn.Flow` with ``params`` holding ``param``.
        param: the parameter's name. start: its value where the equilibrium ``x0`` is taken (as in
            :func:`neurodyn.continue_equilibria`; ``at=`` is its deprecated old name).
        interval: keep Hopf points with ``param`` in ``[lo, hi]`` (default: all); seeds predicted more than
            one interval width outside it are not solved.
        tol: Newton tolerance on the residual of the extended system. maxiter: Newton iterations per seed.
        min_omega: eigenvalues with ``Im <= min_omega`` count as real. strict: accepted for the common driver
            contract (finding no point is an answer, ``"none found"``, not a failure).

    Returns:
        :class:`HopfPoints`, a sequence of :class:`HopfPoint` sorted by parameter value.

    Raises:
        ConvergenceError: no equilibrium near ``x0`` at ``param = start``.

    See also:
        :func:`first_lyapunov_coefficient`, :func:`neurodyn.prove_hopf`.
    """
    start = float(renamed("find_hopf_points", "at", at, "start", start))
    G = parametrised_field(system, param, "find_hopf_points")
    n = system.dim
    dtype, dev = system.dtype, system.device
    a0 = torch.tensor(start, dtype=dtype, device=dev)
    x = torch.zeros(n, dtype=dtype, device=dev) if x0 is None else as_tensor(x0, name="x0", dtype=dtype,
                                                                             device=dev).reshape(n)
    system.probe(x)
    maxiter = positive_int(maxiter, name="maxiter")
    x = equilibrium(G, x, a0, tol=tol, maxiter=maxiter, what=f"{system.name!r} at {param} = {start}")
    settings = dict(start=start, interval=interval, tol=tol, maxiter=maxiter, min_omega=min_omega)
    found = _hopf_from_eigenpairs(G, x, a0, param, interval, settings)
    points = tuple(sorted(found, key=lambda h: h.value))
    result = HopfPoints(param=param, points=points, status=Status.OK if points else Status.NONE_FOUND,
                        system=system.name, settings=settings)
    return finish(result, strict=strict, what=f"the Hopf points of {system.name!r}")


def _hopf_from_eigenpairs(G, x, a0, param: str, interval, settings: dict) -> list[HopfPoint]:
    """Newton on the extended system seeded from each complex eigenpair of the equilibrium ``(x, a0)``."""
    tol, maxiter, min_omega = settings["tol"], settings["maxiter"], settings["min_omega"]
    mu, V, slopes, dx = eigen_slopes(G, x, a0)
    found: list[HopfPoint] = []
    width = 0.0 if interval is None else float(interval[1]) - float(interval[0])
    for k in torch.nonzero(mu.imag > min_omega).flatten().tolist():
        if abs(float(slopes[k].real)) < 1e-14:
            continue
        b0 = float(a0) - float(mu[k].real) / float(slopes[k].real)
        if interval is not None and not interval[0] - width <= b0 <= interval[1] + width:
            continue  # predicted far outside the interval: not worth a Newton solve
        z = solve_hopf(G, x + dx * (b0 - float(a0)), b0, V[:, k], float(mu[k].imag), tol=tol, maxiter=maxiter)
        if z is None:
            continue
        u = HopfUnknowns.of(z, 1)
        b, w = float(u.p[0]), abs(float(u.omega))
        if w <= min_omega or (interval is not None and not interval[0] <= b <= interval[1]):
            continue
        if any(_same(b, w, u.x, other) for other in found):
            continue
        found.append(hopf_point(G, z, param, settings=dict(start=settings["start"], tol=tol, maxiter=maxiter)))
    return found


def _same(value: float, omega: float, x: torch.Tensor, h: HopfPoint) -> bool:
    return (abs(value - h.value) <= 1e-7 * max(1.0, abs(value)) and abs(omega - h.omega) <= 1e-7 * max(1.0, omega)
            and float((x.detach().cpu() - h.x).norm()) <= 1e-7 * max(1.0, float(h.x.norm())))


def equilibrium(G, x: torch.Tensor, a: torch.Tensor, *, tol: float, maxiter: int, what: str) -> torch.Tensor:
    """Newton on ``G(x, a) = 0`` at fixed ``a`` from ``x`` until ``|G|_2 <= tol``; a
    :class:`~neurodyn.ConvergenceError` naming ``what`` if it fails."""
    out = newton(lambda y: (G(y, a), None), lambda y, _: jacfwd(G)(y, a), x, tol=tol, maxiter=maxiter,
                 measure=lambda R: float(R.norm()))
    if out.converged:
        return out.z
    if out.stop in (Stop.SINGULAR, Stop.NON_FINITE):
        raise ConvergenceError(f"Newton for the equilibrium of {what} met a singular Jacobian: pass x0= close to a "
                               "hyperbolic equilibrium")
    raise ConvergenceError(f"no equilibrium of {what} near x0 (Newton stopped at |F| = {out.residual:.2g} > tol = "
                           f"{tol:g}): pass x0= close to one")


def eigen_rates(J: torch.Tensor, dJ: torch.Tensor):
    """Eigenvalues ``mu`` and right eigenvectors ``V`` of ``J`` and the first-order rates ``w^T dJ v / w^T v`` at
    which they move when ``J`` moves by ``dJ`` (``w``: the left eigenvector of each ``mu``)."""
    mu, V = _linalg.eig(J)
    mul, W = _linalg.eig(J.T)
    Wm = W[:, torch.argmin((mul[None, :] - mu[:, None]).abs(), dim=1)]
    dJ = dJ.to(V.dtype)
    return mu, V, (Wm * (dJ @ V)).sum(0) / (Wm * V).sum(0)


def eigen_slopes(G, x: torch.Tensor, a: torch.Tensor):
    """:func:`eigen_rates` along the branch at the equilibrium ``(x, a)``: ``d mu/d alpha`` with ``dJ/d alpha``
    including the move ``dx/d alpha = -J^{-1} dF/d alpha`` of the equilibrium; also returns ``dx/d alpha``."""
    J = jacfwd(G)(x, a)
    dx = -torch.linalg.solve(J, jacfwd(G, argnums=1)(x, a))
    dJ = jvp(lambda y, b: jacfwd(G)(y, b), (x, a), (dx, torch.ones_like(a)))[1]
    mu, V, slopes = eigen_rates(J, dJ)
    return mu, V, slopes, dx


def solve_hopf(G, x: torch.Tensor, b0: float, v: torch.Tensor, omega: float, *, tol: float, maxiter: int):
    """Damped Newton (least-squares steps) on the extended Hopf system :func:`hopf_residual` in one parameter from
    the seed, with the normalisation ``c = v``; the solution ``z = (x, a, Re v, Im v, omega)`` or ``None``."""
    v = _normalise(v)
    c = v.clone()  # normalisation c^H v = 1 with c = v at the seed
    z = HopfUnknowns.pack(x, x.new_tensor([b0]), v, omega)
    return damped_newton(lambda y: hopf_residual(G, y, c, 1), z, tol=tol, maxiter=maxiter)


def critical_rates(G, y: torch.Tensor, b: torch.Tensor, q: torch.Tensor, w: float):
    """At a Hopf point ``(y, b)`` with ``J q = i w q``: the left eigenvector ``p`` (``p^H q = 1``), the normal form
    coefficient ``c1`` (:func:`normal_form_coefficient`) and ``d mu/d alpha = p^H (dJ/d alpha) q`` of the critical
    eigenvalue along the branch (its real part is the crossing speed); also the Jacobian ``J``."""
    J = jacfwd(G)(y, b)
    p = left_eigenvector(J, q, w)
    c1 = normal_form_coefficient(G, y, b, J, q, w, p=p)
    # d mu/d alpha of the critical eigenvalue = p^H (dJ/d alpha) q with dJ/d alpha along the branch
    dx = -torch.linalg.solve(J, jacfwd(G, argnums=1)(y, b))
    dJ = jvp(lambda u, c: jacfwd(G)(u, c), (y, b), (dx, torch.ones_like(b)))[1].to(q.dtype)
    return J, p, c1, complex(torch.vdot(p, dJ @ q))


def hopf_point(G, z: torch.Tensor, param: str, *, settings: dict) -> HopfPoint:
    """The :class:`HopfPoint` of a solution ``z`` of :func:`solve_hopf`: ``l1``, crossing speed, residual."""
    u = HopfUnknowns.of(z, 1)
    y, b = u.x, u.p[0].detach().clone()
    w = abs(float(u.omega))
    q = _normalise(u.v)
    if float(u.omega) < 0:
        q = q.conj()
    J, _, c1, dmu = critical_rates(G, y, b, q, w)
    l1, crossing = c1.real / w, dmu.real
    resid = max(float(G(y, b).norm()), float(torch.linalg.vector_norm(J.to(q.dtype) @ q - 1j * w * q)))
    kind = "degenerate" if abs(l1) < 1e-10 else ("supercritical" if l1 < 0 else "subcritical")
    return HopfPoint(param=param, value=float(b), x=y.detach().cpu(), omega=w, q=q.detach().cpu(), l1=l1, kind=kind,
                     residual=resid, crossing=crossing, settings=settings)
