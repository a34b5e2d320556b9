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


def test_tanh_family_jacobian_matches_autodiff_and_hopf_points_sit_at_minus_real_parts():
    gen = torch.Generator().manual_seed(3)
    A = torch.randn(8, 8, generator=gen, dtype=torch.float64) / 8**0.5
    D = torch.randn(8, 8, generator=gen, dtype=torch.float64) / 8**0.5
    b, d = torch.randn(8, generator=gen, dtype=torch.float64), torch.randn(8, generator=gen, dtype=torch.float64)
    system = nd.tanh_family(A, direction=D, b=b, b_direction=d, leak=0.7, value=0.3)
    x = torch.randn(5, 8, generator=gen, dtype=torch.float64)
    auto = torch.func.vmap(torch.func.jacrev(lambda z: system.fn(0.0, z, system.params)))(x)
    assert torch.allclose(system.jacobian(x), auto, atol=1e-14, rtol=0)
    W, bias = system.tanh_form.at(0.3)
    assert torch.allclose(system.fn(0.0, x, system.params), -0.7 * x + torch.tanh(x @ W.T + bias), atol=1e-15, rtol=0)
    # tanh((A + alpha I) x): eigenvalues of the Jacobian at 0 are lambda(A) + alpha, so Hopf at -Re(lambda)
    lam = torch.linalg.eigvals(A)
    expected = sorted((-lam[lam.imag > 0].real).tolist())
    found = sorted(h.value for h in nd.find_hopf_points(nd.tanh_family(A), param="alpha", start=0.0))
    assert found == pytest.approx(expected, abs=1e-12)


def test_tanh_family_rejects_bad_shapes_and_names():
    with pytest.raises(nd.InvalidInputError, match="square"):
        nd.tanh_family(torch.zeros(2, 3))
    with pytest.raises(nd.InvalidInputError, match="direction"):
        nd.tanh_family(torch.zeros(2, 2), direction=torch.zeros(3, 3))
    with pytest.raises(nd.InvalidInputError, match="param"):
        nd.tanh_family(torch.zeros(2, 2), param="not a name")
