"""Pseudo-arclength continuation of equilibria in one parameter, with folds, branch points and Hopf points
located on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.func import jacfwd, jvp

from neurodyn import _linalg
from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn.continuation.hopf import (
    HopfPoint,
    eigen_rates,
    equilibrium,
    hopf_point,
    newton,
    parametrised_field,
    solve_hopf,
)
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result
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


@dataclass(frozen=True, eq=False)
class Branch(Result):
    """An equilibrium branch ``F(x, alpha) = 0`` traced by pseudo-arclength continuation.

    Attributes:
        param: the parameter's name. values: ``(m,)`` its values along the branch. states: ``(m, n)`` equilibria.
        eigenvalues: ``(m, n)`` complex eigenvalues of the Jacobian at each point (per unit time).
        n_unstable: ``(m,)`` eigenvalues with positive real part (0: stable).
        special: folds, branch points and Hopf points, in the order met.
        status: "reached stop", "left interval" (turned back past a fold), "max_points" or "step too small".
    """

    param: str
    values: torch.Tensor
    states: torch.Tensor
    eigenvalues: torch.Tensor
    n_unstable: torch.Tensor
    special: list
    status: str
    system: str
    settings: dict = field(default_factory=dict)

    @property
    def stable(self) -> torch.Tensor:
        return self.n_unstable == 0

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


def continue_equilibria(system: Flow, *, param: str, start: float, stop: float, x0=None, step: float = 0.02,
                        min_step: float = 1e-7, max_step: float = 0.2, max_points: int = 2000, tol: float = 1e-10,
                        maxiter: int = 12, min_omega: float = 1e-8) -> Branch:
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
        x0: an equilibrium (approximately) at ``start`` (default the origin). step, min_step, max_step: arclength
            steps. max_points: most points. tol, maxiter: Newton settings.

    Returns:
        :class:`Branch` with a ``plot()`` bifurcation diagram.
    """
    G = parametrised_field(system, param, "continue_equilibria")
    start, stop = float(start), float(stop)
    if start == stop:
        raise InvalidInputError(f"start and stop are both {start}: give an interval")
    lo, hi = min(start, stop), max(start, stop)
    h, min_step, max_step = (positive_float(v, name=k) for k, v in
                             (("step", step), ("min_step", min_step), ("max_step", max_step)))
    max_points, maxiter = positive_int(max_points, name="max_points", minimum=2), positive_int(maxiter, name="maxiter")
    n = system.dim
    dtype, dev = system.dtype, system.device
    x = torch.zeros(n, dtype=dtype, device=dev) if x0 is None else as_tensor(x0, name="x0", dtype=dtype,
                                                                             device=dev).reshape(n)
    x = equilibrium(G, x, torch.tensor(start, dtype=dtype, device=dev), tol=tol, maxiter=maxiter,
                    what=f"{system.name!r} at {param} = {start}")
    u = torch.cat([x, x.new_tensor([start])])

    def H(w):
        return G(w[:n], w[n])

    def tangent(w, previous):
        A = torch.cat([jacfwd(H)(w), previous[None]])
        t = torch.linalg.solve(A, torch.cat([w.new_zeros(n), w.new_ones(1)]))
        return t / torch.linalg.vector_norm(t)

    t = tangent(u, torch.cat([u.new_zeros(n), u.new_tensor([1.0 if stop > start else -1.0])]))
    points, eigs, special = [u], [_linalg.eigvals(jacfwd(H)(u)[:, :n])], []
    status = "max_points"
    while len(points) < max_points:
        new = _correct(H, u + h * t, t, tol=tol, maxiter=maxiter)
        if new is None:
            h /= 2
            if h < min_step:
                status = "step too small"
                break
            continue
        w, iters = new
        t_new = tangent(w, t)
        mu_new = _linalg.eigvals(jacfwd(H)(w)[:, :n])
        for sp in _events(G, H, n, u, t, w, t_new, eigs[-1], mu_new, h, len(points) - 1, param,
                          tol=tol, maxiter=maxiter, min_omega=min_omega):
            if not any(_same_point(sp, other) for other in special):  # an event on a segment end is met twice
                special.append(sp)
        points.append(w)
        eigs.append(mu_new)
        u, t = w, t_new
        h = min(max_step, h * 1.3) if iters <= 4 else h
        a = float(w[n])
        if not lo <= a <= hi:
            status = "reached stop" if (a - start) * (stop - start) > 0 and abs(a - start) >= hi - lo else \
                "left interval"
            break
    U = torch.stack(points)
    E = torch.stack(eigs)
    return Branch(param=param, values=U[:, n].detach().cpu(), states=U[:, :n].detach().cpu(), eigenvalues=E.cpu(),
                  n_unstable=(E.real > 0).sum(-1).cpu(), special=special, status=status, system=system.name,
                  settings=dict(start=start, stop=stop, step=step, min_step=min_step, max_step=max_step,
                                max_points=max_points, tol=tol, maxiter=maxiter))


