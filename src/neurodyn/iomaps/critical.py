"""Critical points of a network's scalar input–output map: the equilibria of its gradient field."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn.equilibria import find_fixed_points
from neurodyn.errors import InvalidInputError
from neurodyn.iomaps.scalar import ScalarMap, scalar_map
from neurodyn.results import Result, Status
from neurodyn.systems import Flow

LANDSCAPE = 101  # grid points per axis of the stored map over a 2-D domain (for plot)


@dataclass(frozen=True, eq=False)
class CriticalPoints(Result):
    """Critical points ``grad f(x) = 0`` of a scalar input–output map ``f`` in a box, with their Morse data.

    Attributes:
        points: ``(P, n)`` distinct critical points in the domain; values: ``(P,)`` ``f`` there.
        gradient_norm: ``(P,)`` ``|grad f|_2`` there (``<= tol``).
        eigenvalues: ``(P, n)`` real eigenvalues of the Hessian, ascending.
        morse_index: ``(P,)`` the number of eigenvalues ``< -band`` (directions in which ``f`` decreases):
            0 a minimum, ``n`` a maximum, otherwise a saddle; with ``band = degeneracy_tol * max(1, |H|_2)``.
        degenerate: ``(P,)`` whether the smallest ``|eigenvalue|`` is ``<= band`` (the Hessian is singular to
            that tolerance: the point is not Morse and its index is not determined by the Hessian).
        hits: ``(P,)`` how many starts ended at each point.
        low, high: ``(n,)`` the domain searched.
        landscape: for ``n = 2``, ``f`` on a regular ``101 x 101`` grid over the domain (``[i, j]`` at
            ``x1 = grid[j], x2 = grid[i]``), for :meth:`plot`; ``None`` otherwise.
        flat: how many points with ``|grad f| <= tol`` were dropped as not critical: the Newton step
            ``|H^+ grad f|`` there exceeds ``newton_tol`` times the domain's diagonal (saturated plateaus, where the
            gradient is tiny but not zero), or an activation derivative underflows to 0.
        model: the module's class name; starts: how the starts ended (see :func:`neurodyn.find_fixed_points`).
        status: the search's (:func:`neurodyn.find_fixed_points`) when points were found:
            :attr:`Status.SATURATED` (the last wave of starts found no new zero of the field in the domain; the
            confining term's spurious zeros outside it are not counted) or
            :attr:`Status.MAY_BE_INCOMPLETE` (``max_starts`` ran out while waves still found new ones); else
            :attr:`Status.NONE_FOUND` (none found from these starts: not a proof that none exist).
            settings: what produced the result.
    """

    points: torch.Tensor
    values: torch.Tensor
    gradient_norm: torch.Tensor
    eigenvalues: torch.Tensor
    morse_index: torch.Tensor
    degenerate: torch.Tensor
    hits: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor
    landscape: torch.Tensor | None
    flat: int
    model: str
    starts: dict
    status: Status
    settings: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.points.shape[0]

    def __repr__(self) -> str:
        lines = [f"CriticalPoints({self.model}, {len(self)} in the domain, status {self.status.value!r})"]
        for i in range(min(len(self), 10)):
            kind = "degenerate" if bool(self.degenerate[i]) else f"index {int(self.morse_index[i])}"
            x = ", ".join(f"{float(v):.6g}" for v in self.points[i])
            lines.append(f"  ({x}): {kind}, f = {float(self.values[i]):.6g}, min |eig| = "
                         f"{float(self.eigenvalues[i].abs().min()):.3g}")
        if len(self) > 10:
            lines.append(f"  ... {len(self) - 10} more")
        return "\n".join(lines)

    def plot(self, ax=None):
        """The map over a 2-D domain (filled contours) with the critical points marked by Morse index
        (0 minimum, 1 saddle, 2 maximum) and degenerate points as crosses. Returns the axes."""
        import matplotlib.pyplot as plt

        if self.landscape is None:
            raise InvalidInputError(f"plot needs a 2-D domain; this one has {self.low.numel()} dimensions")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        g1 = torch.linspace(float(self.low[0]), float(self.high[0]), LANDSCAPE)
        g2 = torch.linspace(float(self.low[1]), float(self.high[1]), LANDSCAPE)
        cs = ax.contourf(g1.numpy(), g2.numpy(), self.landscape.numpy(), levels=30, cmap="viridis")
        ax.figure.colorbar(cs, ax=ax, label="f(x)")
        marks = {0: ("o", "tab:blue", "minimum"), 1: ("^", "tab:orange", "saddle"), 2: ("s", "tab:red", "maximum")}
        deg = self.degenerate.numpy()
        for k, (m, c, label) in marks.items():
            idx = (self.morse_index.numpy() == k) & ~deg
            if idx.any():
                ax.scatter(self.points[idx, 0], self.points[idx, 1], marker=m, color=c, edgecolor="k", s=60,
                           label=f"{label} ({int(idx.sum())})", zorder=3)
        if deg.any():
            ax.scatter(self.points[deg, 0], self.points[deg, 1], marker="x", color="w", s=40,
                       label=f"degenerate ({int(deg.sum())})", zorder=3)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=8)
        return ax


def _domain(domain, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        low, high = domain
    except (TypeError, ValueError):
        raise InvalidInputError(f"domain must be a box (low, high) of scalars or ({n},) bounds, "
                                f"got {domain!r}") from None
    low = as_tensor(low, name="domain low", dtype=torch.float64, device="cpu")
    high = as_tensor(high, name="domain high", dtype=torch.float64, device="cpu")
    try:
        low, high = low.expand(n).clone(), high.expand(n).clone()
    except RuntimeError:
        raise InvalidInputError(f"domain bounds must be scalars or ({n},) for a map of {n} inputs, got shapes "
                                f"{tuple(low.shape)} and {tuple(high.shape)}") from None
    if not bool((high > low).all()):
        raise InvalidInputError(f"domain {domain!r} is empty: need low < high in every coordinate")
    return low, high


# The search stops after one wave of n_starts starts that finds no new zero (find_fixed_points' default is two):
# each wave costs about as much as the first, and in the 2-D benchmark the first wave already finds all 12 points
# (two empty waves made 3 waves of 4096 starts where one makes 2).
PATIENCE = 1
CONFINE = 100.0  # strength of the confining term, in units of the median Hessian norm at the first starts


def gradient_flow(fmap: ScalarMap, low: torch.Tensor | None = None, high: torch.Tensor | None = None,
                  kappa: float = 0.0) -> Flow:
    """The gradient field ``dx/dt = grad f(x)`` of a scalar map as a :class:`neurodyn.Flow` whose analytic
    Jacobian is the Hessian of ``f`` (batched over points). With ``kappa > 0`` a confining term
    ``kappa (x - clip(x, low, high))`` is added: zero in the box ``[low, high]`` (the field, its zeros and its
    Jacobian there are those of ``grad f``), growing linearly outside it, so that Newton iterates are pulled
    back instead of running off to the saturated far field, where ``|grad f|`` decays to 0 with no zero."""
    n = fmap.in_dim

    def field_(t, x):
        x2 = x.reshape(-1, n)
        g = fmap.gradient(x2)
        if kappa > 0:
            g = g + kappa * (x2 - torch.minimum(torch.maximum(x2, low), high))
        return g.reshape(x.shape)

    def jacobian(t, x):
        x2 = x.reshape(-1, n)
        H = fmap.hessian(x2)
        if kappa > 0:
            H = H + kappa * torch.diag_embed(((x2 < low) | (x2 > high)).to(H.dtype))
        return H.reshape(*x.shape, n)

    return Flow(field_, n, jacobian=jacobian, name=f"gradient of {fmap.name}")


def _confinement(fmap: ScalarMap, low: torch.Tensor, high: torch.Tensor, margin: float,
                 seed: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The box widened by ``margin`` of its width on each side, and ``kappa = CONFINE`` times the median
    spectral norm of the Hessian at 64 seeded points of the box (the confining term's slope is then large
    against the field's own: outside the widened box the field points back inside)."""
    gen = torch.Generator().manual_seed(seed + 1)
    x = low + (high - low) * torch.rand(64, len(low), generator=gen, dtype=torch.float64)
    with torch.no_grad():
        scale = float(torch.linalg.matrix_norm(fmap.hessian(x), ord=2).median())
    width = high - low
    return low - margin * width, high + margin * width, CONFINE * max(scale, 1e-12)


def _morse_data(fmap: ScalarMap, flow: Flow, x: torch.Tensor, hits: torch.Tensor, reach: float,
                degeneracy_tol: float) -> dict:
    """The fields of :class:`CriticalPoints` for the roots ``x`` of the gradient found in the domain: drop the
    flat ones (Newton step ``|H^+ grad f| > reach``, or a saturated activation), then Hessian eigenvalues,
    Morse index and degeneracy."""
    n = fmap.in_dim
    if len(x) == 0:
        empty = x.new_zeros(0)
        return dict(points=x, values=empty, gradient_norm=empty, eigenvalues=x.new_zeros(0, n),
                    morse_index=torch.zeros(0, dtype=torch.long), degenerate=torch.zeros(0, dtype=torch.bool),
                    hits=hits, flat=0)
    with torch.no_grad():
        H = flow.jacobian(x)
        # a zero of grad f is where the Newton step H^+ grad f vanishes; on a saturated plateau |grad f| is
        # tiny but the step is not (grad f and H decay at the same exponential rate), or grad f underflows
        step = (torch.linalg.pinv(H) @ flow.f(x)[..., None])[..., 0]
        real = (torch.linalg.vector_norm(step, dim=-1) <= reach) & ~fmap.saturated(x)
        x, hits, H = x[real], hits[real], H[real]
        eig = torch.linalg.eigvalsh(0.5 * (H + H.transpose(-1, -2)))
        values, gnorm = fmap.f(x), torch.linalg.vector_norm(flow.f(x), dim=-1)
    band = degeneracy_tol * eig.abs().amax(-1).clamp_min(1.0)
    return dict(points=x, values=values, gradient_norm=gnorm, eigenvalues=eig,
                morse_index=(eig < -band[:, None]).sum(-1), degenerate=eig.abs().amin(-1) <= band, hits=hits,
                flat=int((~real).sum()))


def _landscape(fmap: ScalarMap, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """``f`` on a regular ``LANDSCAPE x LANDSCAPE`` grid over a 2-D box, ``[i, j]`` at ``(x1_j, x2_i)``."""
    g1, g2 = (torch.linspace(float(low[i]), float(high[i]), LANDSCAPE, dtype=torch.float64) for i in range(2))
    X2, X1 = torch.meshgrid(g2, g1, indexing="ij")
    with torch.no_grad():
        return fmap.f(torch.stack([X1, X2], -1).reshape(-1, 2)).reshape(X1.shape)


def critical_points(model, domain, *, output=None, n_starts: int = 1024, tol: float = 1e-10,
                    degeneracy_tol: float = 1e-6, newton_tol: float = 1e-8, margin: float = 0.05, maxiter: int = 200,
                    max_starts: int | None = None, seed: int = 0) -> CriticalPoints:
    """Critical points of the scalar input–output map ``f`` of a network in the box ``domain``, with Morse data.

    The critical points are the equilibria of the gradient field ``dx/dt = grad f(x)``, whose Jacobian is the
    Hessian of ``f``. They are found by :func:`neurodyn.find_fixed_points` on that field: batched trust-region
    Newton from waves of ``n_starts`` uniform starts in the box until a wave finds nothing new (``PATIENCE``)
    or ``max_starts`` are spent, deflation, deduplication within 1e-6 of the starts' RMS norm. ``grad f``
    and the Hessian are analytic for MLPs (one forward pass) and by autograd for neural ODEs. Outside the box
    widened by ``margin``, a confining term ``kappa (x - clip(x))`` is added to the field (``kappa`` 100 times
    the median Hessian norm at 64 points of the box): zeros and Hessians inside are untouched, but iterates no
    longer run off to the saturated far field, where ``|grad f|`` decays to 0 and Newton's method heads. On the
    random 10-D network of ``bench/critical_points.py`` one wave of 4096 starts then finds 42 points in the box
    where stopping iterates half a box width outside found 29 (2910 of the starts left). Points outside the
    domain are dropped. The Hessian's eigenvalues give the Morse
    index (number of negative ones) and degeneracy (a zero one). Which architectures can have critical points
    at all, and of which kind, is :func:`neurodyn.architecture_class`.

    Args:
        model: an ``nn.Sequential`` of ``nn.Linear`` and ``nn.Tanh``/``nn.Sigmoid``/``nn.Identity`` layers, or a
            :class:`neurodyn.models.node.NeuralODEClassifier` (its map ``readout(phi_T([x, 0]))`` with its own
            fixed-grid scheme and steps), or ``nn.Sequential(nn.Linear, classifier)`` (an input affine map
            before it). Not modified: weights are copied to float64.
        output: which scalar map: ``None`` when the network has one output, an output index, or weights ``u``
            of ``u . outputs`` (e.g. ``[1, -1]``: the logit difference of a two-class classifier).
        domain: ``(low, high)``, scalars or ``(n,)`` bounds of the box searched (input units).
        n_starts: uniform random starts in the box.
        tol: a point is critical when ``|grad f|_2 <= tol``.
        degeneracy_tol: a point is degenerate when its smallest ``|Hessian eigenvalue| <= degeneracy_tol *
            max(1, |H|_2)`` (default 1e-6: the eigenvalues at a point known to ``|grad f| <= 1e-10`` are
            accurate to far better than this for unit-scale weights).
        newton_tol: a point with ``|grad f| <= tol`` is kept only if its Newton step ``|H^+ grad f|`` (``H^+`` the
            pseudo-inverse of the Hessian) is ``<= newton_tol * max(1, diagonal of the domain)``: a nearby zero of
            the gradient exists. Far out in saturated regions ``|grad f|`` falls below any ``tol`` with no zero.
        margin: the field is unmodified in the box widened by ``margin`` times its width on each side (a point
            just inside the box is reached from either side, and a path to it may pass outside); the confining
            term acts beyond. Points found outside the box are dropped.
        maxiter: solver iterations per start.
        max_starts: budget of starts over all waves (default ``4 * n_starts``; ``n_starts`` for one wave).
        seed: seed of the starts (the global random state is not used).

    Returns:
        :class:`CriticalPoints` (``.plot()`` for a 2-D domain).

    See also: :func:`neurodyn.find_fixed_points`, :func:`neurodyn.architecture_class`.
    """
    fmap = scalar_map(model, output)
    n = fmap.in_dim
    low, high = _domain(domain, n)
    n_starts = positive_int(n_starts, name="n_starts")
    tol, degeneracy_tol = positive_float(tol, name="tol"), positive_float(degeneracy_tol, name="degeneracy_tol")
    newton_tol = positive_float(newton_tol, name="newton_tol")
    margin = float(margin)
    if not margin >= 0:
        raise InvalidInputError(f"margin must be >= 0 (a fraction of the box's width), got {margin}")
    flow = gradient_flow(fmap, *_confinement(fmap, low, high, margin, seed))
    flow.probe((low + high)[None] / 2)
    found = find_fixed_points(flow, starts="box", box=(low, high), n_starts=n_starts, tol=tol, maxiter=maxiter,
                              margin=float("inf"), max_starts=max_starts, patience=PATIENCE, seed=seed,
                              n_vectors=1, count_box=(low, high))  # the confinement's zeros are outside: not new
    x = found.fixed.points
    inside = ((x >= low) & (x <= high)).all(-1)
    morse = _morse_data(fmap, flow, x[inside], found.fixed.hits[inside], newton_tol * max(1.0, float(
        torch.linalg.vector_norm(high - low))), degeneracy_tol)
    settings = dict(n_starts=n_starts, tol=tol, degeneracy_tol=degeneracy_tol, newton_tol=newton_tol, margin=margin,
                    maxiter=maxiter, max_starts=found.settings.get("max_starts"), patience=PATIENCE, seed=seed,
                    solver="find_fixed_points on the confined gradient field (Hessian as Jacobian)")
    return CriticalPoints(**morse, low=low, high=high, landscape=_landscape(fmap, low, high) if n == 2 else None,
                          model=type(model).__name__, starts=found.starts,
                          status=found.status if len(morse["points"]) else Status.NONE_FOUND, settings=settings)
