"""time_scales on tanh networks with a symmetric W: the symmetric similarity gives the general solver's answers."""

import pytest
import torch

import neurodyn as nd


def _symmetric_planted(n=60, n_slow=6, eps=0.01, leak=1.0):
    W = nd.planted_tanh(n, n_slow, eps, seed=3).tanh_form.W
    W = 0.5 * (W + W.T)
    b = 0.2 * torch.randn(n, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    return nd.tanh_field(W, b, leak=leak, name="symmetric planted")


def _general(flow):
    """The same field and Jacobian as a plain Flow (no tanh_form): time_scales takes the general eigen-solver."""
    return nd.Flow(lambda t, x: flow.f(x), flow.dim, jacobian=lambda t, x: flow.jacobian(x), name="general")


def _states(n, count, scale, seed=0):
    return scale * torch.randn(count, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("scale", [0.05, 0.5, 30.0])  # unsaturated, mixed, saturated (some 1 - tanh^2 == 0)
def test_symmetric_path_equals_the_general_solver(scale):
    flow = _symmetric_planted()
    x = _states(60, 12, scale)
    ours, ref = nd.time_scales(flow, x), nd.time_scales(_general(flow), x)
    if scale == 30.0:  # the test covers singular D
        assert bool((1 - torch.tanh(x @ flow.tanh_form.W.T + flow.tanh_form.b) ** 2 == 0).any())
    assert torch.equal(ours.eigenvalues.imag, torch.zeros_like(ours.eigenvalues.imag))  # real, as they must be
    scale_J = float(torch.linalg.matrix_norm(flow.jacobian(x), ord=2).max())
    assert float((ours.eigenvalues - ref.eigenvalues).abs().max()) <= 1e-12 * scale_J  # backward-stable solvers
    assert ours.n_fast == ref.n_fast and ours.status == ref.status
    assert torch.equal(ours.best_n_fast, ref.best_n_fast)
    assert torch.allclose(ours.best_eps, ref.best_eps, rtol=1e-10, atol=0)
    assert torch.equal(ours.separated, ref.separated)


def test_symmetric_planted_network_has_its_planted_split():
    flow = _symmetric_planted()
    x = _states(60, 5, 0.5)
    x[:, 6:] *= 1e-3  # fast units unsaturated
    ts = nd.time_scales(flow, x)
    assert ts.n_fast == 54 and ts.status == nd.Status.OK  # 6 slow units, 54 fast ones scaled by 1/eps
    assert float(ts.eps.max()) < 0.05


def test_non_symmetric_weights_keep_the_general_solver():
    flow = nd.planted_tanh(40, 4, 0.01, seed=0)  # W is not symmetric: the answers are the general solver's, bitwise
    x = _states(40, 6, 0.3)
    ours, ref = nd.time_scales(flow, x), nd.time_scales(_general(flow), x)
    assert torch.equal(ours.eigenvalues, ref.eigenvalues) and torch.equal(ours.eps, ref.eps)
