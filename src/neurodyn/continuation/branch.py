"""Pseudo-arclength continuation of equilibria in one parameter, with folds, branch points and Hopf points
located on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.func import jacfwd, jvp

from neurodyn import _linalg
from neurodyn._checks import as_tensor
from neurodyn.continuation.core import ContinuationSettings, Corrected, Corrector, Point, tangent, trace
from neurodyn.continuation.hopf import HopfPoint, eigen_rates, equilibrium, hopf_point, parametrised_field, solve_hopf
from neurodyn.continuation.residuals import HopfUnknowns, fold_residual
from neurodyn.errors import InvalidInputError
from neurodyn.numerics import damped_newton
from neurodyn.results import Result, Status, finish
from neurodyn.systems.protocol import Flow

LABELS = {"fold": "LP", "branch": "BP", "hopf": "H"}


@dataclass(frozen=True, eq=False)
class SpecialPoint(Result):
    """A fold (limit point, ``kind="fold"``), branch point (``"branch"``) or Hopf point (``"hopf"``) on a branch:
    the parameter ``value``, the equilibrium ``x``, the branch segment ``index`` (between points ``index`` and
    ``index + 1``), for Hopf points the full :class:`HopfPoint` in ``hopf``, and the parameter's name ``param``."""

    kind: str
    value: float
    x: torch.Tensor
    index: int
    hopf: HopfPoint | None = None
    param: str | None = None


@dataclass(frozen=True)
class StabilityChange:
    """Where along a branch (in the order traced) the number of unstable eigenvalues first grows from ``before``
    to ``after``, between the parameter values ``left`` and ``right``, and the special point found on that
    segment (``None`` when none was detected there)."""

    left: float
    right: float
    before: int
    after: int
    point: SpecialPoint | None


