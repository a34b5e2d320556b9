"""The analytic tanh-field Jacobian and push-forward against autodiff."""

import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError

F64 = torch.float64


@pytest.mark.parametrize("mlp,leak", [(False, 0.0), (False, 1.0), (True, 0.0), (True, 0.3)])
def test_tanh_field_jacobian_and_push_forward_match_autodiff(mlp, leak):
    gen = torch.Generator().manual_seed(0)
    n, h = 5, (7 if mlp else 5)
    W, b = torch.randn(h, n, generator=gen, dtype=F64), torch.randn(h, generator=gen, dtype=F64)
    out = dict(W_out=torch.randn(n, h, generator=gen, dtype=F64), b_out=torch.randn(n, generator=gen, dtype=F64))
    flow = nd.tanh_field(W, b, leak=leak, **(out if mlp else {}))
    x = torch.randn(3, 4, n, generator=gen, dtype=F64)
    Wo, bo = (out["W_out"], out["b_out"]) if mlp else (torch.eye(n, dtype=F64), torch.zeros(n, dtype=F64))
    torch.testing.assert_close(flow.f(x, 0.0), torch.tanh(x @ W.T + b) @ Wo.T + bo - leak * x, rtol=0, atol=1e-14)
    auto = nd.Flow(lambda t, y: flow.fn(t, y), n)  # the same field, differentiated by torch.func
    torch.testing.assert_close(flow.jacobian(x, 0.0), auto.jacobian(x, 0.0), rtol=0, atol=1e-12)
    V = torch.randn(3, 4, n, 2, generator=gen, dtype=F64)
    fx, JV = flow.push_forward(x, 0.0, V)
    torch.testing.assert_close(JV, auto.jacobian(x, 0.0) @ V, rtol=0, atol=1e-12)
    torch.testing.assert_close(fx, flow.f(x, 0.0), rtol=0, atol=0)


def test_tanh_field_bad_shapes():
    with pytest.raises(InvalidInputError, match="square W"):
        nd.tanh_field(torch.zeros(3, 2))
    with pytest.raises(InvalidInputError, match="need b"):
        nd.tanh_field(torch.zeros(3, 2), torch.zeros(3), W_out=torch.zeros(3, 3))
