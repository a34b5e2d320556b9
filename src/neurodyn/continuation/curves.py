"""Curves of Hopf points and of folds in a plane of two parameters, by pseudo-arclength continuation of the
extended systems, with the codimension-two points on them (Bautin, Bogdanov–Takens, cusp)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.func import jacfwd, jvp

from neurodyn import _linalg
from neurodyn.continuation.branch import SpecialPoint
from neurodyn.continuation.core import ContinuationSettings, Corrected, Corrector, Point, locate, tangent, trace
from neurodyn.continuation.hopf import HopfPoint, first_lyapunov_coefficient, left_eigenvector, parametrised_field
from neurodyn.continuation.residuals import FoldUnknowns, HopfUnknowns, fold_residual, hopf_residual
from neurodyn.errors import ConvergenceError, InvalidInputError
from neurodyn.numerics import damped_newton
from neurodyn.results import Result, Status, finish
from neurodyn.systems.protocol import Flow

CURVE_LABELS = {"bautin": "GH", "bogdanov-takens": "BT", "cusp": "CP"}
CURVE_SETTINGS = ContinuationSettings(step=0.05, min_step=1e-7, max_step=0.2, max_points=500, tol=1e-10, maxiter=12)


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
    status: Status
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


def continue_hopf_curve(system: Flow, hopf: HopfPoint, *, params: tuple[str, str], stop: float,
                        strict: bool | None = None,
                        settings: ContinuationSettings | None = None, **options) -> BifurcationCurve:
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
        strict: ``True`` raises when the curve ends with a status that is not ok
            (default ``None``: raise only where there is no answer; see :func:`neurodyn.results.finish`).
        settings: a :class:`~neurodyn.continuation.ContinuationSettings` (default ``step=0.05, min_step=1e-7,
            max_step=0.2, max_points=500, tol=1e-10, maxiter=12``); the keyword shorthands ``step``, ``min_step``,
            ``max_step`` (arclength steps in the unknowns), ``max_points``, ``tol`` and ``maxiter`` (Newton)
            replace single fields.

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
    x = hopf.x.to(dtype=system.dtype, device=system.device)
    system.probe(x)
    q = hopf.q.to(device=system.device)

    def l1(z):
        u = HopfUnknowns.of(z, 2)
        a, b, w = u.p[0], u.p[1], float(u.omega)
        qq = u.v if w > 0 else u.v.conj()
        qq = qq / torch.linalg.vector_norm(qq)
        J = jacfwd(G)(u.x, a, b)
        return first_lyapunov_coefficient(lambda y, c: G(y, c, b), u.x, a, J, qq, abs(w),
                                          p=left_eigenvector(J, qq, abs(w)))

    problem = CurveProblem(kind="hopf", G=G, n=system.dim, params=(p1, p2), residual=hopf_residual,
                           vector=lambda z: HopfUnknowns.of(z, 2).v,
                           tests={"bautin": l1, "bogdanov-takens": lambda z: float(HopfUnknowns.of(z, 2).omega)},
                           origin=start, target=float(stop),
                           settings=ContinuationSettings.resolve(CURVE_SETTINGS, settings, options,
                                                                 "continue_hopf_curve"))
    z0 = HopfUnknowns.pack(x, x.new_tensor([hopf.value, start]), q, hopf.omega)
    return _curve(problem, z0, q, system.name, f"{hopf!r}", strict)


def continue_fold_curve(system: Flow, fold: SpecialPoint, *, params: tuple[str, str], stop: float,
                        strict: bool | None = None,
                        settings: ContinuationSettings | None = None, **options) -> BifurcationCurve:
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
    x = fold.x.to(dtype=system.dtype, device=system.device)
    system.probe(x)
    a, b = x.new_tensor(fold.value), x.new_tensor(start)
    v = torch.linalg.svd(jacfwd(G)(x, a, b)).Vh[-1]
    v = v if float(v[torch.argmax(v.abs())]) > 0 else -v

    def coefficient(z):
        u = FoldUnknowns.of(z, 2)
        a, b, vv = u.p[0], u.p[1], u.v / torch.linalg.vector_norm(u.v)
        J = jacfwd(G)(u.x, a, b)
        p = torch.linalg.svd(J.T).Vh[-1]
        Bvv = jvp(lambda y: jvp(lambda w: G(w, a, b), (y,), (vv,))[1], (u.x,), (vv,))[1]
        return float(p @ Bvv) / (2 * float(p @ vv))

    def others(z):  # the product of the eigenvalues but the critical one: 0 where a second one reaches 0
        u = FoldUnknowns.of(z, 2)
        mu = _linalg.eigvals(jacfwd(G)(u.x, u.p[0], u.p[1]))
        return float(mu[torch.argsort(mu.abs())[1:]].prod().real)

    problem = CurveProblem(kind="fold", G=G, n=system.dim, params=(p1, p2), residual=fold_residual,
                           vector=lambda z: FoldUnknowns.of(z, 2).v,
                           tests={"bogdanov-takens": others, "cusp": coefficient},
                           origin=start, target=float(stop),
                           settings=ContinuationSettings.resolve(CURVE_SETTINGS, settings, options,
                                                                 "continue_fold_curve"))
    z0 = torch.cat([x, x.new_tensor([fold.value, start]), v])
    return _curve(problem, z0, v, system.name, f"the fold at {p1} = {fold.value:.6g}", strict)


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


@dataclass(frozen=True)
class CurveProblem:
    """A curve of Hopf points or folds in two parameters for :func:`~neurodyn.continuation.core.trace`: the
    extended system ``residual(G, z, c, 2)`` with the normalisation ``c = vector(z)`` of the previous point;
    each point keeps the values of the ``tests``, whose sign changes are the codimension-two events."""

    kind: str
    G: Callable
    n: int
    params: tuple
    residual: Callable
    vector: Callable
    tests: dict
    origin: float  # p2 at the start
    target: float  # the value of p2 to head for
    settings: ContinuationSettings

    def equations(self, c):
        return lambda z: self.residual(self.G, z, c, 2)

    def corrector(self, prev: Point) -> Corrector:
        H = self.equations(self.vector(prev.u))
        return Corrector(residual=lambda w: (H(w), None), jacobian=lambda w, _: jacfwd(H)(w))

    def point(self, prev: Point, new: Corrected) -> Point:
        H = self.equations(self.vector(prev.u))
        return Point(new.u, tangent(jacfwd(H)(new.u), prev.tangent), {k: f(new.u) for k, f in self.tests.items()})

    def events(self, prev: Point, new: Point, h: float, index: int, found: list) -> list:
        n, out = self.n, []
        changed = {k for k in self.tests if prev.data[k] * new.data[k] < 0}
        for k, f in self.tests.items():
            if k in changed and not (k == "cusp" and "bogdanov-takens" in changed):  # there p . v = 0: a pole
                p = locate(self.corrector(prev), prev, h, lambda c, f=f: (f(c.u), c.u), prev.data[k], new.data[k],
                           self.settings)[1]
                p = new.u if p is None else p
                out.append(CurveEvent(kind=k, values=(float(p[n]), float(p[n + 1])), x=p[:n].detach().cpu(),
                                      index=index))
        return out

    def stop(self, first: Point, new: Point, found: list):
        if self.kind == "hopf" and any(e.kind == "bogdanov-takens" for e in found):
            return Status.BOGDANOV_TAKENS, False  # beyond it omega < 0 retraces the same Hopf points
        b, lo, hi = float(new.u[self.n + 1]), min(self.origin, self.target), max(self.origin, self.target)
        if lo <= b <= hi:
            return None, True
        return (Status.REACHED_STOP if (b - self.origin) * (self.target - self.origin) > 0 else
                Status.LEFT_INTERVAL), True


def _curve(problem: CurveProblem, z: torch.Tensor, c: torch.Tensor, name: str, what: str,
           strict: bool) -> BifurcationCurve:
    """Check and polish the starting point ``z`` (normalisation ``c``), trace the curve, and collect the result."""
    n, (p1, p2), start, stop = problem.n, problem.params, problem.origin, problem.target
    R0 = problem.equations(c)(z)
    if float(R0.abs().max()) > 1e-6 * max(1.0, float(z.abs().max())):
        raise InvalidInputError(f"{what} is not a {'Hopf point' if problem.kind == 'hopf' else 'fold'} of {name!r} "
                                f"at {p2} = {start:.6g} (extended residual {float(R0.abs().max()):.2g}): compute it on "
                                "this system")
    fixed = z[n + 1].clone()
    polished = damped_newton(lambda y: torch.cat([problem.equations(c)(y), (y[n + 1] - fixed)[None]]), z,
                             tol=problem.settings.tol, maxiter=problem.settings.maxiter)
    if polished is None:
        raise ConvergenceError(f"Newton on the extended system does not converge from {what} at {p2} = "
                               f"{start:.6g}: compute it on this system")
    t = torch.linalg.svd(jacfwd(problem.equations(problem.vector(polished)))(polished)).Vh[-1]
    t = t if float(t[n + 1]) * (stop - start) > 0 else -t
    first = Point(polished, t, {k: f(polished) for k, f in problem.tests.items()})
    out = trace(problem, first, problem.settings)
    Z = torch.stack([p.u for p in out.points]).detach().cpu()
    key = "bautin" if problem.kind == "hopf" else "cusp"
    omega = None if problem.kind != "hopf" else torch.tensor([float(HopfUnknowns.of(p.u, 2).omega) for p in out.points],
                                                             dtype=Z.dtype)
    s = problem.settings
    curve = BifurcationCurve(kind=problem.kind, params=(p1, p2), values=Z[:, n:n + 2], states=Z[:, :n], omega=omega,
                             coefficient=torch.tensor([p.data[key] for p in out.points], dtype=Z.dtype),
                             special=out.events, status=out.status, system=name,
                             settings=dict(stop=stop, **s.as_dict()))
    return finish(curve, strict=strict, what=f"the {problem.kind} curve of {name!r} in {(p1, p2)!r}")
