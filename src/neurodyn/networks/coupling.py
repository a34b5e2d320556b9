"""Pair couplings ``g(x_i, x_j)`` of particle networks, as data.

A *separable* coupling ``g(x_i, x_j) = sum_k a_k(x_i) b_k(x_j)`` turns the interaction sum into a linear
operator applied to ``b(x)``: ``sum_j A_ij g(x_i, x_j) = sum_k a_k(x_i) (A b_k(x))_i``, so every graph computes it
at the cost of one product with ``A`` (O(edges) sparse, O(N r) low rank, O(N) all-to-all). The Kuramoto sine
coupling is separable through the order parameter:
``sin(x_j - x_i - alpha) = Im(e^{-i (x_i + alpha)} e^{i x_j})``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn.errors import InvalidInputError


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


Coupling = SeparableCoupling | PairCoupling


def sine_coupling(alpha: float = 0.0) -> SeparableCoupling:
    """Kuramoto(–Sakaguchi) coupling ``g(x_i, x_j) = sin(x_j - x_i - alpha)`` (phase lag ``alpha`` in radians).

    Written as ``sin(x_j) cos(x_i + alpha) - cos(x_j) sin(x_i + alpha)``, i.e. the imaginary part of
    ``e^{-i(x_i + alpha)} e^{i x_j}``: the all-to-all sum is ``N Im(e^{-i(x_i + alpha)} Z)`` with the order
    parameter ``Z = mean_j e^{i x_j}``.
    """
    a = float(alpha)

    def left(x):
        return torch.stack((torch.cos(x + a), -torch.sin(x + a)), dim=-1)

    def right(x):
        return torch.stack((torch.sin(x), torch.cos(x)), dim=-1)

    return SeparableCoupling(left, right, name=f"sin(x_j - x_i - {a:g})" if a else "sin(x_j - x_i)")


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
    if isinstance(g, SeparableCoupling | PairCoupling):
        return g
    if callable(g):
        return PairCoupling(g, name=getattr(g, "__name__", "pair"))
    raise InvalidInputError(f"the coupling g must be callable g(xi, xj), a SeparableCoupling or a PairCoupling, "
                            f"got {type(g).__name__}")
