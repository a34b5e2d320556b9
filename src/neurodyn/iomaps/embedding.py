"""Necessary conditions for a map to be the time-T map of a non-augmented neural ODE, checked on a sample."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.func import jacrev, vmap

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.iomaps.critical import _domain
from neurodyn.results import Result, Status

EMBEDDING = ("C. Kuehn and S.-V. Kuntz, Embedding capabilities of neural ODEs (2023); H. Zhang et al., "
             "Approximation capabilities of neural ODEs and invertible residual networks, ICML 2020; E. Dupont, "
             "A. Doucet, Y. W. Teh, Augmented neural ODEs, NeurIPS 2019")
REFINE_PAIRS = 32  # candidate pairs of distinct inputs with close outputs refined by Newton
NEWTON_STEPS = 30


@dataclass(frozen=True, eq=False)
class Obstruction(Result):
    """One necessary condition and whether the sample violates it.

    Attributes:
        name: ``"injectivity"``, ``"orientation"`` or ``"monotonicity"``.
        condition: the condition in words; found: whether a witness violates it.
        witness: ``(k, n)`` input points that show the violation (``None`` when none was found): two inputs with
            the same image (injectivity), one with ``det D g <= 0`` (orientation), two ordered inputs whose
            images are not (monotonicity).
        detail: the numbers behind it; augment_sufficient: augmented dimensions that suffice to remove it.
    """

    name: str
    condition: str
    found: bool
    witness: torch.Tensor | None
    detail: str
    augment_sufficient: int


@dataclass(frozen=True, eq=False)
class EmbeddingObstructions(Result):
    """Obstructions to realising ``g: R^n -> R^n`` on a box as the time-T map of a non-augmented neural ODE.

    Attributes:
        dim: ``n``; n_samples: points checked; low, high: the box.
        obstructions: one :class:`Obstruction` per condition checked.
        obstructed: whether any condition is violated (the map is then not the time-T map of any neural ODE
            on ``R^n``); augment_sufficient: augmented dimensions that suffice for all of them (0 if none found).
        reference: where the conditions and the embedding theorems are proved.
        status: :attr:`Status.OK` (the checks ran); settings: what produced the result. Finding no obstruction
            on a sample is not a proof that the map embeds: these are necessary conditions only.
    """

    dim: int
    n_samples: int
    low: torch.Tensor
    high: torch.Tensor
    obstructions: list[Obstruction]
    obstructed: bool
    augment_sufficient: int
    reference: str
    status: Status = Status.OK
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        head = (f"EmbeddingObstructions(n={self.dim}, {self.n_samples} samples): "
                + ("obstructed" if self.obstructed else "no obstruction found on the sample (necessary conditions "
                                                        "only)"))
        lines = [head]
        for ob in self.obstructions:
            lines.append(f"  {ob.name}: {'VIOLATED' if ob.found else 'holds on the sample'} - {ob.detail}")
        if self.obstructed:
            lines.append(f"  {self.augment_sufficient} augmented dimension(s) suffice")
        return "\n".join(lines)


def _evaluate(target_map, x: torch.Tensor, n: int) -> torch.Tensor:
    try:
        y = target_map(x)
    except Exception as exc:
        raise InvalidInputError(f"target_map failed on inputs of shape {tuple(x.shape)}: {type(exc).__name__}: "
                                f"{exc}") from exc
    if not isinstance(y, torch.Tensor) or y.shape != x.shape:
        raise InvalidInputError(f"target_map must map a batch (P, {n}) to (P, {n}) (a map R^n -> R^n); got "
                                f"{type(y).__name__} of shape {tuple(getattr(y, 'shape', ()))}")
    if not bool(torch.isfinite(y).all()):
        raise NonFiniteError("target_map returned non-finite values (NaN or inf) on the domain; give a finite map")
    return y


def _jacobians(target_map, x: torch.Tensor) -> torch.Tensor:
    """``(P, n, n)`` Jacobians by ``torch.func`` (central differences if the map is not traceable by it)."""
    try:
        return vmap(jacrev(lambda z: target_map(z[None])[0]))(x)
    except Exception:
        n, h = x.shape[-1], 1e-6 * max(1.0, float(x.abs().max()))
        E = h * torch.eye(n, dtype=x.dtype)
        cols = [(target_map(x + E[i]) - target_map(x - E[i])) / (2 * h) for i in range(n)]
        return torch.stack(cols, -1)


def _orientation(x, J, n) -> Obstruction:
    det = torch.linalg.det(J)
    i = int(det.argmin())
    found = bool(det[i] <= 0)
    return Obstruction("orientation", "det D g(x) > 0 everywhere (a time-T map is an orientation-preserving "
                       "diffeomorphism)", found, x[i:i + 1] if found else None,
                       f"smallest det D g = {float(det[i]):.3g} at x = {x[i].tolist()}", n)


def _monotonicity(x, y) -> Obstruction:
    order = torch.argsort(x[:, 0])
    xs, ys = x[order, 0], y[order, 0]
    inc = ys[1:] - ys[:-1]
    i = int(inc.argmin())
    found = bool(inc[i] <= 0)
    return Obstruction("monotonicity", "g strictly increasing (1-D time-T maps are)", found,
                       torch.stack([xs[i:i + 1], xs[i + 1:i + 2]]) if found else None,
                       f"g({float(xs[i + 1]):.6g}) - g({float(xs[i]):.6g}) = {float(inc[i]):.3g}", 1)


def _injectivity(target_map, x, y, sep: float, n: int) -> Obstruction:
    """Pairs of inputs ``>= sep`` apart with the closest images, refined by Newton on ``g(z) = g(x_i)`` from
    ``x_j``; a refined pair still ``>= sep`` apart with ``|g(z) - g(x_i)| <= 1e-10 (1 + |g(x_i)|)`` is a witness."""
    far = torch.cdist(x, x) >= sep
    dy = torch.cdist(y, y).masked_fill(~far, float("inf"))
    flat = torch.argsort(dy.flatten())[:2 * REFINE_PAIRS]
    i, j = flat // len(x), flat % len(x)
    keep = torch.isfinite(dy[i, j])
    i, j = i[keep], j[keep]
    condition = "g injective (a time-T map is invertible)"
    if len(i) == 0:
        return Obstruction("injectivity", condition, False, None, "no pair of sample points far enough apart", n)
    target, z = y[i], x[j].clone()
    for _ in range(NEWTON_STEPS):
        r = _evaluate(target_map, z, n) - target
        z = z - (torch.linalg.pinv(_jacobians(target_map, z)) @ r[..., None])[..., 0]
    res = torch.linalg.vector_norm(_evaluate(target_map, z, n) - target, dim=-1)
    ok = (res <= 1e-10 * (1 + torch.linalg.vector_norm(target, dim=-1))) & (
        torch.linalg.vector_norm(z - x[i], dim=-1) >= sep)
    if bool(ok.any()):
        k = int(torch.nonzero(ok)[0])
        return Obstruction("injectivity", condition, True, torch.stack([x[i[k]], z[k]]),
                           f"g({x[i[k]].tolist()}) = g({z[k].tolist()}) to {float(res[k]):.2g}", n)
    return Obstruction("injectivity", condition, False, None,
                       f"closest images of inputs >= {sep:.3g} apart: {float(dy[i[0], j[0]]):.3g}; no exact collision "
                       "after Newton refinement", n)


def embedding_obstructions(target_map, domain, *, n_samples: int = 2048, sep: float | None = None,
                           seed: int = 0) -> EmbeddingObstructions:
    """Check necessary conditions for ``g: R^n -> R^n`` to be the time-T map of a neural ODE on ``R^n``.

    The time-T map of a flow ``dx/dt = F(x)`` (``F`` Lipschitz) is a diffeomorphism isotopic to the identity, so:
    it is injective, ``det D g > 0`` everywhere, and in 1-D strictly increasing (``x -> -x`` is impossible).
    Each condition is checked on ``n_samples`` points of the box (a regular grid in 1-D, uniform random
    otherwise), with witnesses; a non-injectivity witness is a pair ``x != z`` with ``g(x) = g(z)`` to
    ``1e-10``, found by Newton from the sample pairs with the closest images. Augmentation removes every such
    obstruction: with ``n`` extra dimensions, the flow ``dx/dt = 0, dz/dt = g(x)`` from ``(x, 0)`` reaches
    ``(x, g(x))`` at ``T = 1``, and reading off ``z`` realises any Lipschitz ``g`` (Dupont et al. 2019; for
    homeomorphisms on ``R^{2n}``, Zhang et al. 2020; Kuehn & Kuntz). The reported counts are sufficient, not
    shown minimal.

    Args:
        target_map: batched ``(P, n) -> (P, n)`` torch function (differentiable by ``torch.func`` for exact
            Jacobians; otherwise central differences are used).
        domain: ``(low, high)`` scalars or ``(n,)`` bounds; the dimension ``n`` is that of ``(n,)`` bounds, 1 for
            scalars.
        n_samples: sample size.
        sep: smallest distance between the two inputs of a non-injectivity witness (default 1e-3 times the
            box's diagonal).
        seed: seed of the random sample (the global random state is not used).

    Returns:
        :class:`EmbeddingObstructions`.

    See also: :func:`neurodyn.architecture_class`.
    """
    low = torch.as_tensor(domain[0]) if isinstance(domain, (tuple, list)) and len(domain) == 2 else None
    n = 1 if low is None or low.ndim == 0 else int(low.numel())
    low, high = _domain(domain, n)
    n_samples = positive_int(n_samples, name="n_samples", minimum=2)
    seed = positive_int(seed, name="seed", minimum=0)
    diag = float(torch.linalg.vector_norm(high - low))
    sep = 1e-3 * diag if sep is None else positive_float(sep, name="sep")
    if n == 1:
        x = torch.linspace(float(low[0]), float(high[0]), n_samples, dtype=torch.float64)[:, None]
    else:
        gen = torch.Generator().manual_seed(seed)
        x = low + (high - low) * torch.rand(n_samples, n, generator=gen, dtype=torch.float64)
    y = _evaluate(target_map, x, n)
    J = _jacobians(target_map, x)
    obstructions = [_injectivity(target_map, x, y, sep, n), _orientation(x, J, n)]
    if n == 1:
        obstructions.append(_monotonicity(x, y))
    obstructed = any(ob.found for ob in obstructions)
    return EmbeddingObstructions(dim=n, n_samples=n_samples, low=low, high=high, obstructions=obstructions,
                                 obstructed=obstructed, augment_sufficient=n if obstructed else 0, reference=EMBEDDING,
                                 settings=dict(n_samples=n_samples, sep=sep, seed=seed))
