"""Numerical ranks of linear maps and the equivalent full-rank MLP of a network with rank-deficient weights."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn

from neurodyn.iomaps.network import Network


@dataclass(frozen=True)
class Rank:
    """The numerical rank of a ``(out, in)`` matrix: singular values above ``tol = rank_tol * s_max``."""

    rank: int
    full: bool
    tol: float
    singular_values: torch.Tensor


def numerical_rank(W: torch.Tensor, rank_tol: float) -> Rank:
    """Rank of ``W`` counting singular values ``> rank_tol * s_max`` (``s_max`` the largest singular value)."""
    s = torch.linalg.svdvals(W)
    tol = rank_tol * float(s[0]) if len(s) else 0.0
    r = int((s > tol).sum())
    return Rank(rank=r, full=r == min(W.shape), tol=tol, singular_values=s)


def merge_linear(net: Network) -> Network:
    """The same network with consecutive linear maps that have no activation between them composed into one
    (``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``): widths of such maps say nothing about the map."""
    Ws, bs, acts = [net.weights[0]], [net.biases[0]], [net.activations[0]]
    for W, b, a in zip(net.weights[1:], net.biases[1:], net.activations[1:], strict=True):
        if all(x == "identity" for x in acts[-1]):
            Ws[-1], bs[-1] = W @ Ws[-1], W @ bs[-1] + b
            acts[-1] = a
        else:
            Ws.append(W)
            bs.append(b)
            acts.append(a)
    return Network(net.kind, tuple(Ws), tuple(bs), tuple(acts), net.name, net.node)


def factor_rank_deficient(net: Network, rank_tol: float) -> Network:
    """Each linear map ``W`` of rank ``r < min(out, in)`` written as two full-rank maps through width ``r``:
    ``W = U_r (S_r V_r^T)`` from the SVD (the discarded singular values are below ``rank_tol * s_max``), with no
    activation between them. The network computes the same map (up to the discarded singular values)."""
    Ws, bs, acts = [], [], []
    for W, b, a in zip(net.weights, net.biases, net.activations, strict=True):
        rk = numerical_rank(W, rank_tol)
        if rk.full:
            Ws.append(W)
            bs.append(b)
            acts.append(a)
            continue
        U, S, Vh = torch.linalg.svd(W, full_matrices=False)
        r = rk.rank
        Ws += [S[:r, None] * Vh[:r], U[:, :r]]
        bs += [torch.zeros(r, dtype=W.dtype), b]
        acts += [(), a]
    return Network(net.kind, tuple(Ws), tuple(bs), tuple(acts), net.name, net.node)


def to_sequential(net: Network) -> nn.Sequential:
    """``net`` as a float64 ``nn.Sequential`` of ``nn.Linear`` and activation layers."""
    names = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
    layers = []
    for W, b, a in zip(net.weights, net.biases, net.activations, strict=True):
        with warnings.catch_warnings():  # a rank-0 map factors through width 0: PyTorch warns on empty weights
            warnings.simplefilter("ignore", UserWarning)
            lin = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        layers.append(lin)
        layers += [names[x]() for x in a]
    return nn.Sequential(*layers)
