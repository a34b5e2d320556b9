"""The Map/Flow protocol: autodiff Jacobians and JVPs, parameters, restrictions, validation."""

import pytest
import torch

import neurodyn as nd

SYSTEMS = [nd.logistic(3.7), nd.henon(), nd.lorenz(), nd.random_tanh_rnn(7, 1.5, seed=1)]


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.name)
def test_analytic_jacobians_of_reference_systems_match_autodiff(system):
    gen = torch.Generator().manual_seed(0)
    x = system.sample_state(5, gen)
    c = torch.tensor(0.3, dtype=torch.float64) if isinstance(system, nd.Flow) else None
    analytic = system.jacobian(x, c)
    derived = type(system)(system.fn, system.dim, params=system.params).jacobian(x, c)
    torch.testing.assert_close(analytic, derived, rtol=0, atol=1e-12)


def test_push_forward_and_jvp_without_jacobian():
    A = torch.tensor([[0.5, 2.0], [-1.0, 0.25]], dtype=torch.float64)
    m = nd.Map(lambda x, u: torch.sin(x @ A.T), 2)
    x = torch.tensor([[0.1, -0.4], [1.0, 2.0]], dtype=torch.float64)
    J = torch.cos(x @ A.T).unsqueeze(-1) * A
    V = torch.randn(2, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out, JV = m.push_forward(x, None, V)
    torch.testing.assert_close(out, torch.sin(x @ A.T))
    torch.testing.assert_close(JV, J @ V, rtol=0, atol=1e-15)
    torch.testing.assert_close(m.jvp(x, None, V[..., 0])[1], (J @ V[..., :1])[..., 0], rtol=0, atol=1e-15)
    torch.testing.assert_close(m.jacobian(x), J, rtol=0, atol=1e-15)


def test_params_are_passed_and_replaced_without_mutation():
    system = nd.henon(1.4, 0.3)
    other = system.with_params(a=1.2)
    x = torch.tensor([0.5, 0.2], dtype=torch.float64)
    assert float(system.step(x, None)[0]) == pytest.approx(1 - 1.4 * 0.25 + 0.2, abs=1e-15)
    assert float(other.step(x, None)[0]) == pytest.approx(1 - 1.2 * 0.25 + 0.2, abs=1e-15)
    with pytest.raises(nd.InvalidInputError, match="no parameter"):
        system.with_params(c=1.0)


def test_bad_constructor_arguments():
    with pytest.raises(nd.InvalidInputError, match="dim"):
        nd.Map(lambda x, u: x, 0)
    with pytest.raises(nd.InvalidInputError, match="callable"):
        nd.Flow("not a function", 2)
    with pytest.raises(nd.NonFiniteError, match="'r'"):
        nd.Map(lambda x, u, p: x, 1, params={"r": float("nan")})


@pytest.mark.parametrize("index", [[0, 0], [-1], [5], []])
def test_bad_tangent_index(index):
    with pytest.raises(nd.InvalidInputError, match="tangent_index"):
        nd.Map(lambda x, u: x, 3, tangent_index=index)
