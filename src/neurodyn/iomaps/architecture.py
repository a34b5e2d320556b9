"""What an architecture lets its scalar input–output map do: no critical points, Morse ones, or degenerate ones."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from neurodyn._checks import positive_float, positive_int
from neurodyn.iomaps.network import Network, read_network
from neurodyn.iomaps.reduce import factor_rank_deficient, merge_linear, numerical_rank, to_sequential
from neurodyn.results import Result, Status

MORSE = ("C. Kuehn and S.-V. Kuntz, Analysis of the geometric structure of neural networks and neural ODEs via "
         "Morse functions (2024)")
NO_CRITICAL = "no critical points possible"
MORSE_GENERIC = "critical points possible; generically Morse (non-degenerate for almost every choice of weights)"
DEGENERATE_FORCED = "critical points possible; every critical point is degenerate"
DEGENERATE_AFTER = ("critical points possible; those at which the layers after the narrow layer are critical are "
                    "degenerate")
NOT_SCALAR = "the theorems concern scalar outputs; this network has {} outputs (see each output or difference)"


@dataclass(frozen=True, eq=False)
class ArchitectureClass(Result):
    """The class of a network in the sense of Kuehn & Kuntz, and what it implies for the critical points of its
    scalar input–output map ``f`` (points with ``grad f(x) = 0``).

    Attributes:
        model: the module's class name; kind: ``"mlp"`` or ``"node"`` (neural-ODE classifier).
        widths: ``[n_0, ..., n_K]`` of the linear maps as given (consecutive maps without an activation
            between them composed into one); for a neural ODE ``[input, phase space, outputs]``.
        ranks: the numerical rank of each of those maps (for a neural ODE: the input map ``A`` and the readout).
        full_rank: whether each has rank ``min(out, in)``.
        rank_tol: relative tolerance: singular values ``<= rank_tol * s_max`` count as zero.
        reduced_widths: widths of the equivalent network in which every map has full rank (a rank-``r`` map
            factored through width ``r``); equal to ``widths`` when all have full rank.
        category: ``"non-augmented"`` (widths never increase), ``"augmented"`` (some increase, none of the
            hidden widths below the input width before it), ``"bottleneck"`` (a width below the input width
            followed by an increase), with ``"degenerate "`` in front when some map is not full rank.
        guarantee: what the theorems then say about the critical points; reference: where they are proved.
        equivalent: (MLPs) the full-rank equivalent as a float64 ``nn.Sequential`` (``None`` when the network
            already has full rank); equivalent_error: the largest ``|f - f_equivalent|`` on ``check_points``
            random inputs (standard normal, seeded).
        status: :attr:`Status.OK`; settings: what produced the result.
    """

    model: str
    kind: str
    widths: list[int]
    ranks: list[int]
    full_rank: list[bool]
    rank_tol: float
    reduced_widths: list[int]
    category: str
    guarantee: str
    reference: str
    equivalent: nn.Sequential | None
    equivalent_error: float | None
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["equivalent"] = None if self.equivalent is None else repr(self.equivalent)
        return out

    def __repr__(self) -> str:
        ranks = ", ".join(f"{r}{'' if f else '*'}" for r, f in zip(self.ranks, self.full_rank, strict=True))
        note = "all full rank" if all(self.full_rank) else "* not full rank"
        lines = [f"ArchitectureClass({self.model}, {self.kind}): widths {self.widths}, ranks [{ranks}] "
                 f"({note}; tol {self.rank_tol:g} s_max)",
                 f"  category: {self.category}", f"  guarantee: {self.guarantee}", f"  reference: {self.reference}"]
        if self.equivalent is not None:
            lines.append(f"  full-rank equivalent: widths {self.reduced_widths}, max |difference| "
                         f"{self.equivalent_error:.2e} on random inputs")
        return "\n".join(lines)


def _mlp_category(widths: list[int]) -> tuple[str, str]:
    """Category and guarantee for full-rank maps of ``widths`` (scalar output)."""
    n0 = widths[0]
    grows = [j for j in range(len(widths) - 1) if widths[j + 1] > widths[j]]
    if not grows:
        return "non-augmented", NO_CRITICAL
    last = grows[-1]
    narrow = [k for k in range(1, last + 1) if widths[k] < n0]
    if not narrow:
        return "augmented", MORSE_GENERIC
    k = min(narrow, key=lambda i: widths[i])
    prefix_monotone = all(widths[j + 1] <= widths[j] for j in range(k))
    return "bottleneck", (DEGENERATE_FORCED if prefix_monotone else DEGENERATE_AFTER) + (
        f" (Hessian rank <= {widths[k]} < input width {n0})")


def _classify_mlp(net: Network, rank_tol: float, check_points: int, seed: int) -> dict:
    merged = merge_linear(net)
    ranks = [numerical_rank(W, rank_tol) for W in merged.weights]
    reduced = factor_rank_deficient(merged, rank_tol)
    category, guarantee = _mlp_category(reduced.widths)
    full = all(r.full for r in ranks)
    equivalent, error = None, None
    if not full:
        category = "degenerate " + category
        if ranks[0].rank < merged.in_dim and guarantee != NO_CRITICAL:
            guarantee = DEGENERATE_FORCED + (f" (f is constant along the {merged.in_dim - ranks[0].rank}-dimensional"
                                             " kernel of the first weight matrix)")
        equivalent = to_sequential(reduced)
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(check_points, net.in_dim, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            error = float((net(x) - equivalent(x)).abs().max())
    if merged.out_dim != 1:
        guarantee = NOT_SCALAR.format(merged.out_dim) + "; for each scalar output: " + guarantee
    return dict(widths=merged.widths, ranks=[r.rank for r in ranks], full_rank=[r.full for r in ranks],
                reduced_widths=reduced.widths, category=category, guarantee=guarantee, equivalent=equivalent,
                equivalent_error=error)


def _classify_node(net: Network, rank_tol: float) -> dict:
    """``f(x) = readout(phi_T([A x + a, 0]))``: ``grad f = A^T grad F`` with ``F`` the classifier on its own
    inputs. ``A`` with a kernel makes ``f`` constant along it; ``A^T`` injective and no augmentation leave
    ``grad F != 0`` (``phi_T`` a diffeomorphism) and so ``grad f != 0``."""
    n_in, aug, _ = net.node
    lift, readout_w = net.weights
    n = lift.shape[1]
    input_rank, readout = numerical_rank(lift[:n_in], rank_tol), numerical_rank(readout_w, rank_tol)
    if readout.rank == 0:
        category, guarantee = "degenerate", "every input is a critical point (the readout is zero)"
    elif aug == 0 and input_rank.rank == n_in:  # A onto: grad f = A^T grad F != 0, whatever A's kernel
        category = "non-augmented"
        guarantee = (NO_CRITICAL + " for every output (and every logit difference) whose readout row is non-zero:"
                     " the flow map is a diffeomorphism of the input space"
                     + ("" if n == n_in else " and the input map is onto it"))
    elif input_rank.rank < n:
        category = "degenerate"
        guarantee = DEGENERATE_FORCED + (f" (f is constant along the {n - input_rank.rank}-dimensional kernel of the "
                                         "input map)")
    else:
        category = "augmented" if readout.full else "degenerate augmented"
        guarantee = MORSE_GENERIC + " for each output with a non-zero readout row"
    return dict(widths=[n, n_in + aug, net.out_dim], ranks=[input_rank.rank, readout.rank],
                full_rank=[input_rank.full, readout.full], reduced_widths=[input_rank.rank, n_in + aug, readout.rank],
                category=category, guarantee=guarantee, equivalent=None, equivalent_error=None)


def architecture_class(model, *, rank_tol: float = 1e-10, check_points: int = 256, seed: int = 0) -> ArchitectureClass:
    """Classify ``model`` by the theorems on critical points of its scalar input–output map.

    For an MLP ``f = L_K o a o ... o a o L_1`` with smooth, strictly increasing activations ``a`` (tanh,
    sigmoid) and scalar output, ``grad f(x) = W_1^T D_1(x) W_2^T ... W_K^T`` with positive diagonal ``D_k``:

    - widths never increasing and every ``W_k`` of full rank: each ``W_k^T`` is injective, so
      ``grad f`` never vanishes — **no critical points** (Kuehn & Kuntz);
    - some width increases and no hidden width before it is below the input width (no bottleneck): critical
      points may exist and are **generically Morse**;
    - a width ``n_k < n_0`` followed by an increase (bottleneck): at critical points of the later layers the
      Hessian ``Dh^T H_g Dh`` has rank ``<= n_k < n_0``: **degenerate critical points forced**;
    - a weight matrix of rank ``r < min(out, in)``: the network equals a full-rank one with the map factored
      through width ``r`` (constructed and checked here), classified in turn; a first weight matrix with a
      kernel makes ``f`` constant along it, so every critical point is degenerate.

    For the neural-ODE classifier ``x -> readout(phi_T([x, 0]))`` of :mod:`neurodyn.models` (or ``x ->
    readout(phi_T([A x + a, 0]))`` behind an input map ``nn.Sequential(nn.Linear, classifier)``): without
    augmentation (and ``A`` onto) ``phi_T`` is a diffeomorphism and ``grad f = A^T grad F != 0``, so no output
    with a non-zero readout row has a critical point; with augmentation, critical points are generically Morse
    when the affine maps have full rank; otherwise an input map with a kernel makes every critical point
    degenerate.

    Args:
        model: an ``nn.Sequential`` of ``nn.Linear`` and ``nn.Tanh``/``nn.Sigmoid``/``nn.Identity`` layers, a
            :class:`neurodyn.models.node.NeuralODEClassifier`, or ``nn.Sequential(nn.Linear, classifier)``. Not
            modified (weights are copied to float64).
        rank_tol: singular values ``<= rank_tol * s_max`` of a weight matrix count as zero (default 1e-10:
            float64 round-off of trained float32 weights is far below it, exact rank deficiency far above).
        check_points: random inputs on which the full-rank equivalent is compared with the network.
        seed: seed of those inputs (the global random state is not used).

    Returns:
        :class:`ArchitectureClass`.

    See also: :func:`neurodyn.critical_points` (find them), :func:`neurodyn.embedding_obstructions`.
    """
    rank_tol = positive_float(rank_tol, name="rank_tol")
    check_points = positive_int(check_points, name="check_points")
    seed = positive_int(seed, name="seed", minimum=0)
    net = read_network(model)
    parts = _classify_mlp(net, rank_tol, check_points, seed) if net.kind == "mlp" else _classify_node(net, rank_tol)
    return ArchitectureClass(model=type(model).__name__, kind=net.kind, rank_tol=rank_tol, reference=MORSE,
                             settings=dict(rank_tol=rank_tol, check_points=check_points, seed=seed), **parts)
