"""Equilibria of delay equations and their stability from the characteristic equation.

An equilibrium ``x*`` of ``dx/dt = f(x(t), x(t - tau_1), ..., x(t - tau_m))`` solves the ordinary equation
``f(x*, x*, ..., x*) = 0``, found by :func:`neurodyn.find_fixed_points` on the flow ``x' = f(x, x, ..., x)``. Its
stability is decided by the roots of the characteristic equation

    det(lambda I - A_0 - sum_j A_j exp(-lambda tau_j)) = 0,   A_0 = df/dx(x*),  A_j = df/dx_delayed_j(x*),

infinitely many, with finitely many in any right half-plane: ``x*`` is asymptotically stable iff all have
negative real part. The leading roots are the eigenvalues of the infinitesimal generator of the solution
operator, discretised by Chebyshev collocation on ``[-tau_max, 0]`` (Breda, Maset & Vermiglio 2005, SIAM J. Sci.
Comput. 27, 482; the rightmost roots converge spectrally in the number of nodes): on the ``M + 1`` Chebyshev
nodes ``theta_i``, the rows ``i >= 1`` are the differentiation matrix (``phi' = A phi``), and row 0 is the
equation, ``A_0 phi(0) + sum_j A_j phi(-tau_j)`` with ``phi(-tau_j)`` from the interpolating polynomial.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from neurodyn._checks import positive_int
from neurodyn.delay.scheme import field_and_jacobians
from neurodyn.delay.solve import as_delay_flow
from neurodyn.equilibria import find_fixed_points
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status
from neurodyn.systems.protocol import Flow


def chebyshev(M: int, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``theta_i = tau (cos(i pi / M) - 1) / 2`` on ``[-tau, 0]`` (``theta_0 = 0``) and the differentiation
    matrix there (Trefethen, *Spectral Methods in MATLAB*, 2000, ``cheb``, scaled by ``2 / tau``)."""
    x = np.cos(np.pi * np.arange(M + 1) / M)
    c = np.ones(M + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(M + 1)
    dX = x[:, None] - x[None, :]
    D = np.outer(c, 1 / c) / (dX + np.eye(M + 1))
    D -= np.diag(D.sum(axis=1))
    return tau * (x - 1) / 2, D * (2 / tau)


def lagrange_row(nodes: np.ndarray, theta: float) -> np.ndarray:
    """Weights ``l_i(theta)`` of the interpolating polynomial through ``nodes`` (barycentric form, Berrut &
    Trefethen 2004); exact at a node."""
    hit = np.isclose(nodes, theta, rtol=0, atol=1e-14 * max(1.0, abs(theta)))
    if hit.any():
        return hit.astype(float)
    M = len(nodes) - 1
    w = (-1.0) ** np.arange(M + 1)
    w[0] *= 0.5
    w[-1] *= 0.5
    terms = w / (theta - nodes)
    return terms / terms.sum()


def generator_matrix(A0: np.ndarray, As: list[np.ndarray], delays: tuple[float, ...], M: int) -> np.ndarray:
    """The ``(M + 1) n``-square collocation matrix of the generator (see the module docstring)."""
    n = A0.shape[0]
    nodes, D = chebyshev(M, max(delays))
    A = np.kron(D, np.eye(n))
    row = np.zeros((n, (M + 1) * n))
    row[:, :n] += A0
    for Aj, tau in zip(As, delays, strict=True):
        row += np.kron(lagrange_row(nodes, -tau)[None, :], Aj)
    A[:n] = row
    return A


@dataclass(frozen=True, eq=False)
class CharacteristicRoots(Result):
    """Leading roots of the characteristic equation at an equilibrium.

    Attributes:
        point: ``(n,)`` the equilibrium. roots: ``(r,)`` complex roots, decreasing real part.
        leading: the largest real part (per unit time). stable: ``leading < 0``.
        change: ``max |root(M) - root(3M/2)| / (1 + |root|)`` over the roots reported, the convergence check.
        status: ``"converged"`` when ``change`` is below ``tol (1 + |root|)``, else ``"unconverged"``.
        settings: ``nodes`` (M), ``tol``, the delays.
    """

    point: torch.Tensor
    roots: torch.Tensor
    leading: float
    stable: bool
    change: float
    status: Status
    settings: dict = field(default_factory=dict)


def characteristic_roots(system, point, *, nodes: int = 32, count: int = 6, tol: float = 1e-8) -> CharacteristicRoots:
    """The ``count`` rightmost characteristic roots of ``system`` linearised at ``point`` (Chebyshev collocation of
    the generator with ``nodes`` intervals, checked against ``3 nodes / 2``; see the module docstring).

    Args:
        system: a :class:`~neurodyn.DelayFlow`. point: ``(n,)`` an equilibrium (not checked to be one).
        nodes: Chebyshev intervals ``M`` (the matrix has ``(M + 1) n`` rows). count: roots reported.
        tol: relative change between ``M`` and ``3M/2`` accepted as converged.

    Only roots with ``|lambda| <= M / (2 tau_max)`` are reported (the collocation resolves those; beyond, it has
    spurious eigenvalues of large imaginary part), so fewer than ``count`` may come back; raise ``nodes`` for more.

    Returns: :class:`CharacteristicRoots` (units: 1/time).
    """
    system = as_delay_flow(system)
    M = positive_int(nodes, name="nodes", minimum=4)
    count = positive_int(count, name="count")
    x = torch.as_tensor(point, dtype=system.dtype).reshape(-1)
    if x.shape != (system.dim,):
        raise InvalidInputError(f"point has shape {tuple(point.shape)}; give one state ({system.dim},)")
    m = len(system.delays)
    t = torch.zeros((), dtype=system.dtype)
    xd = x.expand(m, -1).unsqueeze(0)
    system.probe(x.unsqueeze(0), xd)
    _, Jx, Jd = field_and_jacobians(system, t, x.unsqueeze(0), xd)
    A0 = Jx[0].numpy()
    As = [Jd[0, j].numpy() for j in range(m)]
    radius = M / (2 * system.tau_max)  # what M nodes resolve; beyond it the collocation has spurious eigenvalues
    roots = [_rightmost(generator_matrix(A0, As, system.delays, q), count, radius) for q in (M, M + M // 2)]
    r = min(len(roots[0]), len(roots[1]))
    roots = [roots[0][:r], roots[1][:r]]
    change = float(np.max(np.abs(roots[0] - roots[1]) / (1 + np.abs(roots[1]))))
    leading = float(roots[1][0].real)
    status = Status.CONVERGED if change <= tol else Status.UNCONVERGED
    return CharacteristicRoots(point=x, roots=torch.from_numpy(roots[1]), leading=leading, stable=leading < 0,
                               change=change, status=status,
                               settings={"nodes": M, "tol": tol, "delays": list(system.delays)})


def _rightmost(A: np.ndarray, count: int, radius: float) -> np.ndarray:
    ev = np.linalg.eigvals(A)
    ev = ev[np.abs(ev) <= radius]
    order = np.lexsort((-ev.imag, -ev.real))
    return ev[order][:count]


@dataclass(frozen=True, eq=False)
class DelayEquilibria(Result):
    """Equilibria of a delay flow with their characteristic roots.

    Attributes: points ``(P, n)``; roots, one :class:`CharacteristicRoots` per point; stable ``(P,)``;
    search, the :class:`~neurodyn.FixedPoints` of ``x' = f(x, x)``; status (the search's, or ``"unconverged"``
    when some point's roots did not converge).
    """

    points: torch.Tensor
    roots: list
    stable: torch.Tensor
    search: object
    status: Status


def delay_equilibria(system, *, nodes: int = 32, count: int = 6, **search) -> DelayEquilibria:
    """Equilibria ``f(x*, ..., x*) = 0`` of a :class:`~neurodyn.DelayFlow` (found by
    :func:`neurodyn.find_fixed_points` on ``x' = f(x, x, ..., x)``, with its options ``**search``) and their
    stability from the rightmost characteristic roots (:func:`characteristic_roots` with ``nodes``, ``count``).

    Unless ``search`` says otherwise, the starts are uniform in the box ``[-2 r, 2 r]^n``, ``r`` the largest
    magnitude among 64 histories drawn by ``system.sample_history`` (at least 1). Only the points are shared
    with ``x' = f(x, x)``; their stability comes from the characteristic roots.
    """
    system = as_delay_flow(system)
    m = len(system.delays)

    def field(t, x):
        return system.stacked_field(t, x, x.unsqueeze(-2).expand(*x.shape[:-1], m, x.shape[-1]))

    def sample(batch, gen):
        return system.sample_history(batch, gen)

    ode = Flow(field, system.dim, name=f"{system.name} without delay", dtype=system.dtype, sample_state=sample)
    if "starts" not in search and "box" not in search:
        r = max(1.0, float(system.sample_history(64, torch.Generator().manual_seed(0)).abs().max()))
        search = dict(search, starts="box", box=(-2 * r, 2 * r))
    found = find_fixed_points(ode, **search)
    pts = found.fixed.points
    roots = [characteristic_roots(system, p, nodes=nodes, count=count) for p in pts]
    stable = torch.tensor([r.stable for r in roots], dtype=torch.bool)
    status = found.status if all(r.status == Status.CONVERGED for r in roots) else Status.UNCONVERGED
    return DelayEquilibria(points=pts, roots=roots, stable=stable, search=found, status=status)


