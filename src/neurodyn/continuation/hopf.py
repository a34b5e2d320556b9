"""Hopf points of a flow in one parameter: Newton on the extended Hopf system, seeded from every complex
eigenpair of the equilibrium, and the first Lyapunov coefficient from Kuznetsov's formula."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.func import jacfwd, jvp

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result
from neurodyn.systems.protocol import Flow


@dataclass(frozen=True, eq=False)
class HopfPoint(Result):
    """A Hopf point ``(x*, alpha*)``: ``F(x*, alpha*) = 0`` and ``J(x*, alpha*) q = i omega q``.

    Attributes:
        param: the parameter's name; value: ``alpha*``. x: ``(n,)`` the equilibrium.
        omega: the angular frequency (> 0, radians per unit time) of the eigenpair on the imaginary axis.
        q: ``(n,)`` complex critical eigenvector, ``J q = i omega q``, normalised ``q^H q = 1`` with
            ``Re(q) . Im(q) = 0`` and ``|Re(q)| >= |Im(q)|`` (fixes the phase).
        l1: the first Lyapunov coefficient in Kuznetsov's normalisation (``q^H q = 1``, ``p^H q = 1``): < 0 a
            supercritical Hopf (a stable cycle is born), > 0 subcritical. Its sign does not depend on the
            normalisation; its size scales with ``|q|^2``.
        kind: "supercritical", "subcritical" or "degenerate" (``|l1|`` below ``1e-10``).
        residual: ``|F|`` and ``|J q - i omega q|`` at the solution (max of the two).
        crossing: ``d Re(mu)/d alpha`` of the critical eigenvalue (transversality; 0 means degenerate).
    """

    param: str
    value: float
    x: torch.Tensor
    omega: float
    q: torch.Tensor
    l1: float
    kind: str
    residual: float
    crossing: float
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"HopfPoint({self.param} = {self.value:.10g}, omega = {self.omega:.6g}, l1 = {self.l1:.4g} "
                f"({self.kind}), |x| = {float(self.x.norm()):.3g})")


def _extended(system: Flow, param: str):
    """``G(x, a)``: the field at parameter value ``a`` (a 0-d tensor, differentiable)."""
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


def first_lyapunov_coefficient(G, x, a, J, q, omega) -> float:
    """Kuznetsov (Elements of Applied Bifurcation Theory, 3rd ed., eq. 3.20):
    ``l1 = Re[p^H C(q,q,q̄) - 2 p^H B(q, J^{-1} B(q,q̄)) + p^H B(q̄, (2 i omega - J)^{-1} B(q,q))] / (2 omega)``
    with ``J q = i omega q``, ``J^T p = -i omega p``, ``q^H q = 1``, ``p^H q = 1``."""
    B, C = _multilinear(G, x, a)
    cJ = J.to(q.dtype)
    n = len(q)
    ev, vl = torch.linalg.eig(cJ.T)  # J^T p = -i omega p
    p = vl[:, torch.argmin((ev - (-1j * omega)).abs())]
    p = p / torch.vdot(p, q).conj()  # p^H q = 1
    eye = torch.eye(n, dtype=q.dtype, device=q.device)
    b_qqc = B(q, q.conj())
    b_qq = B(q, q)
    term = (torch.vdot(p, C(q, q, q.conj()))
            - 2 * torch.vdot(p, B(q, torch.linalg.solve(cJ, b_qqc)))
            + torch.vdot(p, B(q.conj(), torch.linalg.solve(2j * omega * eye - cJ, b_qq))))
    return float(term.real) / (2 * omega)


def _normalise(v: torch.Tensor) -> torch.Tensor:
    """Unit ``v^H v``, real and imaginary parts orthogonal with the real part the longer (a fixed phase)."""
    v = v / torch.linalg.vector_norm(v)
    # rotate the phase so that Re(v) . Im(v) = 0 and |Re v| >= |Im v|
    s = (v * v).sum()
    v = v * torch.exp(-0.5j * torch.angle(s))
    return v


def find_hopf_points(system: Flow, *, param: str, at: float, x0=None, interval: tuple[float, float] | None = None,
                     tol: float = 1e-10, maxiter: int = 30, min_omega: float = 1e-8) -> list[HopfPoint]:
    """All Hopf points reachable from the equilibrium at ``param = at``, one per complex eigenpair.

    The equilibrium ``x0`` (default: the origin) is first polished by Newton at ``param = at``. For every
    eigenvalue ``mu = sigma + i omega`` (``omega > min_omega``) a first-order predictor moves the parameter to
    where ``Re mu`` would cross zero (``d mu/d alpha`` from the left and right eigenvectors), and Newton solves the
    extended system (Kuznetsov; Govaerts 2000)

        F(x, alpha) = 0,  J(x, alpha) v = i omega v,  c^H v = 1

    in the ``3n + 2`` real unknowns ``(x, alpha, Re v, Im v, omega)``, with its Jacobian from ``torch.func``
    (forward mode over the field's own JVPs). Seeding from each eigenpair, rather than scanning for sign
    changes along a branch, finds closely spaced Hopf points. Solutions outside ``interval``, with ``omega`` ~ 0
    (a real eigenvalue: a branch or fold point, not Hopf) or duplicated (within ``1e-7``) are dropped.

    Args:
        system: a :class:`neurodyn.Flow` with ``params`` holding ``param``.
        param: the parameter's name. at: its value where the equilibrium ``x0`` is taken.
        interval: keep Hopf points with ``param`` in ``[lo, hi]`` (default: all).
        tol: Newton tolerance on the residual of the extended system. maxiter: Newton iterations per seed.

    Returns:
        :class:`HopfPoint` objects sorted by parameter value.

    See also:
        :func:`first_lyapunov_coefficient`.
    """
    if not isinstance(system, Flow):
        raise InvalidInputError(f"find_hopf_points needs a Flow (Hopf points are for continuous time), got "
                                f"{type(system).__name__}")
    if system.params is None or param not in system.params:
        raise InvalidInputError(f"{system.name!r} has no parameter {param!r}; it has "
                                f"{sorted(system.params or {})}: build it with params={{{param!r}: value}}")
    n = system.dim
    G = _extended(system, param)
    dtype, dev = system.dtype, system.device
    a0 = torch.tensor(float(at), dtype=dtype, device=dev)
    x = torch.zeros(n, dtype=dtype, device=dev) if x0 is None else as_tensor(x0, name="x0", dtype=dtype,
                                                                             device=dev).reshape(n)
    maxiter = positive_int(maxiter, name="maxiter")
    for _ in range(maxiter):  # the equilibrium at the starting parameter
        Fx = G(x, a0)
        if float(Fx.norm()) <= tol:
            break
        step, info = torch.linalg.solve_ex(jacfwd(G)(x, a0), Fx)
        if int(info) != 0 or not bool(torch.isfinite(step).all()):
            raise InvalidInputError(f"Newton for the equilibrium of {system.name!r} at {param} = {at} met a singular "
                                    "Jacobian: pass x0= close to a hyperbolic equilibrium")
        x = x - step
    else:
        raise InvalidInputError(f"no equilibrium of {system.name!r} near x0 at {param} = {at}: pass x0= close to one")
    J = jacfwd(G)(x, a0)
    mu, V = torch.linalg.eig(J)
    mul, W = torch.linalg.eig(J.T)
    # d x/d alpha along the branch, then d J/d alpha (including the move of the equilibrium)
    dFda = jacfwd(G, argnums=1)(x, a0)
    dx = -torch.linalg.solve(J, dFda)
    dJ = jvp(lambda y, b: jacfwd(G)(y, b), (x, a0), (dx, torch.ones_like(a0)))[1].to(V.dtype)

    def residual(z):
        y, b, vr, vi, w = z[:n], z[n], z[n + 1:2 * n + 1], z[2 * n + 1:3 * n + 1], z[3 * n + 1]
        f = G(y, b)
        Jvr = jvp(lambda u: G(u, b), (y,), (vr,))[1]
        Jvi = jvp(lambda u: G(u, b), (y,), (vi,))[1]
        return torch.cat([f, Jvr + w * vi, Jvi - w * vr, torch.stack([c_r @ vr + c_i @ vi - 1, c_r @ vi - c_i @ vr])])

    found: list[HopfPoint] = []
    for k in torch.nonzero(mu.imag > min_omega).flatten().tolist():
        v = _normalise(V[:, k])
        wl = W[:, torch.argmin((mul - mu[k]).abs())]  # left eigenvector: w^T J = mu w^T
        slope = (wl @ (dJ @ v)) / (wl @ v)
        if abs(float(slope.real)) < 1e-14:
            continue
        b0 = float(a0) - float(mu[k].real) / float(slope.real)
        c_r, c_i = v.real.clone(), v.imag.clone()  # normalisation c^H v = 1 with c = v at the seed
        z = torch.cat([x + dx * (b0 - float(a0)), torch.tensor([b0], dtype=dtype, device=dev), v.real, v.imag,
                       torch.tensor([float(mu[k].imag)], dtype=dtype, device=dev)])
        ok = False
        for _ in range(maxiter):
            R = residual(z)
            if float(R.abs().max()) <= tol:
                ok = True
                break
            step = torch.linalg.lstsq(jacfwd(residual)(z), -R[:, None]).solution[:, 0]
            z = z + step
            if not bool(torch.isfinite(z).all()):
                break
        if not ok:
            continue
        y, b, w = z[:n], float(z[n]), abs(float(z[3 * n + 1]))
        if w <= min_omega or (interval is not None and not interval[0] <= b <= interval[1]):
            continue
        if any(abs(h.value - b) <= 1e-7 * max(1.0, abs(b)) and abs(h.omega - w) <= 1e-7 * max(1.0, w)
               and float((h.x - y).norm()) <= 1e-7 * max(1.0, float(y.norm())) for h in found):
            continue
        q = _normalise(torch.complex(z[n + 1:2 * n + 1], z[2 * n + 1:3 * n + 1]))
        if float(z[3 * n + 1]) < 0:
            q = q.conj()
        bt = torch.tensor(b, dtype=dtype, device=dev)
        Jh = jacfwd(G)(y, bt)
        l1 = first_lyapunov_coefficient(G, y, bt, Jh, q, w)
        muh, Vh = torch.linalg.eig(Jh)
        kk = int(torch.argmin((muh - 1j * w).abs()))
        mlh, Wh = torch.linalg.eig(Jh.T)
        wh = Wh[:, int(torch.argmin((mlh - muh[kk]).abs()))]
        dxh = -torch.linalg.solve(Jh, jacfwd(G, argnums=1)(y, bt))
        dJh = jvp(lambda u, c: jacfwd(G)(u, c), (y, bt), (dxh, torch.ones_like(bt)))[1].to(Vh.dtype)
        crossing = float(((wh @ (dJh @ Vh[:, kk])) / (wh @ Vh[:, kk])).real)
        kind = "degenerate" if abs(l1) < 1e-10 else ("supercritical" if l1 < 0 else "subcritical")
        found.append(HopfPoint(param=param, value=b, x=y.detach().cpu(), omega=w, q=q.detach().cpu(), l1=l1,
                               kind=kind, residual=float(residual(z).abs().max()), crossing=crossing,
                               settings=dict(at=float(at), tol=tol, maxiter=maxiter)))
    return sorted(found, key=lambda h: h.value)

