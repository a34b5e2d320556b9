"""The slow/fast split of a flow near given states: bases, the slow manifold and the reduced system."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status, to_jsonable
from neurodyn.slowfast.chart import Chart, invariant_bases, solve_fast
from neurodyn.slowfast.reduced import reduced_flow
from neurodyn.slowfast.scales import MAX_EPS, check_flow, time_scales
from neurodyn.systems.protocol import Flow


@dataclass(frozen=True, eq=False)
class SlowFastSplit(Result):
    """A flow's slow/fast split near a set of states (returned by :func:`slow_fast`).

    Coordinates: ``x = origin + slow_basis z + fast_basis w``; ``slow_dual``, ``fast_dual`` are the rows of the
    inverse (``z = slow_dual (x - origin)``).

    Attributes:
        origin: ``(n,)`` the state at which the bases were computed (the first of ``states``).
        slow_basis: ``(n, k)`` orthonormal basis of the Jacobian's slow invariant subspace at ``origin``.
        fast_basis: ``(n, m)`` orthonormal basis of its fast invariant subspace. slow_dual, fast_dual: ``(k, n)``,
            ``(m, n)`` the dual bases.
        n_fast: ``m``, the number of fast modes. order: 0 or 1 (see :func:`slow_fast`).
        eigenvalues: ``(n,)`` at ``origin``, by decreasing real part; eps: ``(B,)`` the time-scale ratio of the
            split at each state, ``fast_rate``: the slowest fast rate ``-Re l_{k+1}`` at ``origin``.
        separated: ``(B,)`` where ``eps <= max_eps``.
        states: ``(B, n)``; manifold: ``(B, n)`` the slow-manifold points with the states' slow coordinates;
            manifold_residual: ``(B,)`` the condition's residual there; on_manifold: ``(B,)`` whether Newton
            converged.
        status: ``"ok"``, ``"gap closes"`` (separated at some states only) or ``"failed"`` (the slow manifold
            could not be solved at some states).
    """

    origin: torch.Tensor
    slow_basis: torch.Tensor
    fast_basis: torch.Tensor
    slow_dual: torch.Tensor
    fast_dual: torch.Tensor
    n_fast: int
    order: int
    eigenvalues: torch.Tensor
    eps: torch.Tensor
    fast_rate: float
    separated: torch.Tensor
    states: torch.Tensor
    manifold: torch.Tensor
    manifold_residual: torch.Tensor
    on_manifold: torch.Tensor
    max_eps: float
    status: Status
    system_name: str
    settings: dict = field(default_factory=dict)
    system: Flow | None = field(default=None, repr=False)  # the full system (not serialised)

    @property
    def n_slow(self) -> int:
        return self.slow_basis.shape[1]

    @property
    def chart(self) -> Chart:
        return Chart(origin=self.origin, A=torch.cat((self.slow_basis, self.fast_basis), dim=1),
                     B=torch.cat((self.slow_dual, self.fast_dual), dim=0), n_slow=self.n_slow)

    def slow_coordinates(self, x) -> torch.Tensor:
        """``z = slow_dual (x - origin)``, ``(..., k)``."""
        return (torch.as_tensor(x, dtype=self.origin.dtype) - self.origin) @ self.slow_dual.T

    def manifold_point(self, z) -> torch.Tensor:
        """The slow-manifold points ``(B, n)`` with slow coordinates ``z (B, k)`` (Newton on the condition)."""
        from neurodyn.slowfast.reduced import ManifoldMap

        z = torch.as_tensor(z, dtype=self.origin.dtype).reshape(-1, self.n_slow)
        x, _ = ManifoldMap(self.system, self.chart, self.order).at(self.system, z)
        return x.detach()

    def reduced(self) -> Flow:
        """The reduced slow system ``dz/dt = slow_dual f(M(z))`` on the slow coordinates, a :class:`~neurodyn.Flow`.

        ``M(z)`` is the slow-manifold point (Newton on the manifold condition at each evaluation). It has the
        full system's parameters (so :func:`~neurodyn.continue_equilibria` can vary them), an analytic Jacobian
        (by the implicit function theorem; exact at equilibria, where its eigenvalues are the full Jacobian's
        slow ones) and samples initial states among the split's states. Its equilibria ``z*`` give equilibria
        ``M(z*)`` of the full system. Derivatives of its field come from one differentiable Newton step with the
        fast basis held fixed: first derivatives are those of the Jacobian above, but second and third ones
        (Hopf normal-form coefficients) are not the reduced field's own.
        """
        z = self.slow_coordinates(self.manifold).detach()
        return reduced_flow(self.system, self.chart, self.order, sample=z, name=f"reduced {self.system_name}")

    def error(self, t: float, **kwargs):
        """Reduced against full trajectories over ``[0, t]``; see :func:`neurodyn.slowfast.reduction_error`."""
        from neurodyn.slowfast.error import reduction_error

        return reduction_error(self, t, **kwargs)

    def decide(self, T: float, **kwargs):
        """Frozen-slow / fast-as-noise decision on the time scale ``T``; see :func:`neurodyn.slowfast.decide`."""
        from neurodyn.slowfast.decision import decide

        return decide(self, T, **kwargs)

    def to_dict(self) -> dict:
        """As :meth:`Result.to_dict`, without the system object (its name is ``system_name``), plus ``n_slow``."""
        out = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            if f.name != "system":
                out[f.name] = to_jsonable(getattr(self, f.name))
        out["n_slow"] = self.n_slow
        return out

    def plot(self, ax=None):
        """The states and their slow-manifold points in the plane of the first slow and first fast coordinate.
        Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        zs, ws = self.chart.coords(self.states)
        zm, wm = self.chart.coords(self.manifold)
        order = torch.argsort(zm[:, 0])
        ax.plot(zm[order, 0].numpy(), wm[order, 0].numpy(), "-o", color="tab:blue", ms=3, label="slow manifold")
        ax.plot(zs[:, 0].numpy(), ws[:, 0].numpy(), "x", color="tab:red", ms=4, label="states")
        ax.set_xlabel("slow coordinate z1")
        ax.set_ylabel("fast coordinate w1")
        ax.legend(fontsize=8)
        ax.set_title(f"slow manifold of {self.system_name} (order {self.order}, {self.n_fast} fast)", fontsize=10)
        return ax