@dataclass(frozen=True, eq=False)
class Branch(Result):
    """An equilibrium branch ``F(x, alpha) = 0`` traced by pseudo-arclength continuation.

    Attributes:
        param: the parameter's name. values: ``(m,)`` its values along the branch. states: ``(m, n)`` equilibria.
        eigenvalues: ``(m, n)`` complex eigenvalues of the Jacobian at each point (per unit time).
        n_unstable: ``(m,)`` eigenvalues with positive real part (0: stable).
        special: folds, branch points and Hopf points, in the order met.
        status: a :class:`neurodyn.Status`: "reached stop", "left interval" (turned back past a fold),
            "max_points" or "step too small" (not ok: the corrector failed at every step size).
    """

    param: str
    values: torch.Tensor
    states: torch.Tensor
    eigenvalues: torch.Tensor
    n_unstable: torch.Tensor
    special: list
    status: Status
    system: str
    settings: dict = field(default_factory=dict)

    @property
    def stable(self) -> torch.Tensor:
        return self.n_unstable == 0

    def first_loss_of_stability(self) -> StabilityChange | None:
        """The first segment on which the equilibrium gains an unstable eigenvalue, or ``None``."""
        n = self.n_unstable.tolist()
        values = self.values.tolist()
        for i in range(len(n) - 1):
            if n[i + 1] > n[i]:
                point = next((s for s in self.special if s.index == i), None)
                return StabilityChange(values[i], values[i + 1], n[i], n[i + 1], point)
        return None

    def unstable_besides(self, point: SpecialPoint) -> int:
        """Unstable eigenvalues of the equilibrium at a Hopf ``point`` other than the crossing pair."""
        n = self.n_unstable.tolist()
        return min(n[point.index], n[min(point.index + 1, len(n) - 1)])

    def __repr__(self) -> str:
        counts = {k: sum(1 for s in self.special if s.kind == k) for k in LABELS}
        return (f"Branch({self.system}: {len(self.values)} points, {self.param} in [{float(self.values.min()):.4g}, "
                f"{float(self.values.max()):.4g}], {counts['fold']} folds, {counts['branch']} branch points, "
                f"{counts['hopf']} Hopf points, status={self.status!r})")

    def plot(self, ax=None, *, coordinate: int | None = None, orbits=()):
        """Bifurcation diagram: ``|x|`` (or ``x[coordinate]``) against the parameter, stable solid, unstable
        dashed, special points marked and labelled (LP fold, BP branch point, H Hopf). ``orbits``: branches of
        periodic orbits (:class:`~neurodyn.continuation.OrbitBranch`, e.g. from the Hopf points of this branch)
        drawn on the same axes as ``max_t |x(t)|`` (or the maximum and minimum of ``x[coordinate]``), so that a
        cycle branch leaves the equilibrium branch at its Hopf point. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.5))

        def measure(x):
            return x[..., coordinate] if coordinate is not None else torch.linalg.vector_norm(x, dim=-1)

        a, y, st = self.values.numpy(), measure(self.states).numpy(), self.stable.numpy()
        for i in range(len(a) - 1):
            ax.plot(a[i:i + 2], y[i:i + 2], color="C0", ls="-" if st[i] and st[i + 1] else "--", lw=1.5)
        for s in self.special:
            v = float(measure(s.x))
            ax.plot(s.value, v, "o", color={"fold": "C3", "branch": "C2", "hopf": "C1"}[s.kind], ms=6)
            ax.annotate(LABELS[s.kind], (s.value, v), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.plot([], [], color="C0", label="equilibria (stable)")
        ax.plot([], [], color="C0", ls="--", label="equilibria (unstable)")
        for k, ob in enumerate(orbits):
            ob.draw(ax, quantity="norm", coordinate=coordinate, color=f"C{(k % 6) + 4}" if k else "C1")
        ax.set_xlabel(self.param)
        what = "|x|" if coordinate is None else f"x{coordinate + 1}"
        ax.set_ylabel(what if not orbits else f"{what} (cycles: max{'' if coordinate is None else ', min'} over "
                                              "the orbit)")
        ax.set_title(f"{'Bifurcation diagram' if orbits else 'Equilibria'} of {self.system}", fontsize=10)
        ax.legend(fontsize=8)
        return ax


BRANCH_SETTINGS = ContinuationSettings(step=0.02, min_step=1e-7, max_step=0.2, max_points=2000, tol=1e-10, maxiter=12)


def continue_equilibria(system: Flow, *, param: str, start: float, stop: float, x0=None, min_omega: float = 1e-8,
                        strict: bool | None = None, settings: ContinuationSettings | None = None, **options) -> Branch:
    """Trace the equilibrium branch through ``(x0, start)`` towards ``param = stop`` by pseudo-arclength
    continuation (Keller 1977), passing folds, and locate the bifurcations on it.

    Each step predicts along the unit tangent ``t`` of the curve ``F(x, alpha) = 0`` in ``(x, alpha)`` space and
    corrects with Newton on ``F = 0, t . (u - u_pred) = 0``; the step grows by 1.3 after an easy correction (at
    most 4 iterations) and halves after a failed one. At every point the Jacobian's eigenvalues give the
    stability. Events between two points:

    - Hopf points: every complex eigenpair whose real part, extrapolated along the tangent with its derivative
      ``d mu/ds`` (left/right eigenvectors), changes sign within the step is located by Newton on the extended
      Hopf system (as :func:`find_hopf_points`), so two crossings in one step are both found.
    - Folds and branch points: a real eigenvalue crossing zero is located by Newton on
      ``F = 0, J v = 0, c . v = 1``; a fold if the tangent's parameter component changes sign, else a branch
      point (e.g. a pitchfork or transcritical point of a symmetric network).

    Args:
        system: a :class:`neurodyn.Flow` whose ``params`` hold ``param``.
        start, stop: the parameter interval; the run starts at ``start`` heading for ``stop`` and ends when the
            parameter leaves ``[min, max]`` of the two.
        x0: an equilibrium (approximately) at ``start`` (default the origin).
        settings: a :class:`~neurodyn.continuation.ContinuationSettings` (default ``step=0.02, min_step=1e-7,
            max_step=0.2, max_points=2000, tol=1e-10, maxiter=12``); the keyword shorthands ``step``, ``min_step``,
            ``max_step`` (arclength steps), ``max_points``, ``tol`` and ``maxiter`` (Newton) replace single fields.
        min_omega: eigenvalues with
            ``|Im| <= min_omega`` count as real. strict: ``True`` raises when the branch ends with a status that is not
            ok (default ``None``: a branch that stops at "step too small" is returned with that status).

    Returns:
        :class:`Branch` with a ``plot()`` bifurcation diagram.

    Raises:
        ConvergenceError: no equilibrium near ``x0``, or (``strict=True``) the step fell below ``min_step``.

    See also:
        :mod:`neurodyn.continuation.core`, the continuation loop; :func:`continue_fold_curve`.
    """
    G = parametrised_field(system, param, "continue_equilibria")
    start, stop = float(start), float(stop)
    if start == stop:
        raise InvalidInputError(f"start and stop are both {start}: give an interval")
    settings = ContinuationSettings.resolve(BRANCH_SETTINGS, settings, options, "continue_equilibria")
    n = system.dim
    dtype, dev = system.dtype, system.device
    x = torch.zeros(n, dtype=dtype, device=dev) if x0 is None else as_tensor(x0, name="x0", dtype=dtype,
                                                                             device=dev).reshape(n)
    system.probe(x, None)
    x = equilibrium(G, x, torch.tensor(start, dtype=dtype, device=dev), tol=settings.tol, maxiter=settings.maxiter,
                    what=f"{system.name!r} at {param} = {start}")
    problem = EquilibriumProblem(G=G, n=n, param=param, origin=start, target=stop, settings=settings,
                                 min_omega=min_omega)
    out = trace(problem, problem.first(x), settings)
    U = torch.stack([p.u for p in out.points])
    E = torch.stack([p.data for p in out.points])
    branch = Branch(param=param, values=U[:, n].detach().cpu(), states=U[:, :n].detach().cpu(), eigenvalues=E.cpu(),
                    n_unstable=(E.real > 0).sum(-1).cpu(), special=out.events, status=out.status, system=system.name,
                    settings=dict(start=start, stop=stop, **settings.as_dict()))
    return finish(branch, strict=strict, what=f"the equilibrium branch of {system.name!r} in {param!r}")


@dataclass(frozen=True)
class EquilibriumProblem:
    """Equilibria ``F(x, alpha) = 0`` in the unknowns ``u = (x, alpha)`` for :func:`~neurodyn.continuation.core.trace`;
    each point keeps the Jacobian's eigenvalues; events are Hopf points, folds and branch points."""

    G: Callable
    n: int
    param: str
    origin: float  # the parameter value the branch starts from
    target: float  # the value it heads for
    settings: ContinuationSettings
    min_omega: float

    def H(self, w):
        return self.G(w[:self.n], w[self.n])

    def eigenvalues(self, w):
        return _linalg.eigvals(jacfwd(self.H)(w)[:, :self.n])

    def first(self, x) -> Point:
        u = torch.cat([x, x.new_tensor([self.origin])])
        direction = torch.cat([u.new_zeros(self.n), u.new_tensor([1.0 if self.target > self.origin else -1.0])])
        return Point(u, tangent(jacfwd(self.H)(u), direction), self.eigenvalues(u))

    def corrector(self, prev: Point) -> Corrector:
        return Corrector(residual=lambda w: (self.H(w), None), jacobian=lambda w, _: jacfwd(self.H)(w))

    def point(self, prev: Point, new: Corrected) -> Point:
        w = new.u
        return Point(w, tangent(jacfwd(self.H)(w), prev.tangent), self.eigenvalues(w))

    def events(self, prev: Point, new: Point, h: float, index: int, found: list) -> list:
        out = []
        for sp in _events(self, prev, new, h, index):
            if not any(_same_point(sp, other) for other in found):  # an event on a segment end is met twice
                out.append(sp)
        return out

    def stop(self, first: Point, new: Point, found: list):
        a, lo, hi = float(new.u[self.n]), min(self.origin, self.target), max(self.origin, self.target)
        if lo <= a <= hi:
            return None, True
        reached = (a - self.origin) * (self.target - self.origin) > 0 and abs(a - self.origin) >= hi - lo
        return (Status.REACHED_STOP if reached else Status.LEFT_INTERVAL), True


