"""The extended systems of Hopf points and folds, defined once for any number of free parameters, with named
views of their unknowns.

A field ``G(x, *p)`` with ``k`` free parameters ``p`` has

- Hopf points where ``F(x, p) = 0``, ``J v = i omega v``, ``c^H v = 1`` (Govaerts 2000; Kuznetsov, Elements of
  Applied Bifurcation Theory, 10.2), ``2n + 2`` real equations in the ``3n + k + 1`` unknowns
  ``(x, p, Re v, Im v, omega)``: a point for ``k = 1``, a curve for ``k = 2``;
- folds (limit points) where ``F(x, p) = 0``, ``J v = 0``, ``c . v = 1``, ``2n + 1`` equations in the
  ``2n + k`` unknowns ``(x, p, v)``.

``c`` fixes the scale and phase of ``v``; a continuation takes the previous point's ``v``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import jvp


@dataclass(frozen=True)
class HopfUnknowns:
    """The unknowns ``z = (x, p, Re v, Im v, omega)`` of the extended Hopf system, by name (views into ``z``)."""

    x: torch.Tensor  # (n,) the equilibrium
    p: torch.Tensor  # (k,) the free parameters
    vr: torch.Tensor  # (n,) Re v
    vi: torch.Tensor  # (n,) Im v
    omega: torch.Tensor  # () the frequency

    @classmethod
    def of(cls, z: torch.Tensor, k: int) -> HopfUnknowns:
        """The view of ``z`` (length ``3n + k + 1``) with ``k`` free parameters."""
        n = (len(z) - k - 1) // 3
        return cls(x=z[:n], p=z[n:n + k], vr=z[n + k:2 * n + k], vi=z[2 * n + k:3 * n + k], omega=z[3 * n + k])

    @staticmethod
    def pack(x: torch.Tensor, p: torch.Tensor, v: torch.Tensor, omega: float) -> torch.Tensor:
        """``z`` from its parts (``v`` complex)."""
        return torch.cat([x, p.to(x.dtype), v.real.to(x.dtype), v.imag.to(x.dtype), x.new_tensor([omega])])

    @property
    def v(self) -> torch.Tensor:
        """``(n,)`` the complex eigenvector ``Re v + i Im v``."""
        return torch.complex(self.vr, self.vi)


@dataclass(frozen=True)
class FoldUnknowns:
    """The unknowns ``z = (x, p, v)`` of the extended fold system, by name (views into ``z``)."""

    x: torch.Tensor  # (n,) the equilibrium
    p: torch.Tensor  # (k,) the free parameters
    v: torch.Tensor  # (n,) the null vector of J

    @classmethod
    def of(cls, z: torch.Tensor, k: int) -> FoldUnknowns:
        n = (len(z) - k) // 2
        return cls(x=z[:n], p=z[n:n + k], v=z[n + k:])


def hopf_residual(G, z: torch.Tensor, c: torch.Tensor, k: int) -> torch.Tensor:
    """``(F(x, p), J vr + omega vi, J vi - omega vr, Re(c^H v) - 1, Im(c^H v))`` at ``z`` (``k`` parameters);
    ``J v`` by forward-mode products of ``G``, so ``torch.func`` differentiates it again."""
    u = HopfUnknowns.of(z, k)
    p = tuple(u.p)
    Jvr = jvp(lambda y: G(y, *p), (u.x,), (u.vr,))[1]
    Jvi = jvp(lambda y: G(y, *p), (u.x,), (u.vi,))[1]
    c_r, c_i = c.real, c.imag
    return torch.cat([G(u.x, *p), Jvr + u.omega * u.vi, Jvi - u.omega * u.vr,
                      torch.stack([c_r @ u.vr + c_i @ u.vi - 1, c_r @ u.vi - c_i @ u.vr])])


def fold_residual(G, z: torch.Tensor, c: torch.Tensor, k: int) -> torch.Tensor:
    """``(F(x, p), J v, c . v - 1)`` at ``z`` (``k`` parameters)."""
    u = FoldUnknowns.of(z, k)
    p = tuple(u.p)
    return torch.cat([G(u.x, *p), jvp(lambda y: G(y, *p), (u.x,), (u.v,))[1], (c @ u.v - 1)[None]])
