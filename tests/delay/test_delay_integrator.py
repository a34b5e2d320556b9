"""The method-of-steps integrator: convergence orders against a closed-form solution, batching, autograd, bad input."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn.delay import solve_dde


def exact_unit_delay(t: float) -> float:
    """``x' = -x(t - 1)``, ``x = 1`` on ``[-1, 0]``: on ``[m - 1, m]``,
    ``x(t) = sum_{k=0}^{m} (-1)^k (t - k + 1)^k / k!``
    (the method of steps by hand: ``1 - t`` on [0, 1], ``1 - t + (t - 1)^2 / 2`` on [1, 2], ...)."""
    m = math.floor(t) + 1
    return sum((-1) ** k * (t - (k - 1)) ** k / math.factorial(k) for k in range(m + 1))


def unit_delay():
    return nd.DelayFlow(lambda t, x, xd: -xd, 1, 1.0, name="x' = -x(t-1)")


def test_hand_solution_on_the_first_intervals():
    # the pieces of the closed form, written out, agree with the sum at the nodes used below
    for t, piece in ((0.5, 1 - 0.5), (1.5, 1 - 1.5 + 0.5**2 / 2), (2.5, 1 - 2.5 + 1.5**2 / 2 - 0.5**3 / 6)):
        assert exact_unit_delay(t) == pytest.approx(piece, abs=1e-15)


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("midpoint", 2), ("rk4", 4), ("rk38", 4)])
def test_order_of_convergence(method, order):
    """Error at t = 5 for dt = 1/8 .. 1/64: observed order log2(e(h) / e(h/2)) within 0.15 of the scheme's."""
    errors = []
    for N in (8, 16, 32, 64):
        sol = solve_dde(unit_delay(), 5.0, dt=1 / N, history=torch.ones(1), method=method)
        errors.append(abs(float(sol.final[0, 0]) - exact_unit_delay(5.0)))
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(3)]
    assert all(abs(p - order) < 0.15 for p in orders), (errors, orders)


def test_rk4_is_exact_while_the_solution_is_cubic():
    # on [0, 3] the solution is a polynomial of degree <= 3: Hermite interpolation and RK4's quadrature are exact
    sol = solve_dde(unit_delay(), 3.0, dt=0.25, history=torch.ones(1))
    exact = torch.tensor([exact_unit_delay(float(t)) for t in sol.t], dtype=torch.float64)
    assert torch.allclose(sol.x[0, :, 0], exact, atol=1e-14, rtol=0)


def test_callable_history_keeps_fourth_order():
    """A history with a slope jump at 0 (phi = cos t, phi'(0-) = 0 but x'(0+) = -cos(-1)): order 4 holds only if the
    interval [-dt, 0] is interpolated with the history's own slope. Reference: the same scheme at dt = 1/256."""
    flow = nd.DelayFlow(lambda t, x, xd: -2 * xd + 0.5 * x, 1, 1.0)
    phi = lambda t: torch.cos(3 * t).unsqueeze(-1)  # noqa: E731
    ref = float(solve_dde(flow, 3.0, dt=1 / 256, history=phi).final[0, 0])
    errors = [abs(float(solve_dde(flow, 3.0, dt=1 / N, history=phi).final[0, 0]) - ref) for N in (8, 16, 32)]
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(abs(p - 4) < 0.3 for p in orders), (errors, orders)


def test_batched_histories_match_single_runs_and_several_delays():
    flow = nd.DelayFlow(lambda t, x, xd: -x + torch.tanh(xd[..., 0, :] - 0.5 * xd[..., 1, :]), 2, [1.0, 0.5])
    hist = torch.tensor([[0.3, -0.2], [1.0, 0.5], [-0.7, 0.1]], dtype=torch.float64)
    batch = solve_dde(flow, 4.0, dt=0.125, history=hist)
    for b in range(3):
        single = solve_dde(flow, 4.0, dt=0.125, history=hist[b])
        assert torch.allclose(batch.x[b], single.x[0], atol=1e-15, rtol=0)
    assert batch.x.shape == (3, 33, 2)


