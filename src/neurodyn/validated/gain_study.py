"""The bifurcations of ``dx/dt = -x + tanh(g W x)`` in the gain ``g``, every Hopf point proven (the demo's
bifurcation study, usable on its own)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn._linalg import eigvals
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status, to_jsonable


@dataclass(frozen=True, eq=False)
class GainBifurcations(Result):
    """The equilibrium branch of ``x = 0`` in the gain, its Hopf points with their proofs, and the cycles.

    Attributes:
        n, g_max: network size and the end of the gain interval ``[0, g_max]``.
        family: the :func:`~neurodyn.tanh_family` system (parameter ``"g"``).
        branch: :func:`~neurodyn.continue_equilibria` of ``x = 0`` in ``g``.
        hopf: the Hopf points the branch recorded; proofs: :func:`~neurodyn.prove_hopf_points` of them, in order.
        orbits: the periodic-orbit branch from the first Hopf point (empty when there is none, when it is
            degenerate, or when its continuation failed: ``cycles_error`` says why).
        exact_hopf_g: the exact crossings ``g = 1 / Re(lambda)`` over the complex pairs ``lambda`` of ``W`` in
            ``(0, g_max)`` (the Jacobian at 0 is ``-I + g W``), sorted.
        status: ``"ok"`` when every Hopf point is proven, else ``"not proved"``.
        seed: the seed ``W`` was drawn with (:func:`gain_matrix`).
    """

    n: int
    g_max: float
    family: object
    branch: object
    hopf: tuple
    proofs: tuple
    orbits: tuple
    exact_hopf_g: tuple[float, ...]
    cycles_error: str | None = None
    status: Status = Status.OK
    seed: int = 0

    @property
    def proved(self) -> int:
        """How many Hopf points are proven."""
        return sum(p.proved for p in self.proofs)

    def to_dict(self) -> dict:
        return to_jsonable({"branch": self.branch, "hopf_proofs": list(self.proofs), "cycles": list(self.orbits),
                            "exact_hopf_g": list(self.exact_hopf_g)})

    def plot(self, ax=None):
        """The bifurcation diagram with the cycles. Returns the axes."""
        return self.branch.plot(ax=ax, orbits=list(self.orbits))


def gain_matrix(n: int, seed: int) -> torch.Tensor:
    """The coupling ``W = randn(n, n) / sqrt(n)`` of the gain study, from a generator seeded with ``seed + 7``."""
    gen = torch.Generator().manual_seed(seed + 7)
    return torch.randn(n, n, generator=gen, dtype=torch.float64) / n**0.5


def hopf_first_seed(n: int, seed: int = 0, *, tries: int = 100) -> int:
    """The first seed from ``seed`` on whose :func:`gain_matrix` has its rightmost eigenvalues in a complex pair,
    so that ``x = 0`` of ``-x + tanh(g W x)`` (Jacobian ``-I + g W``) first loses stability, as ``g`` grows from 0,
    at a Hopf point rather than at a branch point: only there can the cycles born at the Hopf point be stable.

    Raises:
        InvalidInputError: when none of ``tries`` seeds has one.
    """
    for k in range(seed, seed + tries):
        ev = eigvals(gain_matrix(n, k))
        top = ev[int(torch.argmax(ev.real))]
        if float(top.real) > 0 and abs(float(top.imag)) > 1e-9 * (1.0 + abs(float(top.real))):
            return k
    raise InvalidInputError(f"none of the seeds {seed} .. {seed + tries - 1} gives an n = {n} coupling whose "
                            "rightmost eigenvalues form a complex pair; try another n or more tries")


def tanh_gain_bifurcations(n: int, *, g_max: float = 5.0, step: float = 0.05, max_cycles: int = 20,
                           seed: int = 0) -> GainBifurcations:
    """Continue ``x = 0`` of ``dx/dt = -x + tanh(g W x)`` (``W = randn(n, n) / sqrt(n)`` from a generator seeded
    with ``seed + 7``) in ``g`` from 0 to ``g_max``, prove every Hopf point on it with interval arithmetic, and
    continue the cycles born at the first one (``max_cycles`` orbits, 200 RK4 steps per period) towards the side
    where its normal form puts them.

    See also:
        :func:`hopf_first_seed` (a seed whose ``x = 0`` first loses stability at a Hopf point).

    Returns:
        :class:`GainBifurcations`; the exact crossings ``1 / Re(lambda(W))`` come with it for comparison.
    """
    import neurodyn as nd

    W = gain_matrix(n, seed)
    family = nd.tanh_family(torch.zeros(n, n, dtype=torch.float64), direction=W, leak=1.0, param="g",
                            name=f"-x + tanh(g W x), n = {n}")
    branch = nd.continue_equilibria(family, param="g", start=0.0, stop=g_max, step=step)
    hopf = [sp.hopf for sp in branch.special if sp.kind == "hopf"]
    proofs = list(nd.prove_hopf_points(family, hopf))
    orbits, error = [], None
    first = hopf[0] if hopf else None
    if first is not None and first.kind != "degenerate":
        end = g_max if -first.crossing / first.l1 > 0 else 0.0
        try:
            orbits.append(nd.continue_periodic_orbits(family, first, stop=end, step=step, max_points=max_cycles,
                                                      steps_per_period=200))
        except nd.NeurodynError as exc:  # the diagram stays useful without the cycles
            error = str(exc)
    exact = sorted(1 / float(mu.real) for mu in eigvals(W) if mu.imag > 0 and 0 < 1 / mu.real < g_max)
    status = Status.OK if all(p.proved for p in proofs) else Status.NOT_PROVED
    return GainBifurcations(n=n, g_max=g_max, family=family, branch=branch, hopf=tuple(hopf), proofs=tuple(proofs),
                            orbits=tuple(orbits), exact_hopf_g=tuple(exact), cycles_error=error, status=status,
                            seed=seed)
