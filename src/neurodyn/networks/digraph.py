"""Digraph measures: weighted directed networks given by each node's in-neighbourhood measure, their samples of
size N, and the node-slice particle graph of their Vlasov limit.

A digraph measure on the node space [0, 1] is a family of finite measures ``eta^x`` (the in-neighbourhood of node
``x``); the out-neighbourhood of node ``y`` is read off the same measure ``eta(dx, dy) = eta^x(dy) dx`` along
``y``. Here ``eta^x(dy) = W(x, y) dy + sum_k a_k(x) delta_{T_k(x)}(dy)``: a directed (not necessarily symmetric)
density, as a graphon, plus point masses that make node ``x`` listen to node ``T_k(x)`` with weight ``a_k(x)`` —
a sparse directed link that keeps its weight as N grows, which no graphon can carry. The Vlasov equation on it
(Kuehn & Xu, "Vlasov equations on digraph measures", J. Differential Equations 339, 261, 2022) is

    d/dt mu_t^x + div( mu_t^x ( f(phi, omega) + int int g(phi, psi) dmu_t^y(psi) deta^x(y) ) ) = 0,

for the distribution ``mu_t^x`` of the state at node ``x``. A network of N nodes at ``y_i = (i - 1/2)/N`` samples
``eta`` as ``A_ij / N = eta^{y_i}(I_j)`` on the cells ``I_j = [(j-1)/N, j/N)`` (density at the midpoints); the
particle method of the Vlasov equation puts P particles on each of M node slices (:meth:`particle_graph`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.networks.graphon import Graphon, node_positions
from neurodyn.networks.graphs import BlockGraph, DenseGraph, SparseGraph


@dataclass(frozen=True)
class Atom:
    """A point mass ``a(x) delta_{T(x)}`` in the in-neighbourhood of every node ``x``.

    Args:
        weight: ``a``, a number >= 0 or a batched function ``x -> a(x) >= 0`` (torch operations).
        target: ``T``, a batched function ``x -> T(x)`` in [0, 1] (e.g. ``lambda x: (x + 1/3) % 1``).
    """

    weight: float | Callable[[torch.Tensor], torch.Tensor]
    target: Callable[[torch.Tensor], torch.Tensor]

    def evaluate(self, x: torch.Tensor, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a(x), T(x))`` at positions ``x``, checked finite, ``a >= 0`` and ``T`` in [0, 1]."""
        a = self.weight(x) if callable(self.weight) else torch.full_like(x, float(self.weight))
        T = self.target(x) if callable(self.target) else None
        if not isinstance(a, torch.Tensor) or not isinstance(T, torch.Tensor):
            raise InvalidInputError(f"an atom of the digraph measure {name!r} needs a weight (number or function of "
                                    "x) and a target function T(x) returning torch tensors")
        a, T = a.to(x.dtype).expand_as(x), T.to(x.dtype).expand_as(x)
        if not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(T).all())):
            raise NonFiniteError(f"an atom of the digraph measure {name!r} has non-finite weights or targets")
        if bool((a < 0).any()):
            raise InvalidInputError(f"an atom of the digraph measure {name!r} has negative weight "
                                    f"{float(a.min()):g}; the in-neighbourhood measures must be nonnegative")
        if bool((T < 0).any()) or bool((T > 1).any()):
            raise InvalidInputError(f"an atom of the digraph measure {name!r} targets positions outside [0, 1] "
                                    f"(min {float(T.min()):g}, max {float(T.max()):g}); wrap them, e.g. with % 1")
        return a, T


