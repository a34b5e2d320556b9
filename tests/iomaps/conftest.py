"""Fixtures of the iomaps tests."""

import math

import pytest
import torch
from iomaps_nets import PLANTED_AT, mlp, set_weights  # noqa: F401


@pytest.fixture
def saddle_mlp():
    """2 -> 8 -> 1 tanh MLP with f(p + y) = y1^2 - y2^2 + O(|y|^4) at p = PLANTED_AT: four symmetric pairs of
    neurons tanh(c + u.y) + tanh(c - u.y) (even in y, so grad f(p) = 0 exactly) along e1, e2 and the diagonals,
    with output weights chosen so that the Hessian at p is diag(2, -2)."""
    c, beta = -0.5, 0.25
    t2 = -2 * math.tanh(c) / math.cosh(c) ** 2  # tanh''(c); a pair with weight w adds w * 2 t2 u u^T
    s = 1 / math.sqrt(2)
    U = torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [-s, -s], [s, -s], [-s, s]], dtype=torch.float64)
    w1, w2, w3 = (2 - beta) / (2 * t2), (-2 - beta) / (2 * t2), beta / (2 * t2)
    w = torch.tensor([[w1, w1, w2, w2, w3, w3, w3, w3]], dtype=torch.float64)
    p = torch.tensor(PLANTED_AT, dtype=torch.float64)
    return set_weights(mlp(2, 8, 1), (U, c - U @ p), (w, [0.0]))


@pytest.fixture
def line_mlp():
    """2 -> 2 -> 1 with a rank-1 first layer: f(x) = g(x1 + x2), g(s) = tanh(s + 1/2) - tanh(s - 1/2), whose
    only critical point is s = 0: f is critical on the whole line x1 + x2 = 0 (degenerate: constant along it)."""
    return set_weights(mlp(2, 2, 1), ([[1.0, 1.0], [1.0, 1.0]], [0.5, -0.5]), ([[1.0, -1.0]], [0.0]))
