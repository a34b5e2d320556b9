"""Where a network's vector input–output map loses rank: ``rank D f(x) < min(m, n)``."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.func import jacrev, vmap

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.iomaps.critical import LANDSCAPE, _domain
from neurodyn.iomaps.scalar import vector_map
from neurodyn.results import Result, Status


@dataclass(frozen=True, eq=False)
class RankLoss(Result):
    """Points where the Jacobian ``J = D f(x)`` (``m x n``) of a network's input–output map has rank below
    ``min(m, n)``: for ``m <= n`` (fewer outputs than inputs) the outputs are not independent to first order
    there (a direction ``v`` in output space with ``v . f`` critical); for ``m > n`` an input direction ``w``
    with ``J w = 0``. For ``m = 1`` these are the critical points (:func:`neurodyn.critical_points`). The set is
    generically a manifold (a curve when ``m = n = 2``), so the points are a sample of it, one per start.

    Attributes:
        points: ``(P, n)`` distinct points found in the domain.
        singular_values: ``(P, min(m, n))`` singular values of ``J`` there, descending.
        null: ``(P, min(m, n))`` unit null vector: ``v`` with ``v^T J = 0`` (``m <= n``) or ``w`` with ``J w = 0``
            (``m > n``).
        residual: ``(P,)`` ``|J^T v|`` (or ``|J w|``) at the point (``<= tol``).
        full_rank: ``min(m, n)``; in_dim, out_dim: ``n``, ``m``.
        low, high: ``(n,)`` the domain searched.
        landscape: for ``n = 2``, the smallest singular value of ``J`` on a regular ``101 x 101`` grid (``[i, j]``
            at ``x1 = grid[j], x2 = grid[i]``), for :meth:`plot`; ``None`` otherwise.
        model: the module's class name; starts: ``{"converged": ..., "outside": ..., "not converged": ...}``.
        status: :attr:`Status.OK` if points were found, else :attr:`Status.NONE_FOUND` (from these starts: not a
            proof that there are none); settings: what produced the result.
    """

    points: torch.Tensor
    singular_values: torch.Tensor
    null: torch.Tensor
    residual: torch.Tensor
    full_rank: int
    in_dim: int
    out_dim: int
    low: torch.Tensor
    high: torch.Tensor
    landscape: torch.Tensor | None
    model: str
    starts: dict
    status: Status
    settings: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.points.shape[0]

    def __repr__(self) -> str:
        return (f"RankLoss({self.model}, R^{self.in_dim} -> R^{self.out_dim}: {len(self)} points of rank < "
                f"{self.full_rank} in the domain, status {self.status.value!r}; starts {self.starts})")

    def plot(self, ax=None):
        """``log10`` of the smallest singular value of ``D f`` over a 2-D domain, with the points found (white).
        Returns the axes."""
        import matplotlib.pyplot as plt

        if self.landscape is None:
            raise InvalidInputError(f"plot needs a 2-D domain; this one has {self.in_dim} dimensions")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        g1 = torch.linspace(float(self.low[0]), float(self.high[0]), LANDSCAPE)
        g2 = torch.linspace(float(self.low[1]), float(self.high[1]), LANDSCAPE)
        cs = ax.contourf(g1.numpy(), g2.numpy(), torch.log10(self.landscape.clamp_min(1e-16)).numpy(), levels=30,
                         cmap="magma")
        ax.figure.colorbar(cs, ax=ax, label="log10 smallest singular value of Df")
        if len(self):
            ax.scatter(self.points[:, 0], self.points[:, 1], s=8, color="w", label=f"rank < {self.full_rank}")
            ax.legend(loc="best", fontsize=8)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        return ax


def _system(fn, n: int, m: int):
    """``G(x, z) = (A(x) z, (z.z - 1) / 2)`` on single points, with ``A = J^T`` (``m <= n``) or ``J``, and its
    Jacobian; ``A z = 0`` with ``|z| = 1`` says that ``z`` spans a null direction of ``J``."""
    left = m <= n
    J = jacrev(lambda x: fn(x[None])[0])
    k = min(m, n)

    def G(y):
        x, z = y[:n], y[n:]
        A = J(x).T if left else J(x)
        return torch.cat([A @ z, ((z @ z - 1) / 2)[None]])

    return vmap(G), vmap(jacrev(G)), vmap(J), k


def _project(G, DG, y: torch.Tensor, n: int, tol: float, maxiter: int, max_step: float):
    """Gauss–Newton with minimum-norm steps ``dy = -DG^+ G`` (the underdetermined system's projection onto its
    solution set; quadratic convergence near a regular point of it), each step's ``x`` part capped at
    ``max_step``. Returns the final points and residuals."""
    for _ in range(maxiter):
        r = G(y)
        res = torch.linalg.vector_norm(r, dim=-1)
        live = torch.isfinite(res) & (res > tol)
        if not bool(live.any()):
            break
        idx = torch.nonzero(live).flatten()
        step = (torch.linalg.pinv(DG(y[idx])) @ r[idx, :, None])[..., 0]
        size = torch.linalg.vector_norm(step[:, :n], dim=-1, keepdim=True)
        y[idx] = y[idx] - step * (max_step / size).clamp(max=1.0)
    return y, torch.linalg.vector_norm(G(y), dim=-1)


def _smallest_singular_value_grid(Jac, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """The smallest singular value of ``D f`` on a regular ``LANDSCAPE x LANDSCAPE`` grid over a 2-D box."""
    g1, g2 = (torch.linspace(float(low[i]), float(high[i]), LANDSCAPE, dtype=torch.float64) for i in range(2))
    X2, X1 = torch.meshgrid(g2, g1, indexing="ij")
    return torch.linalg.svdvals(Jac(torch.stack([X1, X2], -1).reshape(-1, 2)))[:, -1].reshape(X1.shape)


def _distinct(x: torch.Tensor, radius: float) -> torch.Tensor:
    """Indices of the rows of ``x`` with no earlier row within ``radius``."""
    keep: list[int] = []
    for i in range(len(x)):
        if not keep or float(torch.linalg.vector_norm(x[keep] - x[i], dim=-1).min()) > radius:
            keep.append(i)
    return torch.tensor(keep, dtype=torch.long)


def rank_loss(model, domain, *, n_starts: int = 256, tol: float = 1e-10, dedup_tol: float = 1e-6,
              maxiter: int = 50, seed: int = 0) -> RankLoss:
    """Points in the box ``domain`` where the input–output Jacobian ``J = D f(x)`` (``m x n``) of ``model`` loses
    rank: ``rank J < min(m, n)``.

    Such a point is where some unit ``z`` has ``J^T z = 0`` (``m <= n``: the output combination ``z . f`` is
    critical) or ``J z = 0`` (``m > n``). The unknowns ``(x, z)`` satisfy ``min(m, n) + 1`` equations
    ``G = (A(x) z, (|z|^2 - 1) / 2) = 0`` in ``n + min(m, n)`` unknowns, so the solution set is generically a
    manifold of dimension ``min(m, n) - 1``; from each of ``n_starts`` uniform starts (``z`` the singular vector
    of the smallest singular value there) Gauss–Newton with minimum-norm steps (pseudo-inverse; Ben-Israel 1966)
    projects onto it, with ``J`` and the derivative of ``G`` by ``torch.func``. Converged points inside the box
    are deduplicated within ``dedup_tol`` times the box's diagonal. An MLP whose widths never increase and whose
    weight matrices all have full rank never loses rank (``J = W_K D_{K-1} ... D_1 W_1`` is a product of
    surjective maps with positive diagonal ``D``): see :func:`neurodyn.architecture_class`.

    Args:
        model: an ``nn.Sequential`` MLP (``nn.Linear`` and tanh/sigmoid/identity layers) or a
            :class:`neurodyn.models.node.NeuralODEClassifier` (alone or after an input ``nn.Linear`` in an
            ``nn.Sequential``). Not modified: weights are copied to float64.
        domain: ``(low, high)``, scalars or ``(n,)`` bounds of the box searched (input units).
        n_starts: uniform random starts in the box.
        tol: a point is kept when ``|G| <= tol`` (so ``|J^T z| <= tol`` for a unit ``z``: the smallest singular
            value is at most ``tol``).
        dedup_tol: points closer than ``dedup_tol`` times the box's diagonal are one point.
        maxiter: Gauss–Newton steps per start (each capped at a tenth of the box's diagonal).
        seed: seed of the starts (the global random state is not used).

    Returns:
        :class:`RankLoss` (``.plot()`` for a 2-D domain).

    See also: :func:`neurodyn.critical_points` (scalar outputs, with Morse data),
    :func:`neurodyn.architecture_class`.
    """
    net, fn = vector_map(model)
    n, m = net.in_dim, net.out_dim
    low, high = _domain(domain, n)
    n_starts, maxiter = positive_int(n_starts, name="n_starts"), positive_int(maxiter, name="maxiter")
    tol, dedup_tol = positive_float(tol, name="tol"), positive_float(dedup_tol, name="dedup_tol")
    seed = positive_int(seed, name="seed", minimum=0)
    G, DG, Jac, k = _system(fn, n, m)
    gen = torch.Generator().manual_seed(seed)
    x0 = low + (high - low) * torch.rand(n_starts, n, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        U, _, Vh = torch.linalg.svd(Jac(x0), full_matrices=False)
        z0 = U[..., :, k - 1] if m <= n else Vh[..., k - 1, :]
        diag = float(torch.linalg.vector_norm(high - low))
        y, res = _project(G, DG, torch.cat([x0, z0], -1), n, tol, maxiter, 0.1 * diag)
        x = y[:, :n]
        done = torch.isfinite(res) & (res <= tol)
        inside = done & ((x >= low) & (x <= high)).all(-1)
        keep = torch.nonzero(inside).flatten()
        keep = keep[_distinct(x[keep], dedup_tol * diag)]
        sv = torch.linalg.svdvals(Jac(x[keep])) if len(keep) else x.new_zeros(0, k)
        landscape = _smallest_singular_value_grid(Jac, low, high) if n == 2 else None
    starts = {"converged": int(inside.sum()), "outside": int((done & ~inside).sum()),
              "not converged": int((~done).sum())}
    return RankLoss(points=x[keep], singular_values=sv, null=y[keep, n:], residual=res[keep], full_rank=k,
                    in_dim=n, out_dim=m, low=low, high=high, landscape=landscape, model=type(model).__name__,
                    starts=starts, status=Status.OK if len(keep) else Status.NONE_FOUND,
                    settings=dict(n_starts=n_starts, tol=tol, dedup_tol=dedup_tol, maxiter=maxiter, seed=seed,
                                  solver="Gauss-Newton with minimum-norm steps on (A(x) z, (|z|^2 - 1)/2)"))