def _eig_rates(H, n, w, t):
    """Eigenvalues ``mu``, right eigenvectors and ``d mu/ds`` along the unit tangent ``t`` at ``w = (x, alpha)``."""
    return eigen_rates(jacfwd(H)(w)[:, :n], jvp(lambda y: jacfwd(H)(y)[:, :n], (w,), (t,))[1])


def _events(pb: EquilibriumProblem, prev: Point, new: Point, h: float, index: int) -> list:
    """Hopf points (each complex pair whose extrapolated real part changes sign within the step), then a fold or
    branch point (where the count of positive real eigenvalues changes), in the order met."""
    n, u, t, w = pb.n, prev.u, prev.tangent, new.u
    found: list[SpecialPoint] = []
    a_lo, a_hi = sorted((float(u[n]), float(w[n])))
    margin = 1e-9 + 1e-6 * (a_hi - a_lo)
    mu, V, rate = _eig_rates(pb.H, n, u, t)
    tol, maxiter = pb.settings.tol, pb.settings.maxiter
    for k in torch.nonzero(mu.imag > pb.min_omega).flatten().tolist():
        r = float(rate[k].real)
        s = -float(mu[k].real) / r if r != 0 else float("inf")
        if not -0.5 * h <= s <= 1.5 * h:  # the extrapolated real part does not change sign within this step
            continue
        s = min(max(s, 0.0), h)
        seed = u + s * t
        z = solve_hopf(pb.G, seed[:n], float(seed[n]), V[:, k], float(mu[k].imag), tol=tol, maxiter=maxiter)
        if z is None:
            continue
        hz = HopfUnknowns.of(z, 1)
        if not a_lo - margin <= float(hz.p[0]) <= a_hi + margin or abs(float(hz.omega)) <= pb.min_omega:
            continue
        hp = hopf_point(pb.G, z, pb.param, settings=dict(tol=tol, maxiter=maxiter))
        sp = SpecialPoint(kind="hopf", value=hp.value, x=hp.x, index=index, hopf=hp, param=pb.param)
        if not any(_same_point(sp, other) for other in found):
            found.append(sp)
    singular = _singular_event(pb, prev, new, mu, V, index)
    if singular is not None:
        found.append(singular)
    return sorted(found, key=lambda sp: sp.value if float(w[n]) >= float(u[n]) else -sp.value)


