"""FTLE against exact values: linear flows, the 1-D tanh flow, deep linear networks."""

import math

import matplotlib
import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError

matplotlib.use("Agg")


def test_linear_flow_equals_log_singular_values_of_expm():
    A = torch.tensor([[0.3, 2.0, 0.0], [-1.0, -0.5, 0.4], [0.2, 0.0, -1.2]], dtype=torch.float64)
    flow = nd.Flow(lambda t, x: x @ A.T, 3, jacobian=lambda t, x: A.expand(*x.shape[:-1], 3, 3))
    T = 2.0
    pts = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    res = nd.ftle(flow, pts, t=T, k=3, dt=1e-3)
    exact = torch.log(torch.linalg.svdvals(torch.linalg.matrix_exp(A * T))) / T
    # RK4 with dt = 1e-3: global error ~ (dt |A|)^4 ~ 1e-12 per unit time
    torch.testing.assert_close(res.exponents, exact.expand(5, 3), rtol=0, atol=1e-8)
    assert res.units == "nats/time" and res.history is None


@pytest.mark.parametrize("w", [1.5, -0.8])
def test_one_dimensional_tanh_flow_closed_form(w):
    # dx/dt = tanh(w x): sinh(w x(t)) = sinh(w x0) e^{w t}, so
    # FTLE = w + [log cosh(w x0) - 0.5 log(1 + sinh^2(w x0) e^{2 w T})] / T
    T = 1.5
    x0 = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64).unsqueeze(-1)
    res = nd.ftle(nd.Flow(lambda t, x: torch.tanh(w * x), 1), x0, t=T, dt=1e-3)
    s = torch.sinh(w * x0[:, 0])
    exact = w + (torch.log(torch.cosh(w * x0[:, 0])) - 0.5 * torch.log(1 + s * s * math.exp(2 * w * T))) / T
    torch.testing.assert_close(res.maximal, exact, rtol=0, atol=1e-8)


def test_deep_linear_network_orthogonal_layers_have_zero_ftle():
    n, L = 6, 10
    gen = torch.Generator().manual_seed(1)
    Qs = torch.stack([torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))[0] for _ in range(L)])
    # layer l applies Q_l: the map's input at step l is the layer index (one-hot), so the layers differ
    net = nd.Map(lambda x, u: torch.einsum("...l,lij,...j->...i", u, Qs, x), n, input_dim=L, name="orthogonal")
    pts = torch.randn(4, n, generator=gen, dtype=torch.float64)
    layer = torch.eye(L, dtype=torch.float64).expand(4, L, L)
    res = nd.ftle(net, pts, steps=L, k=n, inputs=layer)
    assert float(res.exponents.abs().max()) < 1e-12
    assert res.history.shape == (4, L, n) and float(res.history.abs().max()) < 1e-12


def test_gaussian_layer_squared_singular_values_have_mean_one():
    # W ~ N(0, 1/n): E[sigma_i^2] averaged over i is |W|_F^2 / n, mean 1 with std sqrt(2)/n
    n = 300
    W = torch.randn(n, n, generator=torch.Generator().manual_seed(2), dtype=torch.float64) / math.sqrt(n)
    res = nd.ftle(nd.Map(lambda x, u: x @ W.T, n), torch.zeros(1, n, dtype=torch.float64), steps=1, k=n)
    mean_sq = float(torch.exp(2 * res.exponents).mean())
    assert abs(mean_sq - 1) < 4 * math.sqrt(2) / n
    assert mean_sq == pytest.approx(float((W * W).sum()) / n, rel=1e-12)


def test_field_plot_and_bad_input():
    flow = nd.Flow(lambda t, x: torch.stack([x[..., 1], x[..., 0] - x[..., 0] ** 3], -1), 2, name="duffing")
    g = torch.linspace(-1.5, 1.5, 8, dtype=torch.float64)
    grid = torch.cartesian_prod(g, g)
    res = nd.ftle(flow, grid, t=1.0, dt=0.01)
    assert res.exponents.shape == (64, 1) and "FTLE" in repr(res)
    ax = res.plot()
    assert ax.get_xlabel() == "x1"
    with pytest.raises(InvalidInputError, match="horizon t="):
        nd.ftle(flow, grid, steps=3)
    with pytest.raises(InvalidInputError, match="k=3 exceeds"):
        nd.ftle(flow, grid, t=1.0, k=3)
    with pytest.raises(InvalidInputError, match="points has shape"):
        nd.ftle(flow, torch.zeros(4, 3), t=1.0)
    with pytest.raises(nd.DivergenceError, match="shorten the horizon"):
        nd.ftle(nd.Map(lambda x, u: 1e200 * x, 1), torch.ones(1, 1), steps=3)


def test_adaptive_ftle_integrates_in_one_call():
    """dopri5 over [0, T] in one solve: at rtol = atol = 1e-10 the FTLEs of a linear flow are within 5e-10 of
    log sigma(expm(A T)) / T (restarting the solver every dt, as before, left 1.2e-9)."""
    A = torch.tensor([[0.3, 4.0, 0.0], [-4.0, 0.3, 1.0], [0.0, 0.0, -1.0]], dtype=torch.float64)
    flow = nd.Flow(lambda t, x: x @ A.T, 3, name="linear")
    T = 3.0
    exact = torch.log(torch.linalg.svdvals(torch.linalg.matrix_exp(A * T))) / T
    pts = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    res = nd.ftle(flow, pts, t=T, k=3, method="dopri5", rtol=1e-10, atol=1e-10)
    assert float((res.exponents - exact).abs().max()) < 5e-10
    assert res.settings["dt"] is None and res.settings["method"] == "dopri5"


def test_ftle_probes_the_users_function():
    pts = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(nd.InvalidInputError, match="field function of 'half'.*returned shape \\(3, 1\\)"):
        nd.ftle(nd.Flow(lambda t, x: x[..., :1], 2, name="half"), pts, t=1.0)
    with pytest.raises(nd.InvalidInputError, match="step function of 'np'.*ndarray"):
        nd.ftle(nd.Map(lambda x, u: x.numpy(), 2, name="np"), pts, steps=3)


def test_power_iteration_status_and_strict():
    A = torch.tensor([[0.3, 0.29], [0.0, 0.29]], dtype=torch.float64)  # close singular values: slow to settle
    flow = nd.Flow(lambda t, x: x @ A.T, 2, name="close")
    pts = torch.zeros(3, 2, dtype=torch.float64)
    assert nd.ftle(flow, pts, t=1.0).status is nd.Status.OK  # the frame path: no iteration to judge
    settled = nd.ftle(flow, pts, t=1.0, matrix_free=True, power_maxiter=500)
    assert settled.status is nd.Status.CONVERGED
    with pytest.warns(nd.ConvergenceWarning, match="did not settle"):
        short = nd.ftle(flow, pts, t=1.0, matrix_free=True, power_maxiter=2)
    assert short.status is nd.Status.UNCONVERGED and not short.status.ok
    with pytest.warns(nd.ConvergenceWarning), pytest.raises(nd.ConvergenceError, match="power iteration"):
        nd.ftle(flow, pts, t=1.0, matrix_free=True, power_maxiter=2, strict=True)