def _correct(H, pred, t, *, tol: float, maxiter: int):
    """Newton on ``H(w) = 0, t . (w - pred) = 0``; ``(w, iterations)`` or ``None``."""
    w = pred
    for i in range(maxiter):
        R = torch.cat([H(w), (t * (w - pred)).sum()[None]])
        if float(R.abs().max()) <= tol:
            return w, i
        A = torch.cat([jacfwd(H)(w), t[None]])
        d, info = torch.linalg.solve_ex(A, -R)
        if int(info) != 0 or not bool(torch.isfinite(d).all()):
            return None
        w = w + d
    return None


def _eig_rates(H, n, w, t):
    """Eigenvalues ``mu``, right eigenvectors and ``d mu/ds`` along the unit tangent ``t`` at ``w = (x, alpha)``."""
    return eigen_rates(jacfwd(H)(w)[:, :n], jvp(lambda y: jacfwd(H)(y)[:, :n], (w,), (t,))[1])


def _events(G, H, n, u, t, w, t_new, mu_old, mu_new, h, index, param, *, tol, maxiter, min_omega) -> list:
    found: list[SpecialPoint] = []
    a_lo, a_hi = sorted((float(u[n]), float(w[n])))
    margin = 1e-9 + 1e-6 * (a_hi - a_lo)
    mu, V, rate = _eig_rates(H, n, u, t)
    for k in torch.nonzero(mu.imag > min_omega).flatten().tolist():
        r = float(rate[k].real)
        s = -float(mu[k].real) / r if r != 0 else float("inf")
        if not -0.5 * h <= s <= 1.5 * h:  # the extrapolated real part does not change sign within this step
            continue
        s = min(max(s, 0.0), h)
        seed = u + s * t
        z = solve_hopf(G, seed[:n], float(seed[n]), V[:, k], float(mu[k].imag), tol=tol, maxiter=maxiter)
        if z is None or not a_lo - margin <= float(z[n]) <= a_hi + margin or abs(float(z[3 * n + 1])) <= min_omega:
            continue
        hp = hopf_point(G, z, param, settings=dict(tol=tol, maxiter=maxiter))
        sp = SpecialPoint(kind="hopf", value=hp.value, x=hp.x, index=index, hopf=hp, param=param)
        if not any(_same_point(sp, other) for other in found):
            found.append(sp)
    real_old = int(((mu_old.real > 0) & (mu_old.imag.abs() <= min_omega)).sum())
    real_new = int(((mu_new.real > 0) & (mu_new.imag.abs() <= min_omega)).sum())
    if real_old != real_new:
        fold = float(t[n]) * float(t_new[n]) < 0
        real = torch.nonzero(mu.imag.abs() <= min_omega).flatten()
        if len(real) == 0:  # a complex pair turned real and one of them crossed zero within the step
            real = torch.arange(len(mu), device=mu.device)
        k = int(real[torch.argmin(mu[real].abs())])
        z = _solve_singular(G, u[:n], u[n], V[:, k].real, tol=tol, maxiter=maxiter)
        if z is not None:
            found.append(SpecialPoint(kind="fold" if fold else "branch", value=float(z[n]), x=z[:n].detach().cpu(),
                                      index=index, param=param))
    return sorted(found, key=lambda s: s.value if float(w[n]) >= float(u[n]) else -s.value)


def _same_point(a: SpecialPoint, b: SpecialPoint) -> bool:
    close = abs(a.value - b.value) <= 1e-8 * max(1.0, abs(a.value)) and float((a.x - b.x).norm()) <= 1e-6 * max(
        1.0, float(a.x.norm()))
    if a.kind != b.kind or not close:
        return False
    return a.kind != "hopf" or abs(a.hopf.omega - b.hopf.omega) <= 1e-8 * max(1.0, a.hopf.omega)


def _solve_singular(G, x, a, v, *, tol: float, maxiter: int):
    """Newton on ``F(x, a) = 0, J v = 0, c . v = 1`` (a fold or branch point); ``(x, a, v)`` or ``None``."""
    n = len(x)
    c = v / (v @ v)

    def residual(z):
        y, b, vv = z[:n], z[n], z[n + 1:]
        return torch.cat([G(y, b), jvp(lambda q: G(q, b), (y,), (vv,))[1], (c @ vv - 1)[None]])

    z = torch.cat([x, a.reshape(1), v / (c @ v)])
    return newton(residual, z, tol=tol, maxiter=maxiter)