def slow_fast(system: Flow, states, *, n_fast: int | None = None, order: int = 1,
              max_eps: float = MAX_EPS) -> SlowFastSplit:
    """Split ``dx/dt = f(x)`` near ``states`` into slow and fast parts: bases, slow manifold, reduced system.

    1. Time scales (:func:`time_scales`) at the states; the split keeps the ``n_fast`` modes with the most
       negative real parts as fast (default: the largest gap shared by the states).
    2. Bases at the first state (the chart's origin): the slow and the fast invariant subspaces of the
       Jacobian from its real Schur form with reordering (not eigenvectors, which are ill-conditioned for
       non-normal Jacobians); slow coordinates ``z``, fast ``w``.
    3. The slow manifold near the states: for each state's ``z``, the fast coordinates ``w`` solving the
       condition ``f_fast = 0`` by damped Newton. ``order = 0``: ``f_fast`` is the fast component in the fixed
       chart basis (the linear CSP projection; manifold error ``O(eps)``). ``order = 1``: the fast basis is
       refined at each point by CSP iteration to the left fast invariant subspace of the local Jacobian (the
       ILDM condition of Maas & Pope; error ``O(eps^2)``). Davis–Skodje shows both orders (the tests).
       Higher orders need the basis' time derivative and are not provided.

    Args:
        system: a :class:`~neurodyn.Flow` (analytic or autodiff Jacobian).
        states: ``(B, n)`` states near which to split (a trajectory, a batch; the first is the origin).
        n_fast: the number of fast modes, ``1 <= n_fast < n`` (default: from the time scales).
        order: 0 or 1 (default 1). max_eps: the largest time-scale ratio that counts as a separation.

    Returns:
        :class:`SlowFastSplit`; ``.reduced()`` is the reduced :class:`~neurodyn.Flow`, ``.error(t)`` compares it
        with the full system, ``.decide(T)`` says what may be frozen or averaged on the time scale ``T``.

    Raises:
        InvalidInputError: no separation at the first state (``eps > max_eps`` for the split, or no split at
            all), an ``n_fast`` out of range or one that splits a complex-conjugate pair, bad states.
        ConvergenceError: the Schur reordering failed (eigenvalues too close to separate).

    See also:
        :func:`time_scales`, :func:`neurodyn.slowfast.reduction_error`, :func:`neurodyn.slowfast.decide`.
    """
    system = check_flow(system, "slow_fast")
    x = state_batch(states, n=system.dim, name="states", dtype=system.dtype, device=system.device)
    max_eps = positive_float(max_eps, name="max_eps")
    if order not in (0, 1):
        raise InvalidInputError(f"order must be 0 (fixed basis) or 1 (CSP-refined basis), got {order!r}")
    if n_fast is not None:
        n_fast = positive_int(n_fast, name="n_fast")
    scales = time_scales(system, x, n_fast=n_fast, max_eps=max_eps)
    if scales.n_fast == 0:
        raise InvalidInputError(f"{system.name!r} has no spectral gap at any of the {len(x)} states (status "
                                f"'no separation': smallest time-scale ratio {float(scales.best_eps.min()):.3g} > "
                                f"max_eps = {max_eps:g}); there is no slow/fast split to compute")
    if not bool(scales.separated[0]):
        raise InvalidInputError(f"the split with {scales.n_fast} fast modes is not separated at the first state of "
                                f"{system.name!r} (eps = {float(scales.eps[0]):.3g} > max_eps = {max_eps:g}); "
                                "start the states where the time scales separate, or choose another n_fast")
    m = scales.n_fast
    A = invariant_bases(system.jacobian(x[0]), m, repr(system.name))
    chart = Chart(origin=x[0].clone(), A=A, B=torch.linalg.inv(A), n_slow=system.dim - m)
    z, _ = chart.coords(x)
    sol = solve_fast(system, chart, z, order)
    manifold = chart.point(z, sol.y)
    status = Status.FAILED if not bool(sol.converged.all()) else (
        Status.OK if bool(scales.separated.all()) else Status.GAP_CLOSES)
    return SlowFastSplit(
        origin=chart.origin, slow_basis=chart.slow_basis, fast_basis=chart.fast_basis, slow_dual=chart.B[:-m],
        fast_dual=chart.B[-m:], n_fast=m, order=order, eigenvalues=scales.eigenvalues[0], eps=scales.eps,
        fast_rate=float(-scales.eigenvalues[0, -m].real), separated=scales.separated, states=x, manifold=manifold,
        manifold_residual=sol.residual, on_manifold=sol.converged, max_eps=max_eps, status=status,
        system_name=system.name, settings={"n_fast": n_fast, "order": order, "max_eps": max_eps,
                                           "basis_condition": float(torch.linalg.cond(A))}, system=system)