def _singular_event(pb: EquilibriumProblem, prev: Point, new: Point, mu, V, index: int):
    """A fold (the tangent's parameter component changes sign) or branch point where a real eigenvalue crosses 0,
    located by damped Newton on the extended fold system; ``None`` if there is none (or Newton fails)."""
    n, min_omega = pb.n, pb.min_omega
    real_old = int(((prev.data.real > 0) & (prev.data.imag.abs() <= min_omega)).sum())
    real_new = int(((new.data.real > 0) & (new.data.imag.abs() <= min_omega)).sum())
    if real_old == real_new:
        return None
    fold = float(prev.tangent[n]) * float(new.tangent[n]) < 0
    real = torch.nonzero(mu.imag.abs() <= min_omega).flatten()
    if len(real) == 0:  # a complex pair turned real and one of them crossed zero within the step
        real = torch.arange(len(mu), device=mu.device)
    k = int(real[torch.argmin(mu[real].abs())])
    v = V[:, k].real
    c = v / (v @ v)
    z0 = torch.cat([prev.u[:n], prev.u[n].reshape(1), v / (c @ v)])
    z = damped_newton(lambda y: fold_residual(pb.G, y, c, 1), z0, tol=pb.settings.tol, maxiter=pb.settings.maxiter)
    if z is None:
        return None
    return SpecialPoint(kind="fold" if fold else "branch", value=float(z[n]), x=z[:n].detach().cpu(), index=index,
                        param=pb.param)


def _same_point(a: SpecialPoint, b: SpecialPoint) -> bool:
    close = abs(a.value - b.value) <= 1e-8 * max(1.0, abs(a.value)) and float((a.x - b.x).norm()) <= 1e-6 * max(
        1.0, float(a.x.norm()))
    if a.kind != b.kind or not close:
        return False
    return a.kind != "hopf" or abs(a.hopf.omega - b.hopf.omega) <= 1e-8 * max(1.0, a.hopf.omega)