def test_gradient_through_the_solver_matches_finite_differences():
    a = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    flow = nd.DelayFlow(lambda t, x, xd: -a * xd + torch.sin(x), 1, 0.5)
    sol = solve_dde(flow, 2.0, dt=0.0625, history=torch.tensor([0.4], dtype=torch.float64))
    (grad,) = torch.autograd.grad(sol.final.sum(), a)
    eps = 1e-6
    with torch.no_grad():
        def end(value):
            f = nd.DelayFlow(lambda t, x, xd: -value * xd + torch.sin(x), 1, 0.5)
            return float(solve_dde(f, 2.0, dt=0.0625, history=torch.tensor([0.4], dtype=torch.float64)).final[0, 0])
        fd = (end(0.7 + eps) - end(0.7 - eps)) / (2 * eps)
    assert float(grad) == pytest.approx(fd, rel=1e-7)


def test_from_module_evaluates_a_private_copy():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, t, x, x_tau):
            return -x + torch.tanh(self.lin(x_tau))

    net = Net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    flow = nd.DelayFlow.from_module(net, 0.5)
    sol = solve_dde(flow, 1.0, dt=0.125, history=torch.zeros(2))
    W, b = net.lin.weight.detach().double(), net.lin.bias.detach().double()
    hand = nd.DelayFlow(lambda t, x, xd: -x + torch.tanh(xd @ W.T + b), 2, 0.5)
    assert torch.allclose(sol.x, solve_dde(hand, 1.0, dt=0.125, history=torch.zeros(2)).x, atol=1e-15)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert net.training and net.lin.weight.dtype == torch.float32


@pytest.mark.parametrize("delays", [0.0, -1.0, float("nan"), float("inf"), [1.0, 0.0], []])
def test_bad_delays_are_named(delays):
    with pytest.raises(nd.InvalidInputError, match="delays"):
        nd.DelayFlow(lambda t, x, xd: -xd, 1, delays)


def test_step_must_divide_the_delay():
    with pytest.raises(nd.InvalidInputError, match="dt=0.3 does not divide the delay 1"):
        solve_dde(unit_delay(), 3.0, dt=0.3)
    with pytest.raises(nd.InvalidInputError, match="dt"):
        solve_dde(unit_delay(), 3.0, dt=-0.1)


def test_history_of_wrong_shape_is_named():
    with pytest.raises(nd.InvalidInputError, match="history has shape"):
        solve_dde(unit_delay(), 1.0, dt=0.25, history=torch.ones(3, 2))
    with pytest.raises(nd.InvalidInputError, match="history returned"):
        solve_dde(unit_delay(), 1.0, dt=0.25, history=lambda t: torch.ones(len(t), 3))


def test_divergent_run_raises_with_the_step():
    flow = nd.DelayFlow(lambda t, x, xd: x * x + xd, 1, 0.5)
    with pytest.raises(nd.DivergenceError, match="non-finite") as info:
        solve_dde(flow, 50.0, dt=0.25, history=torch.full((1,), 3.0))
    assert info.value.step > 0


def test_from_torch_points_a_delay_module_to_from_module():
    class Field(torch.nn.Module):
        def forward(self, t, x, x_tau):
            return -x_tau

    with pytest.raises(nd.UnsupportedModelError, match="DelayFlow.from_module"):
        nd.from_torch(Field())
    assert nd.DelayFlow(lambda t, x, xd: -xd, 1, 1.0).module is None


def test_a_wrong_analytic_jacobian_is_named():
    flow = nd.DelayFlow(lambda t, x, xd: -xd, 1, 1.0, jacobian=lambda t, x, xd: (torch.zeros_like(x), -xd))
    with pytest.raises(nd.InvalidInputError, match=r"jacobian \(df/dx\)"):
        solve_dde(flow, 1.0, dt=0.5)
