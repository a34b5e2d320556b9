"""Interacting particle systems on graphs, as :class:`~neurodyn.Flow` systems.

``dx_i/dt = f(x_i, omega_i) + (K / N) sum_j A_ij g(x_i, x_j)``, ``i = 1..N``, scalar states ``x: (..., N)``.
Every analysis that accepts a :class:`~neurodyn.Flow` accepts a :class:`ParticleNetwork`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from neurodyn._checks import as_tensor
from neurodyn.errors import InvalidInputError
from neurodyn.networks.coupling import as_coupling, sine_coupling, tanh_coupling
from neurodyn.networks.graphs import check_graph
from neurodyn.systems import Flow


class _NetworkField:
    """The field ``f(x, omega, params) + (scale / N) * graph.interact(g, x)`` (a picklable record)."""

    def __init__(self, f, coupling, graph, omega, scale):
        self.f, self.coupling, self.graph, self.omega, self.scale = f, coupling, graph, omega, scale

    def __call__(self, t, x, params=None):
        params = params or {}
        interaction = self.graph.interact(self.coupling, x)
        omega = self.omega.to(x.dtype) if self.omega is not None else None
        own = self.f(x, omega, params)
        if self.scale is None:
            return torch.add(own, interaction, alpha=1.0 / self.graph.n)
        return torch.addcmul(own, interaction, params[self.scale] / self.graph.n)  # one fused pass


class ParticleNetwork(Flow):
    """``dx_i/dt = f(x_i, omega_i, params) + (K / N) sum_j A_ij g(x_i, x_j)`` as a :class:`~neurodyn.Flow`.

    Args:
        f: the node dynamics, batched ``(x: (..., N), omega: (N,) | None, params: dict) -> (..., N)``.
        g: the coupling: a :class:`SineCoupling` or :class:`SeparableCoupling` (one product with ``A`` per
            evaluation: O(edges), O(N r), O(N)), a :class:`PairCoupling`, or a callable ``g(xi, xj)`` (one
            evaluation per edge).
        graph: a :class:`DenseGraph`, :class:`SparseGraph`, :class:`LowRankGraph`, :class:`CompleteGraph`, or a
            sample of a :class:`Graphon`; its size ``N`` is the state dimension.
        omega: optional per-node parameters ``(N,)`` (natural frequencies, external inputs).
        params: optional dict of named scalars/tensors passed to ``f``; ``scale`` names the one multiplying
            the interaction.
        scale: name of the parameter ``K`` in ``params`` (default ``"K"`` when ``params`` has it, else ``K = 1``).
        name, dtype, device: as for :class:`~neurodyn.Flow`.

    The state of a network of ``N`` scalar particles is ``(..., N)``; :meth:`with_params` gives the same network
    at another coupling (a ``(B, 1)`` tensor ``K`` runs ``B`` couplings as one batch).

    See also: :func:`kuramoto`, :func:`rate_network`, :func:`order_parameter`, :func:`simulate`.
    """

    def __init__(self, f: Callable, g, graph, *, omega=None, params: Mapping[str, object] | None = None,
                 scale: str | None = None, name: str = "particle network", dtype: torch.dtype = torch.float64,
                 device=None):
        if not callable(f):
            raise InvalidInputError(f"the node dynamics f of {name!r} must be callable f(x, omega, params)")
        check_graph(graph)
        coupling = as_coupling(g)
        if omega is not None:
            omega = as_tensor(omega, name=f"omega of {name!r}", dtype=dtype, device=device)
            if omega.shape != (graph.n,):
                raise InvalidInputError(f"omega of {name!r} has shape {tuple(omega.shape)}, but the graph has "
                                        f"N = {graph.n} nodes; give one value per node, shape ({graph.n},)")
        if scale is None and params is not None and "K" in params:
            scale = "K"
        if scale is not None and (params is None or scale not in params):
            raise InvalidInputError(f"scale={scale!r} of {name!r} names no entry of params {sorted(params or {})}")
        self.node_dynamics, self.graph, self.coupling, self.omega, self.scale = f, graph, coupling, omega, scale
        field = _NetworkField(f, coupling, graph, omega, scale)
        super().__init__(field, graph.n, params=dict(params) if params is not None else {}, name=name,
                         dtype=dtype, device=device)

    @property
    def n(self) -> int:
        """Number of particles ``N``."""
        return self.graph.n


def _phase_velocity(x, omega, params):
    return omega.expand_as(x) if omega is not None else torch.zeros_like(x)


def is_phase_model(network: ParticleNetwork) -> bool:
    """Whether ``network``'s node dynamics are the Kuramoto phase velocity ``f = omega`` (:func:`kuramoto`)."""
    return network.node_dynamics is _phase_velocity


def _leaky_rate(x, omega, params):
    return -x if omega is None else omega - x


def kuramoto(graph, omega, *, K: float = 1.0, alpha: float = 0.0, name: str = "kuramoto") -> ParticleNetwork:
    """The Kuramoto(–Sakaguchi) model ``dx_i/dt = omega_i + (K / N) sum_j A_ij sin(x_j - x_i - alpha)``.

    On a :class:`CompleteGraph` the sum costs O(N) through the order parameter ``Z = mean_j e^{i x_j}``.
    ``K`` is the parameter ``"K"`` (vary it with ``with_params(K=...)``); ``alpha`` is the phase lag in radians
    (Sakaguchi & Kuramoto, Prog. Theor. Phys. 76, 576, 1986).
    """
    return ParticleNetwork(_phase_velocity, sine_coupling(alpha), graph, omega=omega, params={"K": K},
                           scale="K", name=name)


def rate_network(graph, inputs=None, *, J: float = 1.0, name: str = "rate network") -> ParticleNetwork:
    """Rate neurons ``dx_i/dt = -x_i + (J/N) sum_j A_ij tanh(x_j) + I_i`` (``inputs`` = ``I``, default 0).

    ``J`` (default 1) is the parameter ``"J"``. With ``I = 0`` the origin is an equilibrium with Jacobian
    ``-1 + (J/N) A``; on a graphon sample its leading eigenvalue tends to ``-1 + J lambda_max(W)``, the linear
    stability of the graphon limit.
    """
    return ParticleNetwork(_leaky_rate, tanh_coupling(), graph, omega=inputs, params={"J": J}, scale="J",
                           name=name)
