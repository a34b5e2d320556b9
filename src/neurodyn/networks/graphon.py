"""Graphons ``W: [0, 1]^2 -> R``: sampled graphs of size N and the integral operator's leading eigenvalue.

A graphon is the limit object of dense graph sequences; node ``i`` of a size-N sample sits at
``y_i = (i - 1/2) / N``. The deterministic sample is the weighted graph ``A_ij = W(y_i, y_j)``; the random one is
the W-random graph with independent edges ``P(i ~ j) = W(y_i, y_j)`` (symmetric, no self-loops).
Reference: L. Lovász, *Large Networks and Graph Limits* (AMS, 2012), ch. 7 and 10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from neurodyn._checks import positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.networks.graphs import DenseGraph, SparseGraph


def node_positions(n: int, *, dtype=torch.float64) -> torch.Tensor:
    """Node positions ``y_i = (i - 1/2) / n``, ``i = 1..n``, in [0, 1]: ``(n,)``."""
    return (torch.arange(n, dtype=dtype) + 0.5) / n


@dataclass(frozen=True)
class Graphon:
    """A graphon ``W(x, y)``, batched over broadcastable tensors of positions in [0, 1].

    Args:
        W: ``(x, y) -> W(x, y)`` elementwise with broadcasting (torch operations).
        name: label used in messages.
    """

    W: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    name: str = "W"

    def __post_init__(self):
        if not callable(self.W):
            raise InvalidInputError(f"the graphon W must be callable W(x, y), got {type(self.W).__name__}")

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``W(x[:, None], y[None, :])``: ``(len(x), len(y))``, checked finite."""
        out = self.W(x.unsqueeze(-1), y.unsqueeze(0))
        if not isinstance(out, torch.Tensor):
            raise InvalidInputError(f"the graphon {self.name!r} returned {type(out).__name__}, not a torch tensor")
        try:
            out = out.to(x.dtype).expand(len(x), len(y))
        except RuntimeError as exc:
            raise InvalidInputError(f"the graphon {self.name!r} returned shape {tuple(out.shape)} for positions "
                                    f"({len(x)}, 1) and (1, {len(y)}); it must work elementwise with "
                                    "broadcasting") from exc
        if not bool(torch.isfinite(out).all()):
            bad = int((~torch.isfinite(out)).sum())
            raise NonFiniteError(f"the graphon {self.name!r} returned {bad} non-finite value(s) on [0, 1]^2; a "
                                 "graphon must be finite (bounded) everywhere on the unit square")
        return out

    def sample(self, n: int, *, random: bool = False, generator: torch.Generator | None = None,
               sparse: bool = False) -> DenseGraph | SparseGraph:
        """A graph of ``n`` nodes at ``y_i = (i - 1/2)/n``.

        Args:
            n: number of nodes.
            random: ``False`` (default): the weighted graph ``A_ij = W(y_i, y_j)``; ``True``: the symmetric
                W-random graph, edge ``{i, j}`` (``i < j``) present with probability ``W(y_i, y_j)``, which
                must lie in [0, 1] and be symmetric.
            generator: the ``torch.Generator`` the random graph is drawn with (required when ``random``).
            sparse: return a :class:`SparseGraph` instead of a :class:`DenseGraph`.
        """
        n = positive_int(n, name="the sample size n")
        y = node_positions(n)
        A = self.evaluate(y, y)
        if random:
            A = self._bernoulli(A, generator)
        return SparseGraph.from_dense(A) if sparse else DenseGraph(A)

    def _bernoulli(self, P: torch.Tensor, generator) -> torch.Tensor:
        if not isinstance(generator, torch.Generator):
            raise InvalidInputError("a random graphon sample needs generator=torch.Generator().manual_seed(...)")
        if bool((P < 0).any()) or bool((P > 1).any()):
            raise InvalidInputError(f"the graphon {self.name!r} takes values outside [0, 1] (min {float(P.min()):g}, "
                                    f"max {float(P.max()):g}); edge probabilities must lie in [0, 1]")
        if not torch.allclose(P, P.T, rtol=0, atol=1e-14):
            raise InvalidInputError(f"the graphon {self.name!r} is not symmetric; the random sample draws undirected "
                                    "edges")
        upper = torch.triu(torch.rand(P.shape, generator=generator, dtype=P.dtype) < P, diagonal=1)
        return (upper | upper.T).to(P.dtype)

    def leading_eigenvalue(self, *, nodes: int = 200) -> float:
        """Largest eigenvalue ``lambda_max`` of the integral operator ``(T f)(x) = int_0^1 W(x, y) f(y) dy`` of a
        symmetric, nonnegative graphon.

        Nyström's method with Gauss–Legendre quadrature (``nodes`` points on [0, 1]): the eigenvalues of the
        symmetric matrix ``sqrt(w_i) W(x_i, x_j) sqrt(w_j)``; exponentially accurate for analytic ``W``
        (E. J. Nyström 1930; Atkinson, *The Numerical Solution of Integral Equations of the Second Kind*, §3.1).
        """
        nodes = positive_int(nodes, name="nodes")
        t, w = np.polynomial.legendre.leggauss(nodes)
        x = torch.as_tensor((t + 1) / 2, dtype=torch.float64)
        sw = torch.as_tensor(np.sqrt(w / 2), dtype=torch.float64)
        Wx = self.evaluate(x, x)
        if bool((Wx < 0).any()):
            raise InvalidInputError(f"the graphon {self.name!r} has negative values; the critical-coupling formula "
                                    "needs a nonnegative graphon")
        if not torch.allclose(Wx, Wx.T, rtol=0, atol=1e-12):
            raise InvalidInputError(f"the graphon {self.name!r} is not symmetric; lambda_max is defined here for "
                                    "symmetric graphons")
        return float(torch.linalg.eigvalsh(sw[:, None] * Wx * sw[None, :])[-1])


def constant_graphon(p: float) -> Graphon:
    """The constant graphon ``W = p`` (Erdős–Rényi ``G(N, p)`` when sampled at random)."""
    p = float(p)
    return Graphon(lambda x, y: torch.full(torch.broadcast_shapes(x.shape, y.shape), p, dtype=x.dtype),
                   name=f"W = {p:g}")
