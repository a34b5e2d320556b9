"""Graphs of particle networks, each a small typed record with one method, :meth:`interact`.

``graph.interact(coupling, x)`` returns ``sum_j A_ij g(x_i, x_j)`` for states ``x: (..., N)`` (no ``1/N``; the
network applies it). For a :class:`~neurodyn.networks.SeparableCoupling` the cost is one product with ``A``:
O(N^2) dense, O(edges) sparse, O(N r) low rank, O(N) all-to-all (for the sine coupling that is the order
parameter). A general :class:`~neurodyn.networks.PairCoupling` costs one evaluation of ``g`` per edge (dense and
sparse graphs only). Give the graph's tensors the states' dtype and device (float64 by default): a different
dtype is converted on every call.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError, UnsupportedModelError
from neurodyn.networks.coupling import Coupling, PairCoupling


def _check_size(x: torch.Tensor, n: int, what: str) -> None:
    if x.ndim == 0 or x.shape[-1] != n:
        raise InvalidInputError(f"states of shape {tuple(x.shape)} do not match the {what} with N = {n} nodes; "
                                f"the last dimension of the state must be N")


def _separable(coupling, x: torch.Tensor, apply) -> torch.Tensor:
    """``sum_k left_k(x_i) (A right_k(x))_i`` with ``apply(R: (..., N, m)) = A R`` on the stacked features."""
    return coupling.sum_over(x, lambda feats: apply(torch.stack(feats, dim=-1)).unbind(-1))


def _separable_rows(coupling, x: torch.Tensor, apply_each) -> torch.Tensor:
    """As :func:`_separable` with ``apply_each(f: (..., N))`` applied to each feature (no stacking)."""
    return coupling.sum_over(x, lambda feats: tuple(apply_each(f) for f in feats))


def _no_pairs(graph, coupling) -> None:
    raise UnsupportedModelError(f"the coupling {coupling.name!r} is not separable, and on a {type(graph).__name__} "
                                "it would cost O(N^2) per evaluation; pass a SeparableCoupling or a DenseGraph")


@dataclass(frozen=True)
class DenseGraph:
    """A weighted (possibly directed) graph as a dense ``(N, N)`` adjacency matrix ``A`` (row ``i``: the
    in-weights of node ``i``). Cost O(N^2) per interaction."""

    A: torch.Tensor

    def __post_init__(self):
        A = as_tensor(self.A, name="the adjacency matrix A", dtype=_dtype(self.A), device=_device(self.A))
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise InvalidInputError(f"the adjacency matrix A must be square (N, N), got shape {tuple(A.shape)}")
        object.__setattr__(self, "A", A)

    @property
    def n(self) -> int:
        return self.A.shape[0]

    def interact(self, coupling: Coupling, x: torch.Tensor) -> torch.Tensor:
        """``sum_j A_ij g(x_i, x_j)``, ``(..., N)``."""
        _check_size(x, self.n, "dense graph")
        A = self.A.to(x.dtype)
        if isinstance(coupling, PairCoupling):
            return (A * coupling.g(x.unsqueeze(-1), x.unsqueeze(-2))).sum(-1)
        return _separable(coupling, x, lambda R: A @ R)


@dataclass(frozen=True)
class SparseGraph:
    """A weighted (possibly directed) graph given as a ``torch.sparse`` matrix (COO or CSR; products use CSR,
    about 13x faster than COO on one CPU thread at 10^7 edges); cost O(edges) per interaction.

    ``SparseGraph.from_dense(A)`` keeps the nonzero entries of a dense matrix.
    """

    A: torch.Tensor

    def __post_init__(self):
        A = self.A
        if not isinstance(A, torch.Tensor) or A.layout not in (torch.sparse_coo, torch.sparse_csr):
            raise InvalidInputError("SparseGraph needs a torch.sparse COO or CSR matrix; use SparseGraph.from_dense "
                                    f"for a dense one (got {type(A).__name__} {getattr(A, 'layout', '')})")
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise InvalidInputError(f"the sparse adjacency matrix must be square (N, N), got {tuple(A.shape)}")
        coo = A.to_sparse_coo().coalesce()
        if not bool(torch.isfinite(coo.values()).all()):
            raise NonFiniteError("the sparse adjacency matrix has non-finite (NaN or inf) weights; pass finite ones")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            object.__setattr__(self, "A", coo.to_sparse_csr())
        object.__setattr__(self, "_coo", coo)

    @classmethod
    def from_dense(cls, A: torch.Tensor) -> SparseGraph:
        """The nonzero entries of the dense ``(N, N)`` matrix ``A``."""
        return cls(DenseGraph(A).A.to_sparse_coo())

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def edges(self) -> int:
        return int(self._coo.values().numel())

    def interact(self, coupling: Coupling, x: torch.Tensor) -> torch.Tensor:
        """``sum_j A_ij g(x_i, x_j)``, ``(..., N)``, in O(edges)."""
        _check_size(x, self.n, "sparse graph")
        if isinstance(coupling, PairCoupling):
            rows, cols = self._coo.indices()
            vals = self._coo.values().to(x.dtype)
            contrib = vals * coupling.g(x[..., rows], x[..., cols])
            return torch.zeros_like(x).index_add_(-1, rows, contrib)
        A = self.A.to(x.dtype)

        def apply(R):  # R: (..., N, m) -> one sparse product with the batch folded into columns
            cols = R.movedim(-2, 0)
            out = A @ cols.reshape(self.n, -1)
            return out.reshape(cols.shape).movedim(0, -2)

        return _separable(coupling, x, apply)


@dataclass(frozen=True)
class LowRankGraph:
    """A graph with adjacency ``A = U V^T`` of rank ``r`` (``U, V: (N, r)``); cost O(N r) per interaction for a
    separable coupling."""

    U: torch.Tensor
    V: torch.Tensor

    def __post_init__(self):
        U = as_tensor(self.U, name="the low-rank factor U", dtype=_dtype(self.U), device=_device(self.U))
        V = as_tensor(self.V, name="the low-rank factor V", dtype=_dtype(self.V), device=_device(self.V))
        if U.ndim != 2 or U.shape != V.shape:
            raise InvalidInputError(f"the low-rank factors U, V must both be (N, r), got {tuple(U.shape)} and "
                                    f"{tuple(V.shape)}")
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "V", V)

    @property
    def n(self) -> int:
        return self.U.shape[0]

    def interact(self, coupling: Coupling, x: torch.Tensor) -> torch.Tensor:
        """``sum_j (U V^T)_ij g(x_i, x_j)``, ``(..., N)``, in O(N r)."""
        _check_size(x, self.n, "low-rank graph")
        if isinstance(coupling, PairCoupling):
            _no_pairs(self, coupling)
        U, V = self.U.to(x.dtype), self.V.to(x.dtype)
        return _separable(coupling, x, lambda R: U @ (V.T @ R))


@dataclass(frozen=True)
class CompleteGraph:
    """All-to-all coupling, ``A_ij = 1`` for every ``i, j`` (self-loops included); cost O(N) per interaction.
    For the sine coupling this is the order-parameter form ``N Im(e^{-i(x_i + alpha)} Z)``."""

    size: int

    def __post_init__(self):
        object.__setattr__(self, "size", positive_int(self.size, name="the complete graph's size"))

    @property
    def n(self) -> int:
        return self.size

    def interact(self, coupling: Coupling, x: torch.Tensor) -> torch.Tensor:
        """``sum_j g(x_i, x_j)``, ``(..., N)``, in O(N)."""
        _check_size(x, self.n, "complete graph")
        if isinstance(coupling, PairCoupling):
            _no_pairs(self, coupling)
        return _separable_rows(coupling, x, lambda f: f.sum(-1, keepdim=True))


@dataclass(frozen=True)
class BlockGraph:
    """``M`` node slices of ``P`` particles each, particle ``(m, p)`` (index ``m P + p``) weighting every particle
    of slice ``l`` by ``B_ml``: ``A = B kron ones(P, P)``, ``N = M P``. The particle method of a graphon or digraph
    measure limit (many particles per node slice); cost O(M^2 + N) per interaction for a separable coupling.

    Args:
        B: ``(M, M)`` slice weights, row ``m`` the in-weights of slice ``m`` (e.g.
            :meth:`DigraphMeasure.cell_matrix`).
        particles: ``P`` particles per slice.
    """

    B: torch.Tensor
    particles: int

    def __post_init__(self):
        B = DenseGraph(self.B).A
        object.__setattr__(self, "B", B)
        object.__setattr__(self, "particles", positive_int(self.particles, name="particles per slice"))

    @property
    def n(self) -> int:
        return self.B.shape[0] * self.particles

    @property
    def slices(self) -> int:
        return self.B.shape[0]

    def interact(self, coupling: Coupling, x: torch.Tensor) -> torch.Tensor:
        """``sum_j A_ij g(x_i, x_j)``, ``(..., N)``: per-slice sums, one ``(M, M)`` product, repeated over slices."""
        _check_size(x, self.n, "block graph")
        if isinstance(coupling, PairCoupling):
            _no_pairs(self, coupling)
        B, m, p = self.B.to(x.dtype), self.slices, self.particles

        def apply(R):  # R: (..., N, k)
            sums = R.unflatten(-2, (m, p)).sum(-2)  # (..., M, k)
            return (B @ sums).repeat_interleave(p, dim=-2)

        return _separable(coupling, x, apply)


Graph = DenseGraph | SparseGraph | LowRankGraph | CompleteGraph | BlockGraph


def _dtype(t) -> torch.dtype:
    return t.dtype if isinstance(t, torch.Tensor) and t.is_floating_point() else torch.float64


def _device(t):
    return t.device if isinstance(t, torch.Tensor) else None


def check_graph(graph) -> None:
    """A clear error unless ``graph`` is one of the graph records."""
    if not isinstance(graph, DenseGraph | SparseGraph | LowRankGraph | CompleteGraph | BlockGraph):
        raise InvalidInputError(f"graph must be a DenseGraph, SparseGraph, LowRankGraph, CompleteGraph or BlockGraph "
                                f"(or Graphon/DigraphMeasure.sample(...)), got {type(graph).__name__}")
