"""The residual whose zeros are the fixed points, and its deflation."""

from __future__ import annotations

import torch

from neurodyn.systems.protocol import Map, System


class Residual:
    """``F(x) = step(x, u*) - x`` (map) or ``field(t, x)`` (flow) and its Jacobian, batched over rows of x.

    ``solve`` / ``solve_with_jacobian`` give the residual the solver iterates on: the system's own
    better-conditioned equivalent when it has one (a GRU's ``n(x, h) - h``, same zeros), else ``F``;
    ``norm`` is always the true ``|F(x)|``, against which roots are judged.
    """

    def __init__(self, system: System, c):
        self.system, self.c = system, c
        self.is_map = isinstance(system, Map)
        self.reduced = self.is_map and system.fixed_point_residual is not None

    def input_for(self, x):
        """The constant input of a driven map for the states ``x (..., n)`` (``None`` otherwise)."""
        if self.is_map and self.c is not None:
            return self.c.expand(*x.shape[:-1], self.c.shape[-1])
        return self.c

    def __call__(self, x):
        out = self.system.f(x, self.input_for(x))
        return out - x if self.is_map else out

    def with_jacobian(self, x):
        J = self.system.jacobian(x, self.input_for(x))
        if self.is_map and self.system.fresh_jacobian:
            J.diagonal(dim1=-2, dim2=-1).sub_(1)
        elif self.is_map:
            J = J - torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)
        return self(x), J

    def solve(self, x):
        return self.system.fixed_point_residual(x, self.input_for(x), False) if self.reduced else self(x)

    def solve_with_jacobian(self, x):
        return self.system.fixed_point_residual(x, self.input_for(x), True) if self.reduced else self.with_jacobian(x)

    def norm(self, x, G=None):
        return torch.linalg.vector_norm(self(x) if self.reduced or G is None else G, dim=-1)


class Deflated:
    """Deflation (Farrell, Birkisson & Funke 2015, SIAM J. Sci. Comput. 37, A2026): solve
    ``G(x) = M(x) R(x)`` with ``M(x) = prod_i ((s / |x - r_i|)^2 + 1)`` so known roots ``r_i`` repel the
    iteration; ``G`` has the same other roots as the residual ``R``. ``s`` is the state scale."""

    def __init__(self, base: Residual, roots: torch.Tensor, scale: float):
        self.base, self.roots, self.scale = base, roots, scale

    def _log_m(self, x):
        diff = x.unsqueeze(-2) - self.roots  # (b, R, n)
        d2 = (diff * diff).sum(-1).clamp_min(1e-300) / self.scale**2
        w = 1 / d2 + 1
        grad = ((-2 / (d2 * d2 * w)).unsqueeze(-1) * diff).sum(-2) / self.scale**2
        return torch.log(w).sum(-1), grad

    def __call__(self, x):
        log_m, _ = self._log_m(x)
        return torch.exp(log_m).unsqueeze(-1) * self.base.solve(x)

    def with_jacobian(self, x):
        R, J = self.base.solve_with_jacobian(x)
        log_m, grad = self._log_m(x)
        m = torch.exp(log_m)
        return m.unsqueeze(-1) * R, m[:, None, None] * (J + R.unsqueeze(-1) * grad.unsqueeze(-2))

    def residual(self, x, G):  # the undeflated residual |F(x)| (G itself may overflow near a known root)
        return self.base.norm(x)
