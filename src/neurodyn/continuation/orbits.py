"""Periodic orbits born at a Hopf point: single shooting with the monodromy matrix, Floquet multipliers.

:func:`shoot` is the one shooting integrator of the package: :func:`periodic_orbit` (one orbit at a fixed
parameter) and :func:`neurodyn.continuation.continue_periodic_orbits` (the family in the parameter) both
correct with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch.func import jvp

from neurodyn import _linalg
from neurodyn._checks import positive_int
from neurodyn._compat import renamed
from neurodyn.continuation.hopf import HopfPoint, critical_rates, equilibrium, parametrised_field
from neurodyn.errors import ConvergenceError, InvalidInputError
from neurodyn.integrate import RK4, rk_step
from neurodyn.numerics import newton
from neurodyn.results import Result, Status, finish
from neurodyn.systems.protocol import Flow


@dataclass(frozen=True, eq=False)
class PeriodicOrbit(Result):
    """A periodic orbit ``x(t + T) = x(t)`` of a flow at ``param = value``.

    Attributes:
        x0: ``(n,)`` a point on the orbit. period: ``T`` (time units). orbit: ``(steps_per_period + 1, n)`` one
            period.
        amplitude: ``max_t |x(t) - x_eq|`` from the equilibrium the orbit surrounds (state units).
        multipliers: ``(n,)`` Floquet multipliers (eigenvalues of the monodromy matrix), by decreasing modulus
            apart from the trivial one (``~1``, the direction of the flow) which comes first.
        stable: all non-trivial multipliers inside the unit circle. residual: ``|phi_T(x0) - x0|``.
        status: ``Status.CONVERGED`` when shooting met ``tol``; ``Status.FAILED`` otherwise (then ``x0``,
            ``period``, ``orbit`` and ``amplitude`` describe the last Newton iterate, not an orbit).
    """

    param: str
    value: float
    x0: torch.Tensor
    period: float
    orbit: torch.Tensor
    amplitude: float
    multipliers: torch.Tensor
    stable: bool
    residual: float
    status: Status = Status.CONVERGED
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        others = self.multipliers[1:].abs()
        top = f"{float(others.max()):.4g}" if len(others) else "-"
        return (f"PeriodicOrbit({self.param} = {self.value:.6g}: period {self.period:.6g}, amplitude "
                f"{self.amplitude:.4g}, largest non-trivial |multiplier| {top}, "
                f"{'stable' if self.stable else 'unstable'}, status={self.status.value!r})")

    def plot(self, ax=None, *, dims: tuple[int, int] = (0, 1)):
        """The orbit projected on two coordinates. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        o = self.orbit
        ax.plot(o[:, dims[0]], o[:, dims[1]], color="C1" if self.stable else "C3",
                ls="-" if self.stable else "--")
        ax.set_xlabel(f"x{dims[0] + 1}")
        ax.set_ylabel(f"x{dims[1] + 1}")
        ax.set_title(f"Periodic orbit at {self.param} = {self.value:.4g}, T = {self.period:.4g}", fontsize=10)
        return ax


@dataclass(frozen=True)
class Shot:
    """One period of the RK4 flow map ``phi`` from ``x0`` and its exact derivatives (of the discrete map)."""

    end: torch.Tensor  # (n,) phi(x0; T, alpha)
    M: torch.Tensor  # (n, n) d phi / d x0, the monodromy matrix
    dT: torch.Tensor  # (n,) d phi / d T
    da: torch.Tensor  # (n,) d phi / d alpha
    path: torch.Tensor  # (steps + 1, n) the states after each step


