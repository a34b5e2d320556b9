"""Curves of Hopf points and of folds in a plane of two parameters, by pseudo-arclength continuation of the
extended systems, with the codimension-two points on them (Bautin, Bogdanov–Takens, cusp)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.func import jacfwd, jvp

from neurodyn import _linalg
from neurodyn._checks import positive_float, positive_int
from neurodyn.continuation.branch import SpecialPoint, _correct
from neurodyn.continuation.hopf import (
    HopfPoint,
    first_lyapunov_coefficient,
    left_eigenvector,
    newton,
    parametrised_field,
    regula_falsi,
)
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result
from neurodyn.systems.protocol import Flow

CURVE_LABELS = {"bautin": "GH", "bogdanov-takens": "BT", "cusp": "CP"}


@dataclass(frozen=True, eq=False)
class CurveEvent(Result):
    """A codimension-two point on a curve: "bautin" (generalised Hopf, ``l1 = 0`` on a Hopf curve),
    "bogdanov-takens" (a double zero eigenvalue: ``omega -> 0`` on a Hopf curve, a second zero eigenvalue on a
    fold curve) or "cusp" (the fold's quadratic coefficient vanishes on a fold curve). ``values``: the two
    parameters; ``x``: the equilibrium; between curve points ``index`` and ``index + 1``; located by regula falsi
    on the test function along the curve."""

    kind: str
    values: tuple
    x: torch.Tensor
    index: int


@dataclass(frozen=True, eq=False)
class BifurcationCurve(Result):
    """A curve of Hopf points (``kind="hopf"``) or folds (``"fold"``) in the plane of ``params = (p1, p2)``.

    Attributes (``m`` points, state dimension ``n``):
        values: ``(m, 2)`` the two parameters at each point. states: ``(m, n)`` the equilibria.
        omega: ``(m,)`` the Hopf frequency (radians per unit time), ``None`` for a fold curve.
        coefficient: ``(m,)`` on a Hopf curve the first Lyapunov coefficient ``l1`` (< 0 supercritical, as in
            :class:`HopfPoint`); on a fold curve the quadratic normal-form coefficient ``a = p . B(v, v) / 2``
            (``J v = 0``, ``|v| = 1``, ``p^T J = 0``, ``p . v = 1``; its sign follows the orientation of ``v``, which
            is kept continuous along the curve; it vanishes at a cusp and is unbounded near a Bogdanov–Takens
            point, where ``p . v = 0``).
        special: :class:`CurveEvent` s in the order met.
        status: "reached stop", "left interval" (``p2`` turned back past its start), "Bogdanov-Takens point"
            (a Hopf curve ending where ``omega`` reaches 0), "max_points" or "step too small".
    """

    kind: str
    params: tuple
    values: torch.Tensor
    states: torch.Tensor
    omega: torch.Tensor | None
    coefficient: torch.Tensor
    special: list
    status: str
    system: str
    settings: dict = field(default_factory=dict)

    @property
    def norms(self) -> torch.Tensor:
        """``(m,)`` ``|x|`` of the equilibria along the curve."""
        return torch.linalg.vector_norm(self.states, dim=-1)

    def __repr__(self) -> str:
        p1, p2 = self.params
        events = ", ".join(f"{CURVE_LABELS[e.kind]} at ({e.values[0]:.6g}, {e.values[1]:.6g})"
                           for e in self.special) or "no codimension-two points"
        return (f"BifurcationCurve({self.kind} points of {self.system}: {len(self.values)} points, {p2} from "
                f"{float(self.values[0, 1]):.4g} to {float(self.values[-1, 1]):.4g}, {events}, "
                f"status={self.status!r})")

    def plot(self, ax=None):
        """The curve in the ``(p1, p2)`` plane; a Hopf curve solid where supercritical (``l1 < 0``) and dashed
        where subcritical; codimension-two points marked (GH, BT, CP). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 4.5))
        v = self.values.numpy()
        color = "C1" if self.kind == "hopf" else "C3"
        for i in range(len(v) - 1):
            sub = self.kind == "hopf" and float(self.coefficient[i:i + 2].mean()) > 0
            ax.plot(v[i:i + 2, 0], v[i:i + 2, 1], color=color, ls="--" if sub else "-", lw=1.5)
        for e in self.special:
            ax.plot(*e.values, "D", color="k", ms=5)
            ax.annotate(CURVE_LABELS[e.kind], e.values, textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.plot([], [], color=color, label="Hopf (dashed: subcritical)" if self.kind == "hopf" else "fold")
        ax.set_xlabel(self.params[0])
        ax.set_ylabel(self.params[1])
        ax.set_title(f"{'Hopf' if self.kind == 'hopf' else 'Fold'} curve of {self.system}", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def continue_hopf_curve(system: Flow, hopf: HopfPoint, *, params: tuple[str, str], stop: float, step: float = 0.05,
                        min_step: float = 1e-7, max_step: float = 0.2, max_points: int = 500, tol: float = 1e-10,
                        maxiter: int = 12) -> BifurcationCurve:
    """Trace the curve of Hopf points through ``hopf`` in the plane of ``params = (p1, p2)``.

    ``hopf`` is a Hopf point in ``p1`` (``hopf.param == p1``) at the system's current value of ``p2``; the curve is
    followed from there towards ``p2 = stop`` by pseudo-arclength continuation (tangent predictor, Newton
    corrector with the arclength condition, adaptive step) of the extended system (Govaerts 2000)

        F(x, p1, p2) = 0,   J v = i omega v,   c^H v = 1

    in the ``3n + 3`` real unknowns ``(x, p1, p2, Re v, Im v, omega)``, ``c`` the previous point's ``v``; Jacobians
    by ``torch.func``. At each point the first Lyapunov coefficient ``l1`` is computed (Kuznetsov's formula, as in
    :func:`neurodyn.find_hopf_points`); where it changes sign a Bautin point (GH) is located. Where ``omega``
    reaches 0 the curve ends at a Bogdanov–Takens point (BT), also located.

    Args:
        system: a :class:`neurodyn.Flow` whose ``params`` hold both parameters.
        hopf: a :class:`HopfPoint` of ``system`` found in ``p1``. params: ``(p1, p2)``.
        stop: the value of ``p2`` to head for; the run ends when ``p2`` passes it or turns back past its start.
        step, min_step, max_step: arclength steps in the unknowns. max_points: most points.
        tol, maxiter: Newton settings.

    Returns:
        :class:`BifurcationCurve` with ``omega`` and ``coefficient = l1`` at each point.

    See also:
        :func:`continue_fold_curve`, :func:`neurodyn.find_hopf_points`.
    """
    G, (p1, p2), start = _plane_field(system, params, stop, "continue_hopf_curve")
    if not isinstance(hopf, HopfPoint):
        raise InvalidInputError(f"hopf must be a HopfPoint (from find_hopf_points), got {type(hopf).__name__}")
    if hopf.param != p1:
        raise InvalidInputError(f"this HopfPoint was found in {hopf.param!r}, not in {p1!r}: pass params=("
                                f"{hopf.param!r}, ...) or find it with find_hopf_points(system, param={p1!r}, ...)")
    n = system.dim
    x = hopf.x.to(dtype=system.dtype, device=system.device)
    q = hopf.q.to(device=system.device)

    def residual_for(c):
        def R(z):
            y, a, b, vr, vi, w = z[:n], z[n], z[n + 1], z[n + 2:2 * n + 2], z[2 * n + 2:3 * n + 2], z[3 * n + 2]
            Jvr = jvp(lambda u: G(u, a, b), (y,), (vr,))[1]
            Jvi = jvp(lambda u: G(u, a, b), (y,), (vi,))[1]
            return torch.cat([G(y, a, b), Jvr + w * vi, Jvi - w * vr,
                              torch.stack([c.real @ vr + c.imag @ vi - 1, c.real @ vi - c.imag @ vr])])
        return R

    def vector(z):
        return torch.complex(z[n + 2:2 * n + 2], z[2 * n + 2:3 * n + 2])

    def l1(z):
        y, a, b, w = z[:n], z[n], z[n + 1], float(z[3 * n + 2])
        qq = vector(z) if w > 0 else vector(z).conj()
        qq = qq / torch.linalg.vector_norm(qq)
        J = jacfwd(G)(y, a, b)
        return first_lyapunov_coefficient(lambda u, c: G(u, c, b), y, a, J, qq, abs(w),
                                          p=left_eigenvector(J, qq, abs(w)))

    z0 = torch.cat([x, x.new_tensor([hopf.value, start]), q.real.to(x.dtype), q.imag.to(x.dtype),
                    x.new_tensor([hopf.omega])])
    tests = {"bautin": l1, "bogdanov-takens": lambda z: float(z[3 * n + 2])}
    return _trace("hopf", system.name, (p1, p2), residual_for, vector, z0, q, n, tests, stop=stop, step=step,
                  min_step=min_step, max_step=max_step, max_points=max_points, tol=tol, maxiter=maxiter,
                  omega=lambda z: float(z[3 * n + 2]), what=f"{hopf!r}")


def continue_fold_curve(system: Flow, fold: SpecialPoint, *, params: tuple[str, str], stop: float, step: float = 0.05,
                        min_step: float = 1e-7, max_step: float = 0.2, max_points: int = 500, tol: float = 1e-10,
                        maxiter: int = 12) -> BifurcationCurve:
    """Trace the curve of folds (limit points) through ``fold`` in the plane of ``params = (p1, p2)``.

    ``fold`` is a fold found in ``p1`` by :func:`neurodyn.continue_equilibria` (``kind == "fold"`` in
    ``Branch.special``) at the system's current value of ``p2``. Pseudo-arclength continuation as in
    :func:`continue_hopf_curve`, of the extended system

        F(x, p1, p2) = 0,   J v = 0,   c . v = 1

    in the ``2n + 2`` unknowns ``(x, p1, p2, v)``, ``c`` the previous point's ``v``. At each point the quadratic
    coefficient ``p . B(v, v) / 2`` of the fold's normal form is computed; where it changes sign a cusp point (CP)
    is located. Where a second eigenvalue reaches zero (the product of the other eigenvalues changes sign) a
    Bogdanov–Takens point (BT) is located. The curve goes on through both.

    Args and Returns: as for :func:`continue_hopf_curve`; ``omega`` is ``None``.
    """
    G, (p1, p2), start = _plane_field(system, params, stop, "continue_fold_curve")
    if not isinstance(fold, SpecialPoint) or fold.kind != "fold":
        raise InvalidInputError(f"fold must be a SpecialPoint of kind 'fold' (from Branch.special), got {fold!r}")
    if fold.param is not None and fold.param != p1:
        raise InvalidInputError(f"this fold was found in {fold.param!r}, not in {p1!r}: pass params=({fold.param!r}, "
                                f"...) or continue the equilibria in {p1!r}")
    n = system.dim
    x = fold.x.to(dtype=system.dtype, device=system.device)
    a, b = x.new_tensor(fold.value), x.new_tensor(start)
    v = torch.linalg.svd(jacfwd(G)(x, a, b)).Vh[-1]
    v = v if float(v[torch.argmax(v.abs())]) > 0 else -v

    def residual_for(c):
        def R(z):
            y, a, b, vv = z[:n], z[n], z[n + 1], z[n + 2:]
            return torch.cat([G(y, a, b), jvp(lambda u: G(u, a, b), (y,), (vv,))[1], (c @ vv - 1)[None]])
        return R

    def coefficient(z):
        y, a, b, vv = z[:n], z[n], z[n + 1], z[n + 2:]
        vv = vv / torch.linalg.vector_norm(vv)
        J = jacfwd(G)(y, a, b)
        p = torch.linalg.svd(J.T).Vh[-1]
        Bvv = jvp(lambda u: jvp(lambda w: G(w, a, b), (u,), (vv,))[1], (y,), (vv,))[1]
        return float(p @ Bvv) / (2 * float(p @ vv))

    def others(z):  # the product of the eigenvalues but the critical one: 0 where a second one reaches 0
        mu = _linalg.eigvals(jacfwd(G)(z[:n], z[n], z[n + 1]))
        return float(mu[torch.argsort(mu.abs())[1:]].prod().real)

    z0 = torch.cat([x, x.new_tensor([fold.value, start]), v])
    tests = {"bogdanov-takens": others, "cusp": coefficient}
    return _trace("fold", system.name, (p1, p2), residual_for, lambda z: z[n + 2:], z0, v, n, tests,
                  stop=stop, step=step, min_step=min_step, max_step=max_step, max_points=max_points, tol=tol,
                  maxiter=maxiter, omega=None, what=f"the fold at {p1} = {fold.value:.6g}")


def _plane_field(system, params, stop, caller):
    """``G(x, a, b)`` with ``params = (p1, p2)`` set to ``a``, ``b``; the checked names and ``p2``'s current value."""
    if (not isinstance(params, (tuple, list)) or len(params) != 2 or not all(isinstance(p, str) for p in params)
            or params[0] == params[1]):
        raise InvalidInputError(f"params must name two different parameters (p1, p2), got {params!r}")
    p1, p2 = params
    for p in params:
        parametrised_field(system, p, caller)
    start = float(system.params[p2])
    if float(stop) == start:
        raise InvalidInputError(f"stop = {float(stop)} is the current value of {p2!r}: give another value to head for")
    t0 = torch.zeros((), dtype=system.dtype, device=system.device)

    def G(x, a, b):
        return system.fn(t0, x, {**system.params, p1: a, p2: b})

    return G, (p1, p2), start


def _trace(kind, name, params, residual_for, vector, z, c, n, tests, *, stop, step, min_step, max_step, max_points,
           tol, maxiter, omega, what) -> BifurcationCurve:
    """Pseudo-arclength continuation of ``residual_for(c)(z) = 0`` (``c``: the normalisation, the previous point's
    ``vector(z)``) from ``z`` towards ``z[n + 1] = stop``; sign changes of the ``tests`` located by regula falsi."""
    h, min_step, max_step = (positive_float(v, name=k) for k, v in
                             (("step", step), ("min_step", min_step), ("max_step", max_step)))
    max_points, maxiter = positive_int(max_points, name="max_points", minimum=2), positive_int(maxiter, name="maxiter")
    start, stop = float(z[n + 1]), float(stop)
    R0 = residual_for(c)(z)
    if float(R0.abs().max()) > 1e-6 * max(1.0, float(z.abs().max())):
        raise InvalidInputError(f"{what} is not a {'Hopf point' if kind == 'hopf' else 'fold'} of {name!r} at "
                                f"{params[1]} = {start:.6g} (extended residual {float(R0.abs().max()):.2g}): compute "
                                "it on this system")
    fixed = z[n + 1].clone()
    polished = newton(lambda y: torch.cat([residual_for(c)(y), (y[n + 1] - fixed)[None]]), z, tol=tol,
                      maxiter=maxiter)
    if polished is None:
        raise InvalidInputError(f"Newton on the extended system does not converge from {what} at {params[1]} = "
                                f"{start:.6g}: compute it on this system")
    z, c = polished, vector(polished)
    t = torch.linalg.svd(jacfwd(residual_for(c))(z)).Vh[-1]
    t = t if float(t[n + 1]) * (stop - start) > 0 else -t
    points, values = [z], [{k: f(z) for k, f in tests.items()}]
    special, status = [], "max_points"
    lo, hi = sorted((start, stop))
    while len(points) < max_points:
        H = residual_for(c)
        new = _correct(H, z + h * t, t, tol=tol, maxiter=maxiter)
        if new is None:
            h /= 2
            if h < min_step:
                status = "step too small"
                break
            continue
        w, iters = new
        t_w = _tangent(H, w, t)
        vals = {k: f(w) for k, f in tests.items()}
        ended = False
        changed = {k for k in tests if values[-1][k] * vals[k] < 0}
        for k, f in tests.items():
            if k in changed and not (k == "cusp" and "bogdanov-takens" in changed):  # there p . v = 0: a pole
                p = _locate(H, z, t, h, f, values[-1][k], vals[k], tol=tol, maxiter=maxiter)
                p = w if p is None else p
                special.append(CurveEvent(kind=k, values=(float(p[n]), float(p[n + 1])), x=p[:n].detach().cpu(),
                                          index=len(points) - 1))
                ended = ended or (kind == "hopf" and k == "bogdanov-takens")
        if ended:  # beyond it omega < 0 retraces the same Hopf points
            status = "Bogdanov-Takens point"
            break
        points.append(w)
        values.append(vals)
        z, t, c = w, t_w, vector(w)
        h = min(max_step, h * 1.3) if iters <= 4 else h
        if not lo <= float(w[n + 1]) <= hi:
            status = "reached stop" if (float(w[n + 1]) - start) * (stop - start) > 0 else "left interval"
            break
    Z = torch.stack(points).detach().cpu()
    key = "bautin" if kind == "hopf" else "cusp"
    return BifurcationCurve(kind=kind, params=tuple(params), values=Z[:, n:n + 2], states=Z[:, :n],
                            omega=None if omega is None else torch.tensor([omega(p) for p in points], dtype=Z.dtype),
                            coefficient=torch.tensor([v[key] for v in values], dtype=Z.dtype), special=special,
                            status=status, system=name,
                            settings=dict(stop=stop, step=step, min_step=min_step, max_step=max_step,
                                          max_points=max_points, tol=tol, maxiter=maxiter))


def _locate(H, z, t, h, f, f0, f1, *, tol, maxiter):
    """The point at arclength ``s`` in ``(0, h)`` from ``z`` along ``t`` where the test ``f`` vanishes."""

    def test(s):
        p = _correct(H, z + s * t, t, tol=tol, maxiter=maxiter)
        return None if p is None else (f(p[0]), p[0])

    return regula_falsi(test, 0.0, h, f0, f1, tol=1e-10)[1]


def _tangent(H, w, previous):
    A = torch.cat([jacfwd(H)(w), previous[None]])
    e = torch.zeros_like(w)
    e[-1] = 1.0
    t = torch.linalg.solve(A, e)
    return t / torch.linalg.vector_norm(t)
