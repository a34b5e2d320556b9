"""The batched damped Newton method used for the slow manifold."""

import torch

from neurodyn.numerics import batched_newton


def _square(a):
    def fun(y):
        return y * y - a, torch.diag_embed(2 * y)
    return fun


def test_rows_converge_independently_to_square_roots():
    a = torch.tensor([[2.0], [9.0], [1e-4]], dtype=torch.float64)
    out = batched_newton(_square(a), torch.full((3, 1), 50.0, dtype=torch.float64))
    assert bool(out.converged.all())
    assert torch.allclose(out.y, a.sqrt(), rtol=1e-14)
    assert float(out.residual.max()) < 1e-13


def test_no_root_is_reported_not_converged():
    # y^2 + 1 = 0 has no real root: the residual cannot fall below 1 and the row never converges
    a = torch.tensor([[4.0], [-1.0]], dtype=torch.float64)
    out = batched_newton(_square(a), torch.tensor([[3.0], [0.7]], dtype=torch.float64), maxiter=30)
    assert out.converged.tolist() == [True, False]
    assert abs(float(out.y[0, 0]) - 2.0) < 1e-15
    assert float(out.residual[1]) >= 1.0