def shoot(G, x0: torch.Tensor, T: float, a: torch.Tensor, steps: int) -> Shot:
    """Integrate ``dx/dt = G(x, a)`` over ``[0, T]`` with ``steps`` steps of :data:`neurodyn.integrate.RK4` (the
    integrator's own :func:`~neurodyn.integrate.rk_step`) and differentiate the result.

    The state is integrated first, keeping the stage points; then the Jacobians ``dG/dx`` and ``dG/da`` at all
    stage points come from two batched forward-mode products (``torch.func.jvp``), each step's derivative
    with respect to ``(x, a, h)`` is assembled from the tableau for all steps at once, and the product of the
    step derivatives is taken pairwise. This is the RK4 scheme applied to the variational equation (the same
    numbers as integrating it alongside the state) at the cost of one field evaluation per stage.
    """
    n = len(x0)
    s = RK4.stages
    A = [[float(v) for v in row] for row in RK4.a]
    b = [float(v) for v in RK4.b]
    h = float(T) / steps
    points, slopes = [], []

    def field(t, y):  # records each stage's point and slope for the derivative
        points.append(y[0])
        slopes.append(G(y[0], a))
        return (slopes[-1],)

    y, path = x0, [x0]
    with torch.no_grad():
        for _ in range(steps):
            (y,) = rk_step(RK4, field, 0.0, (y,), h)
            path.append(y)
    X, K = torch.stack(points), torch.stack(slopes)
    d = n + 2  # derivatives with respect to (x, a, h)
    total = torch.eye(d, dtype=x0.dtype, device=x0.device)
    chunk = max(1, (1 << 22) // (s * n * n))
    for c0 in range(0, steps, chunk):
        rows = slice(c0 * s, min(steps, c0 + chunk) * s)
        total = _chain(_step_derivatives(G, X[rows], K[rows], a, h, A, b)) @ total
    return Shot(end=y, M=total[:n, :n], dT=total[:n, n + 1] / steps, da=total[:n, n], path=torch.stack(path))


def _step_derivatives(G, X, K, a, h, A, b):
    """``(m, n + 2, n + 2)``: the derivative of each of ``m`` RK steps with respect to ``(x, a, h)`` (the last two
    carried unchanged), from the stage points ``X`` and slopes ``K`` ``(m * stages, n)``."""
    s, n = len(b), X.shape[-1]
    eye = torch.eye(n, dtype=X.dtype, device=X.device)
    frames = eye.expand(len(X), n, n)
    JT = jvp(lambda y: G(y, a), (X[:, None, :].expand(len(X), n, n).contiguous(),), (frames.contiguous(),))[1]
    J = JT.transpose(-1, -2).reshape(-1, s, n, n)
    g = jvp(lambda c: G(X, c), (a,), (torch.ones_like(a),))[1].reshape(-1, s, n)
    K = K.reshape(-1, s, n)
    m = len(K)
    E = torch.zeros(n, n + 2, dtype=X.dtype, device=X.device)
    E[:, :n] = eye
    ea = torch.zeros(n + 2, dtype=X.dtype, device=X.device)
    eh = ea.clone()
    ea[n], eh[n + 1] = 1.0, 1.0
    dk: list[torch.Tensor] = []
    for i in range(s):
        ds = E.expand(m, n, n + 2)
        for j, aij in enumerate(A[i]):
            if aij:
                ds = ds + aij * (K[:, j, :, None] * eh + h * dk[j])
        dk.append(J[:, i] @ ds + g[:, i, :, None] * ea)
    top = E.expand(m, n, n + 2)
    for i, bi in enumerate(b):
        top = top + bi * (K[:, i, :, None] * eh + h * dk[i])
    return torch.cat([top, torch.stack([ea, eh]).expand(m, 2, n + 2)], dim=1)


def _chain(S: torch.Tensor) -> torch.Tensor:
    """``S[m-1] @ ... @ S[0]`` by pairwise products."""
    eye = torch.eye(S.shape[-1], dtype=S.dtype, device=S.device)
    while len(S) > 1:
        if len(S) % 2:
            S = torch.cat([S, eye[None]])
        S = S[1::2] @ S[0::2]
    return S[0]


@dataclass(frozen=True)
class OrbitSummary:
    """What is kept of an orbit: multipliers, stability and size."""

    multipliers: torch.Tensor  # (n,) trivial first, then by decreasing modulus
    stable: bool
    centre: torch.Tensor  # (n,) the equilibrium inside the orbit (or the orbit's mean)
    amplitude: float  # max_t |x(t) - centre|
    max_norm: float  # max_t |x(t)|
    minima: torch.Tensor  # (n,)
    maxima: torch.Tensor  # (n,)


def summarise(G, shot: Shot, a: torch.Tensor, centre: torch.Tensor, *, tol: float, maxiter: int) -> OrbitSummary:
    """Floquet multipliers (the trivial one, nearest 1, first), stability, and the orbit's size measured from
    the equilibrium it surrounds (Newton from ``centre``; the orbit's time mean when Newton fails)."""
    mult = _linalg.eigvals(shot.M)
    trivial = int(torch.argmin((mult - 1).abs()))
    rest = torch.cat([mult[:trivial], mult[trivial + 1:]])
    rest = rest[torch.argsort(rest.abs(), descending=True)]
    try:
        centre = equilibrium(G, centre, a, tol=tol, maxiter=maxiter, what="the orbit's centre")
    except ConvergenceError:
        centre = shot.path[:-1].mean(0)
    path = shot.path
    return OrbitSummary(multipliers=torch.cat([mult[trivial:trivial + 1], rest]), stable=bool((rest.abs() < 1).all()),
                        centre=centre, amplitude=float(torch.linalg.vector_norm(path - centre, dim=-1).max()),
                        max_norm=float(torch.linalg.vector_norm(path, dim=-1).max()), minima=path.min(0).values,
                        maxima=path.max(0).values)


def checked_hopf(system: Flow, hopf, param: str | None, caller: str):
    """The parametrised field ``G`` after checking that ``hopf`` is a :class:`HopfPoint` of ``system`` in ``param``
    (default ``hopf.param``) and that the normal form gives a predictor there."""
    if not isinstance(hopf, HopfPoint):
        raise InvalidInputError(f"hopf must be a HopfPoint (from find_hopf_points), got {type(hopf).__name__}")
    param = hopf.param if param is None else param
    if param != hopf.param:
        raise InvalidInputError(f"this HopfPoint was found in the parameter {hopf.param!r}, not {param!r}: find it "
                                f"with find_hopf_points(system, param={param!r}, ...)")
    G = parametrised_field(system, param, caller)
    if hopf.l1 == 0 or hopf.crossing == 0:
        raise InvalidInputError("a degenerate Hopf point (l1 = 0 or no crossing): the normal form gives no predictor")
    x = hopf.x.to(dtype=system.dtype, device=system.device)
    a = torch.tensor(hopf.value, dtype=system.dtype, device=system.device)
    q = hopf.q.to(device=system.device)
    Jq = jvp(lambda y: G(y, a), (x,), (q.real.to(x.dtype),))[1] + 1j * jvp(lambda y: G(y, a), (x,),
                                                                         (q.imag.to(x.dtype),))[1]
    scale = max(1.0, float(x.norm()))
    if float(G(x, a).norm()) > 1e-6 * scale or float((Jq - 1j * hopf.omega * q).abs().max()) > 1e-6 * max(
            1.0, hopf.omega):
        raise InvalidInputError(f"hopf ({hopf!r}) is not a Hopf point of {system.name!r} at its other parameter "
                                "values: find it with find_hopf_points on this system")
    return G


def normal_form_start(G, hopf: HopfPoint, at: float, dtype, device) -> tuple[torch.Tensor, float]:
    """The normal-form predictor of the orbit at ``param = at``: a point ``x* + 2 rho Re(q)`` and its period.

    On the centre manifold ``w' = (mu + i omega) w + c1 w |w|^2`` with ``mu = (d mu/d alpha) (at - alpha*)`` to
    first order, the cycle has ``rho^2 = |w|^2 = -Re mu / Re c1``, i.e. ``rho^2 = -crossing (at - alpha*) /
    (omega l1)`` in Kuznetsov's normalisation ``l1 = Re c1 / omega``, and the angular frequency
    ``omega + Im mu + Im(c1) rho^2`` (Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., 3.5 and 5.4)."""
    rho2 = -hopf.crossing * (float(at) - hopf.value) / (hopf.omega * hopf.l1)
    if rho2 <= 0:
        raise InvalidInputError(f"no small periodic orbit at {hopf.param} = {at}: with l1 = {hopf.l1:.3g} and crossing "
                                f"speed {hopf.crossing:.3g} it exists on the other side of {hopf.value:.6g}")
    x = hopf.x.to(dtype=dtype, device=device)
    q = hopf.q.to(device=device)
    _, _, c1, dmu = critical_rates(G, x, torch.tensor(hopf.value, dtype=dtype, device=device), q, hopf.omega)
    frequency = hopf.omega + dmu.imag * (float(at) - hopf.value) + c1.imag * rho2
    if not frequency > 0.5 * hopf.omega:  # beyond the normal form's reach: keep the linear frequency
        frequency = hopf.omega
    return x + 2 * math.sqrt(rho2) * q.real.to(dtype=dtype), 2 * math.pi / frequency


@dataclass(frozen=True)
class Shooting:
    """The outcome of :func:`shoot_at`: the last evaluated ``(x0, period)``, its integration, residual and whether
    Newton met the tolerance."""

    x0: torch.Tensor
    period: float
    shot: Shot
    residual: float
    converged: bool


def shoot_at(G, guess: torch.Tensor, T: float, a: torch.Tensor, *, steps: int, tol: float, maxiter: int) -> Shooting:
    """Newton (:func:`neurodyn.continuation.numerics.newton`) on ``phi_T(x0) - x0 = 0``,
    ``f(guess) . (x0 - guess) = 0`` in ``(x0, T)`` at fixed ``a``. Iterates whose period falls below half the guess
    count as failure (``T -> 0`` solves the equations trivially)."""
    n = len(guess)
    T_min = 0.5 * T
    normal = G(guess, a)
    eye = torch.eye(n, dtype=guess.dtype, device=guess.device)

    def residual(z):
        shot = shoot(G, z[:n], float(z[n]), a, steps)
        return torch.cat([shot.end - z[:n], (normal @ (z[:n] - guess))[None]]), shot

    def jacobian(z, shot):
        return torch.cat([torch.cat([shot.M - eye, shot.dT[:, None]], 1),
                          torch.cat([normal, normal.new_zeros(1)])[None]])

    out = newton(residual, jacobian, torch.cat([guess, guess.new_tensor([T])]), tol=tol, maxiter=maxiter,
                 admissible=lambda z: float(z[n]) > T_min)
    return Shooting(x0=out.z[:n], period=float(out.z[n]), shot=out.context, residual=out.residual,
                    converged=out.converged)


def periodic_orbit(system: Flow, hopf: HopfPoint, *, at: float, steps_per_period: int | None = None,
                   tol: float = 1e-10, maxiter: int = 30, strict: bool | None = None,
                   steps: int | None = None) -> PeriodicOrbit:
    """The periodic orbit born at ``hopf``, at ``param = at`` (on the side where it exists: where the equilibrium
    is unstable for a supercritical Hopf point, stable for a subcritical one).

    Predictor from the normal form: ``x(t) ~ x* + 2 Re(rho q e^{i omega t})`` with
    ``rho^2 = -crossing (at - alpha*) / (omega l1)`` (``l1 = Re c1 / omega``, Kuznetsov's normalisation) and period
    ``2 pi / omega``. Corrector: single shooting, Newton on ``phi_T(x0) - x0 = 0`` with the phase condition
    ``f(x_guess) . (x0 - x_guess) = 0``, the monodromy matrix ``D phi_T`` from the RK4 scheme's own derivative
    (:func:`shoot`, ``steps`` steps per period). The Floquet multipliers are the eigenvalues of the monodromy
    matrix; one of them is 1 (to the scheme's accuracy, ``O((T/steps)^4)``). The field must not depend on time.

    Args:
        system: a :class:`neurodyn.Flow` (autonomous). hopf: a :class:`HopfPoint` of it. at: the parameter value.
        steps_per_period: RK4 steps per period (default 1000; ``steps=`` is its deprecated old name). tol: Newton
            tolerance on the shooting residual (1e-10).
        maxiter: Newton iterations (30). strict: ``True``/``None`` (default) raise instead of returning a failed
        orbit; ``False`` returns it.

    Returns:
        :class:`PeriodicOrbit` with ``status`` ``"converged"``, or (``strict=False``) ``"failed"`` when Newton
        stops above ``tol``.

    Raises:
        ConvergenceError: unless ``strict=False``, when shooting does not converge (the partial result rides on it).

    See also:
        :func:`neurodyn.continue_periodic_orbits` for the whole family of orbits.
    """
    steps = renamed("periodic_orbit", "steps", steps, "steps_per_period", steps_per_period, default=1000)
    G = checked_hopf(system, hopf, None, "periodic_orbit")
    steps = positive_int(steps, name="steps_per_period")
    maxiter = positive_int(maxiter, name="maxiter")
    dtype, dev = system.dtype, system.device
    guess, T = normal_form_start(G, hopf, at, dtype, dev)
    a = torch.tensor(float(at), dtype=dtype, device=dev)
    system.probe(guess)
    out = shoot_at(G, guess, T, a, steps=steps, tol=tol, maxiter=maxiter)
    resid = out.residual
    summary = summarise(G, out.shot, a, hopf.x.to(dtype=dtype, device=dev), tol=tol, maxiter=maxiter)
    orbit = PeriodicOrbit(param=hopf.param, value=float(at), x0=out.x0.detach().cpu(), period=out.period,
                          orbit=out.shot.path.detach().cpu(), amplitude=summary.amplitude,
                          multipliers=summary.multipliers.detach().cpu(), stable=summary.stable, residual=resid,
                          status=Status.CONVERGED if out.converged else Status.FAILED,
                          settings=dict(steps_per_period=steps, tol=tol, maxiter=maxiter))
    return finish(orbit, strict=strict, what=f"shooting for the periodic orbit at {hopf.param} = {at} (residual "
                                             f"{resid:.2g} > tol = {tol:g} after {maxiter} Newton steps)")
