"""Pair couplings ``g(x_i, x_j)`` of particle networks, as data.

A *separable* coupling ``g(x_i, x_j) = sum_k a_k(x_i) b_k(x_j)`` turns the interaction sum into a linear
operator applied to ``b(x)``: ``sum_j A_ij g(x_i, x_j) = sum_k a_k(x_i) (A b_k(x))_i``, so every graph computes it
at the cost of one product with ``A`` (O(edges) sparse, O(N r) low rank, O(N) all-to-all). The Kuramoto sine
coupling is separable through the order parameter:
``sin(x_j - x_i - alpha) = Im(e^{-i (x_i + alpha)} e^{i x_j})`` (:class:`SineCoupling`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn.errors import InvalidInputError

Apply = Callable[[tuple[torch.Tensor, ...]], tuple[torch.Tensor, ...]]


@dataclass(frozen=True)
class SeparableCoupling:
    """``g(x_i, x_j) = sum_k left(x_i)[k] * right(x_j)[k]``.

    Args:
        left, right: batched functions ``(..., N) -> (..., N, m)`` (same ``m``).
        name: label used in messages.
    """

    left: Callable[[torch.Tensor], torch.Tensor]
    right: Callable[[torch.Tensor], torch.Tensor]
    name: str = "separable"

    def sum_over(self, x: torch.Tensor, apply: Apply) -> torch.Tensor:
        """``sum_k left_k(x_i) (A right_k(x))_i``, ``(..., N)``, given the graph's product ``apply``: a tuple of
        ``m`` feature vectors ``(..., N)`` to the tuple of their products with ``A`` (``(..., N)``, or ``(..., 1)``
        broadcasting over the nodes)."""
        products = apply(self.right(x).unbind(-1))
        return (self.left(x) * torch.stack(torch.broadcast_tensors(*products), dim=-1)).sum(-1)


@dataclass(frozen=True)
class SineCoupling:
    """Kuramoto(–Sakaguchi) coupling ``g(x_i, x_j) = sin(x_j - x_i - alpha)`` (phase lag ``alpha`` in radians).

    Separable through the order parameter: ``sum_j A_ij sin(x_j - x_i - alpha) = Im(e^{-i(x_i + alpha)}
    (A e^{ix})_i) = cos(x_i + alpha) (A sin x)_i - sin(x_i + alpha) (A cos x)_i``; all-to-all, ``A e^{ix} = N Z``
    with ``Z`` the order parameter. One ``cos`` and one ``sin`` per node and one product with ``A`` per call.
    """

    alpha: float = 0.0

    @property
    def name(self) -> str:
        return f"sin(x_j - x_i - {self.alpha:g})" if self.alpha else "sin(x_j - x_i)"

    def sum_over(self, x: torch.Tensor, apply: Apply) -> torch.Tensor:
        """``sum_j A_ij sin(x_j - x_i - alpha)``, ``(..., N)``, given the graph's product ``apply`` as in
        :meth:`SeparableCoupling.sum_over`."""
        c, s = torch.cos(x), torch.sin(x)
        gs, gc = apply((s, c))
        if self.alpha:
            ca, sa = math.cos(self.alpha), math.sin(self.alpha)
            gs, gc = gs * ca - gc * sa, gs * sa + gc * ca
        return (c * gs).addcmul_(s, gc, value=-1)  # one fresh tensor: c gs - s gc


@dataclass(frozen=True)
class PairCoupling:
    """A general coupling ``g(x_i, x_j)``, batched over broadcastable arguments; costs one evaluation per edge
    (dense and sparse graphs only).

    Args:
        g: ``(xi, xj) -> g(xi, xj)`` elementwise with broadcasting.
        name: label used in messages.
    """

    g: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    name: str = "pair"


Coupling = SeparableCoupling | SineCoupling | PairCoupling


def sine_coupling(alpha: float = 0.0) -> SineCoupling:
    """The Kuramoto(–Sakaguchi) coupling ``sin(x_j - x_i - alpha)`` (see :class:`SineCoupling`)."""
    a = float(alpha)
    if not math.isfinite(a):
        raise InvalidInputError(f"the phase lag alpha must be finite, got {alpha!r}")
    return SineCoupling(a)


def _ones(x):
    return torch.ones_like(x).unsqueeze(-1)


def _tanh(x):
    return torch.tanh(x).unsqueeze(-1)


def tanh_coupling() -> SeparableCoupling:
    """Rate-neuron coupling ``g(x_i, x_j) = tanh(x_j)``."""
    return SeparableCoupling(_ones, _tanh, name="tanh(x_j)")


def as_coupling(g) -> Coupling:
    """``g`` as a coupling: a :class:`SeparableCoupling`/:class:`PairCoupling` as is, a callable
    ``g(xi, xj)`` as a :class:`PairCoupling`."""
    if isinstance(g, SeparableCoupling | SineCoupling | PairCoupling):
        return g
    if callable(g):
        return PairCoupling(g, name=getattr(g, "__name__", "pair"))
    raise InvalidInputError("the coupling g must be callable g(xi, xj), a SeparableCoupling, SineCoupling or "
                            f"PairCoupling, got {type(g).__name__}")
