"""Periodic orbits born at a Hopf point: single shooting with the monodromy matrix, Floquet multipliers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_int
from neurodyn.continuation.hopf import HopfPoint
from neurodyn.errors import ConvergenceWarning, InvalidInputError
from neurodyn.integrate.variational import VariationalIntegrator
from neurodyn.results import Result
from neurodyn.systems.protocol import Flow


@dataclass(frozen=True, eq=False)
class PeriodicOrbit(Result):
    """A periodic orbit ``x(t + T) = x(t)`` of a flow at ``param = value``.

    Attributes:
        x0: ``(n,)`` a point on the orbit. period: ``T`` (time units). orbit: ``(steps + 1, n)`` one period.
        amplitude: ``max_t |x(t) - x_eq|`` from the equilibrium the orbit surrounds (state units).
        multipliers: ``(n,)`` Floquet multipliers (eigenvalues of the monodromy matrix), by decreasing modulus
            apart from the trivial one (``~1``, the direction of the flow) which comes first.
        stable: all non-trivial multipliers inside the unit circle. residual: ``|phi_T(x0) - x0|``.
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
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        others = self.multipliers[1:].abs()
        top = f"{float(others.max()):.4g}" if len(others) else "-"
        return (f"PeriodicOrbit({self.param} = {self.value:.6g}: period {self.period:.6g}, amplitude "
                f"{self.amplitude:.4g}, largest non-trivial |multiplier| {top}, "
                f"{'stable' if self.stable else 'unstable'})")

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


def periodic_orbit(system: Flow, hopf: HopfPoint, *, at: float, steps: int = 1000, tol: float = 1e-10,
                   maxiter: int = 30) -> PeriodicOrbit:
    """The periodic orbit born at ``hopf``, at ``param = at`` (on the side where it exists: where the equilibrium
    is unstable for a supercritical Hopf point, stable for a subcritical one).

    Predictor from the normal form: ``x(t) ~ x* + 2 Re(rho q e^{i omega t})`` with
    ``rho^2 = -crossing (at - alpha*) / l1`` and period ``2 pi / omega``. Corrector: single shooting, Newton on
    ``phi_T(x0) - x0 = 0`` with the phase condition ``f(x_guess) . (x0 - x_guess) = 0``, the monodromy matrix
    ``D phi_T`` integrated with the state (RK4, ``steps`` steps per period). The Floquet multipliers are the
    eigenvalues of the monodromy matrix; one of them is 1 (to the scheme's accuracy, ``O((T/steps)^4)``).

    Returns:
        :class:`PeriodicOrbit`.
    """
    if not isinstance(hopf, HopfPoint):
        raise InvalidInputError(f"hopf must be a HopfPoint (from find_hopf_points), got {type(hopf).__name__}")
    if hopf.l1 == 0 or hopf.crossing == 0:
        raise InvalidInputError("a degenerate Hopf point (l1 = 0 or no crossing): the normal form gives no predictor")
    rho2 = -hopf.crossing * (float(at) - hopf.value) / hopf.l1
    if rho2 <= 0:
        raise InvalidInputError(f"no small periodic orbit at {hopf.param} = {at}: with l1 = {hopf.l1:.3g} and crossing "
                                f"speed {hopf.crossing:.3g} it exists on the other side of {hopf.value:.6g}")
    steps, maxiter = positive_int(steps, name="steps"), positive_int(maxiter, name="maxiter")
    sys_a = system.with_params(**{hopf.param: float(at)})
    dtype, dev = sys_a.dtype, sys_a.device
    x_eq = hopf.x.to(dtype=dtype, device=dev)
    q = hopf.q.to(device=dev)
    guess = x_eq + 2 * math.sqrt(rho2) * q.real.to(dtype)
    x0, T = guess.clone(), 2 * math.pi / hopf.omega
    normal = sys_a.f(guess, 0.0)
    n = sys_a.dim
    eye = torch.eye(n, dtype=dtype, device=dev)

    def shoot(x, period):
        integ = VariationalIntegrator(sys_a, dt=period / steps, method="rk4")
        y, M, path = x[None], eye[None].clone(), [x]
        for i in range(steps):
            y, M = integ.advance(y, M, i)
            path.append(y[0])
        return y[0], M[0], torch.stack(path)

    for _ in range(maxiter):
        end, M, path = shoot(x0, T)
        R = torch.cat([end - x0, (normal @ (x0 - guess))[None]])
        if float(R.abs().max()) <= tol:
            break
        A = torch.zeros(n + 1, n + 1, dtype=dtype, device=dev)
        A[:n, :n] = M - eye
        A[:n, n] = sys_a.f(end, 0.0)
        A[n, :n] = normal
        d = torch.linalg.solve(A, -R)
        x0, T = x0 + d[:n], T + float(d[n])
    else:
        import warnings

        warnings.warn(f"shooting for the periodic orbit at {hopf.param} = {at} stopped after {maxiter} Newton steps "
                      f"with residual {float(R.abs().max()):.2g} > tol = {tol:g}", ConvergenceWarning, stacklevel=2)
    mult = torch.linalg.eigvals(M)
    trivial = int(torch.argmin((mult - 1).abs()))
    rest = torch.cat([mult[:trivial], mult[trivial + 1:]])
    rest = rest[torch.argsort(rest.abs(), descending=True)]
    multipliers = torch.cat([mult[trivial:trivial + 1], rest])
    # the equilibrium inside the orbit at this parameter (the Hopf equilibrium moved by Newton)
    for _ in range(maxiter):
        F = sys_a.f(x_eq, 0.0)
        if float(F.norm()) <= tol:
            break
        x_eq = x_eq - torch.linalg.solve(sys_a.jacobian(x_eq, 0.0), F)
    amplitude = float(torch.linalg.vector_norm(path - x_eq, dim=-1).max())
    return PeriodicOrbit(param=hopf.param, value=float(at), x0=x0.detach().cpu(), period=T,
                         orbit=path.detach().cpu(), amplitude=amplitude, multipliers=multipliers.detach().cpu(),
                         stable=bool((rest.abs() < 1).all()), residual=float(R.abs().max()),
                         settings=dict(steps=steps, tol=tol, maxiter=maxiter))
