"""The reduced slow system ``dz/dt = B_s f(M(z))`` on the slow manifold ``M``, as a :class:`~neurodyn.Flow`."""

from __future__ import annotations

import torch

from neurodyn.errors import ConvergenceError
from neurodyn.slowfast.chart import Chart, manifold_condition, solve_fast
from neurodyn.systems.protocol import Flow


class ManifoldMap:
    """``z -> M(z) = origin + A_s z + A_f w*(z)``, the slow-manifold point of slow coordinates ``z``, for a
    system at given parameter values. Differentiable in ``z`` (and in the parameters) by the implicit function
    theorem: ``w*`` is found by Newton without derivatives, then one more Newton step ``w* - C_w^{-1} C`` with
    ``C_w`` held fixed carries them (``dw/dz = -C_w^{-1} dC/dz``; the basis ``P`` is held fixed, which is exact
    where ``f = 0`` and otherwise drops a term of order ``|f_s| |dP/dz|``)."""

    def __init__(self, system, chart: Chart, order: int):
        self.system, self.chart, self.order = system, chart, order
        self._last: tuple[torch.Tensor, torch.Tensor] | None = None  # (z, w) of the previous solve: a warm start

    def _start(self, z: torch.Tensor) -> torch.Tensor | None:
        if self._last is None or self._last[0].shape != z.shape:
            return None
        return self._last[1]

    def at(self, system, z: torch.Tensor) -> tuple[torch.Tensor, object]:
        """``(x (B, n), condition)`` at slow coordinates ``z (B, k)``; raises if Newton fails."""
        sol = solve_fast(system, self.chart, z, self.order, self._start(z))
        if not bool(sol.converged.all()) and self._start(z) is not None:  # a bad warm start: from scratch
            sol = solve_fast(system, self.chart, z, self.order)
        if not bool(sol.converged.all()):
            bad = int((~sol.converged).sum())
            raise ConvergenceError(f"the slow manifold of {system.name!r} could not be solved at {bad} of "
                                   f"{len(z)} slow states (largest residual {float(sol.residual.max()):.3g}); "
                                   "the reduced system is not defined there (too far from the split's states?)")
        w = sol.y
        self._last = (z.detach(), w)
        x = self.chart.point(z, w)
        cond = manifold_condition(system, self.chart, x, self.order)
        w = w - torch.linalg.solve(cond.dC_dw, cond.C.unsqueeze(-1)).squeeze(-1)
        return self.chart.point(z, w), cond


def reduced_flow(system: Flow, chart: Chart, order: int, *, sample: torch.Tensor | None = None,
                 name: str | None = None) -> Flow:
    """The reduced system on the slow coordinates ``z`` of ``chart`` (see :meth:`SlowFastSplit.reduced`)."""
    manifold = ManifoldMap(system, chart, order)
    k = chart.n_slow
    B_s = chart.B[:k]

    def system_at(p):
        return system if p is None else system.with_params(**p)

    def flat(z):
        return z.reshape(-1, k)

    def field(t, z, p=None):
        sys_p = system_at(p)
        x, _ = manifold.at(sys_p, flat(z))
        return (sys_p.f(x, t) @ B_s.T).reshape(z.shape)

    def jacobian(t, z, p=None):
        sys_p = system_at(p)
        _, cond = manifold.at(sys_p, flat(z).detach())
        dw_dz = -torch.linalg.solve(cond.dC_dw, cond.dC_dz)
        Jh = cond.Jh
        J = Jh[..., :k, :k] + Jh[..., :k, k:] @ dw_dz
        return J.reshape(*z.shape, k)

    if system.params is None:
        def field_np(t, z):
            return field(t, z)

        def jacobian_np(t, z):
            return jacobian(t, z)

        fns = (field_np, jacobian_np)
    else:
        fns = (field, jacobian)

    def sample_state(batch, gen):
        if sample is None:
            return 0.1 * torch.randn(batch, k, generator=gen, dtype=system.dtype)
        idx = torch.randint(len(sample), (batch,), generator=gen)
        return sample[idx]

    return Flow(fns[0], k, jacobian=fns[1], params=system.params, name=name or f"reduced {system.name}",
                sample_state=sample_state, dtype=system.dtype, device=system.device)