@dataclass(frozen=True)
class DigraphMeasure:
    """In-neighbourhood measures ``eta^x(dy) = W(x, y) dy + sum_k a_k(x) delta_{T_k(x)}(dy)`` on [0, 1].

    Args:
        density: ``W(x, y) >= 0``, batched over broadcastable tensors (directed: ``W(x, y)`` is the weight of
            ``y -> x``), or ``None`` for none.
        atoms: point masses (:class:`Atom`), each a sparse directed link per node.
        name: label used in messages.

    See also: :class:`~neurodyn.networks.Graphon` (symmetric dense limits), :class:`BlockGraph`.
    """

    density: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    atoms: tuple[Atom, ...] = ()
    name: str = "eta"

    def __post_init__(self):
        atoms = tuple(self.atoms) if isinstance(self.atoms, list | tuple) else (self.atoms,)
        if not all(isinstance(a, Atom) for a in atoms):
            raise InvalidInputError(f"the atoms of the digraph measure {self.name!r} must be Atom records")
        if self.density is not None and not callable(self.density):
            raise InvalidInputError(f"the density of the digraph measure {self.name!r} must be callable W(x, y)")
        if self.density is None and not atoms:
            raise InvalidInputError(f"the digraph measure {self.name!r} is empty; give a density, atoms or both")
        object.__setattr__(self, "atoms", atoms)

    def sample(self, n: int, *, random: bool = False, generator: torch.Generator | None = None
               ) -> DenseGraph | SparseGraph:
        """The weighted digraph on ``n`` nodes at ``y_i = (i - 1/2)/n``: ``A_ij = W(y_i, y_j) + n sum_k a_k(y_i)
        [T_k(y_i) in I_j]``, so that ``(1/n) sum_j A_ij h(y_j)`` approximates ``int h deta^{y_i}``. A
        :class:`SparseGraph` (O(n) edges per atom) without a density, else a :class:`DenseGraph`.

        With ``random=True`` the density part is the W-random digraph instead: each directed edge ``j -> i``
        (``i != j``) present independently with probability ``W(y_i, y_j)`` (which must lie in [0, 1]), drawn
        with ``generator`` (required); the atoms stay as they are.
        """
        n = positive_int(n, name="the sample size n")
        if random and not isinstance(generator, torch.Generator):
            raise InvalidInputError("a random digraph sample needs generator=torch.Generator().manual_seed(...)")
        y = node_positions(n)
        rows, cols, vals = [], [], []
        for atom in self.atoms:
            a, T = atom.evaluate(y, self.name)
            rows.append(torch.arange(n))
            cols.append((T * n).floor().long().clamp_(0, n - 1))
            vals.append(n * a)
        if self.density is None:
            idx = torch.stack((torch.cat(rows), torch.cat(cols)))
            return SparseGraph(torch.sparse_coo_tensor(idx, torch.cat(vals), (n, n), check_invariants=True))
        A = self._density_matrix(y)
        if random:
            if bool((A > 1).any()):
                raise InvalidInputError(f"the density of the digraph measure {self.name!r} exceeds 1 (max "
                                        f"{float(A.max()):g}); edge probabilities of a random sample must lie in "
                                        "[0, 1]")
            A = (torch.rand(A.shape, generator=generator, dtype=A.dtype) < A).to(A.dtype).fill_diagonal_(0.0)
        for r, c, v in zip(rows, cols, vals, strict=True):
            A.index_put_((r, c), v, accumulate=True)
        return DenseGraph(A)

    def _density_matrix(self, y: torch.Tensor) -> torch.Tensor:
        A = Graphon(self.density, name=self.name).evaluate(y, y).clone()
        if bool((A < 0).any()):
            raise InvalidInputError(f"the density of the digraph measure {self.name!r} has negative values (min "
                                    f"{float(A.min()):g}); in-neighbourhood measures must be nonnegative")
        return A

    def cell_matrix(self, slices: int) -> torch.Tensor:
        """``B_ml = M eta^{y_m}(I_l)`` on ``M = slices`` node slices (the dense form of ``sample(M)``): the slice
        weights of the Vlasov limit's particle method and of the Ott–Antonsen equation on slices."""
        g = self.sample(slices)
        return g.A if isinstance(g, DenseGraph) else g.A.to_dense()

    def particle_graph(self, slices: int, particles: int) -> BlockGraph:
        """The particle method of the Vlasov equation: ``particles`` particles on each of ``slices`` node slices,
        particle ``(m, p)`` weighting every particle of slice ``l`` by ``B_ml`` (:meth:`cell_matrix`)."""
        return BlockGraph(self.cell_matrix(slices), particles)

    def in_degree(self, x: torch.Tensor, *, nodes: int = 200) -> torch.Tensor:
        """Total in-weight ``eta^x([0, 1]) = int_0^1 W(x, y) dy + sum_k a_k(x)`` at positions ``x: (n,)``
        (Gauss–Legendre quadrature with ``nodes`` points in ``y``)."""
        import numpy as np

        x = as_tensor(x, name="x (node positions)", dtype=torch.float64, device="cpu").reshape(-1)
        if bool((x < 0).any()) or bool((x > 1).any()):
            raise InvalidInputError(f"in_degree of {self.name!r} takes node positions x in [0, 1], got values from "
                                    f"{float(x.min()):g} to {float(x.max()):g}")
        total = torch.zeros_like(x)
        if self.density is not None:
            t, w = np.polynomial.legendre.leggauss(positive_int(nodes, name="nodes"))
            yq = torch.as_tensor((t + 1) / 2, dtype=torch.float64)
            total += Graphon(self.density, name=self.name).evaluate(x, yq) @ torch.as_tensor(w / 2)
        for atom in self.atoms:
            total += atom.evaluate(x, self.name)[0]
        return total
