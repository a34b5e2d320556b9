"""Systems with exactly known slow/fast structure, shared by the slow-fast tests."""

import pytest
import torch

import neurodyn as nd


def linear_flow(eigenvalues, seed: int = 1, name: str = "linear") -> tuple[nd.Flow, torch.Tensor]:
    """``dx/dt = A x`` with ``A = S diag(eigenvalues) S^{-1}`` in a random basis ``S``; returns the flow and ``S``.
    Complex eigenvalues come as ``(re, im)`` tuples and give a real 2x2 rotation block."""
    blocks = []
    for lam in eigenvalues:
        if isinstance(lam, tuple):
            re, im = lam
            blocks.append(torch.tensor([[re, im], [-im, re]], dtype=torch.float64))
        else:
            blocks.append(torch.tensor([[float(lam)]], dtype=torch.float64))
    D = torch.block_diag(*blocks)
    n = D.shape[0]
    S = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    A = S @ D @ torch.linalg.inv(S)
    flow = nd.Flow(lambda t, x: x @ A.T, n, jacobian=lambda t, x: A.expand(*x.shape[:-1], n, n).clone(), name=name)
    return flow, S


@pytest.fixture
def make_linear():
    """The factory :func:`linear_flow`."""
    return linear_flow


@pytest.fixture
def linear4():
    """The spectrum {-1, -2} ∪ {-100, -200} in a random basis: 2 fast modes, eps = 2/100."""
    return linear_flow([-1.0, -2.0, -100.0, -200.0])


def closing_gap_flow() -> nd.Flow:
    """``x' = -x/2``, ``y' = -(1 + 100 x^2) y``: eps = 0.5 / (1 + 100 x^2), separated (<= 0.1) only for |x| >= 0.2."""
    def field(t, s):
        x, y = s.unbind(-1)
        return torch.stack((-0.5 * x, -(1 + 100 * x * x) * y), -1)

    def jac(t, s):
        x, y = s.unbind(-1)
        z = torch.zeros_like(x)
        return torch.stack((torch.stack((-0.5 + z, z), -1), torch.stack((-200 * x * y, -(1 + 100 * x * x)), -1)), -2)

    return nd.Flow(field, 2, jacobian=jac, name="closing gap")


@pytest.fixture
def closing_gap():
    return closing_gap_flow()
