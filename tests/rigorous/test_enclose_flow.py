"""Rigorous integration (neurodyn.enclose_flow): soundness against independent high-precision references, exact
answers of linear flows and 1-D fields, tightness against scipy, and refusals."""

import numpy as np
import pytest
import torch
from flint import arb, arb_mat, ctx
from rigorous_reference import inside, lorenz_solution, tanh_jacobian, tanh_solution
from scipy.integrate import solve_ivp
from torch import nn

import neurodyn as nd
from neurodyn.validated import quadratic_field


def _random_field(rng):
    """A small random tanh field -leak x + V tanh(W x + b) + d (V identity or not) and its arrays."""
    n = int(rng.integers(1, 4))
    square = rng.random() < 0.4
    m = n if square else int(rng.integers(1, 6))
    W = rng.normal(0.0, 1.5 / np.sqrt(n), (m, n))
    b = rng.normal(0.0, 0.5, m)
    V = None if square else rng.normal(0.0, 1.0 / np.sqrt(m), (n, m))
    d = None if square else rng.normal(0.0, 0.3, n)
    leak = float(rng.uniform(0.0, 1.0))
    system = nd.tanh_field(W, b, W_out=V, b_out=d, leak=leak)
    return system, (W, b, V, d, leak)


def _soundness(fields: int, boxes: int, backend: str, seed: int, t: float = 1.0, own_steps: bool = False) -> int:
    """Enclose ``boxes`` random boxes per random field (with steps common to the batch, or each box its own);
    every reference solution (centre and a random corner of each box) must lie in the enclosure, and D phi_t at the
    first centre in the matrix enclosure. Returns the number of cases (field, box) checked."""
    rng = np.random.default_rng(seed)
    cases = 0
    for _ in range(fields):
        system, arrays = _random_field(rng)
        n = system.dim
        centres = rng.normal(0.0, 1.0, (boxes, n))
        radius = 10.0 ** rng.uniform(-9, -4, (boxes, n))
        enc = nd.enclose_flow(system, centres, t, radius=radius, backend=backend, keep_tube=not own_steps,
                              own_steps=own_steps)
        assert enc.status == nd.Status.PROVED and bool(enc.proved.all())
        corners = centres + radius * rng.choice([-1.0, 1.0], (boxes, n))
        for pts in (centres, corners):
            ref = tanh_solution(*arrays, pts, t)
            ok = inside(enc.lower.numpy(), enc.upper.numpy(), ref)
            assert ok.all(), f"{int((~ok).sum())} reference values outside the enclosure"
        J = tanh_jacobian(*arrays, centres[0], t)
        assert inside(enc.jacobian_lower[0].numpy(), enc.jacobian_upper[0].numpy(), J).all()
        assert float(enc.width.max()) < 1e-2  # tight enough to mean something
        cases += boxes
    return cases


def test_soundness_random_tanh_fields_fast_backend():
    assert _soundness(fields=6, boxes=20, backend="fast", seed=1) == 120


def test_soundness_random_tanh_fields_arb_backend():
    assert _soundness(fields=3, boxes=4, backend="arb", seed=2, t=0.5) == 12


def test_soundness_own_steps_fast_backend():
    assert _soundness(fields=6, boxes=20, backend="fast", seed=3, own_steps=True) == 120


def test_soundness_own_steps_arb_backend():
    assert _soundness(fields=3, boxes=4, backend="arb", seed=4, t=0.5, own_steps=True) == 12


@pytest.mark.slow
def test_soundness_thousand_cases_own_steps_fast_backend():
    assert _soundness(fields=50, boxes=20, backend="fast", seed=12, own_steps=True) == 1000


def test_own_steps_take_fewer_steps_where_the_starts_need_different_ones():
    # a slow and a fast start of dx/dt = tanh(w x): with common steps both take the fast one's; with their own,
    # the slow one needs far fewer, and both enclosures hold the closed-form solution sinh(w x) = sinh(w x0) e^{w t}
    system = nd.tanh_field([[3.0]], [0.0], leak=0.0)
    x0 = np.array([[0.01], [2.0]])
    common = nd.enclose_flow(system, x0, 1.0, order=8, tol=1e-12, keep_tube=False)
    own = nd.enclose_flow(system, x0, 1.0, order=8, tol=1e-12, keep_tube=False, own_steps=True)
    exact = np.arcsinh(np.sinh(3.0 * x0) * np.exp(3.0)) / 3.0
    for enc in (common, own):
        assert enc.proved.all() and inside(enc.lower.numpy(), enc.upper.numpy(), exact).all()
    assert own.times.tolist() == [0.0, 1.0] and len(common.times) > 2
    with pytest.raises(nd.InvalidInputError, match="keep_tube=False"):
        nd.enclose_flow(system, x0, 1.0, own_steps=True)
    # the same through a settings record (a keyword replaces its field); a misspelt option is named
    via_settings = nd.enclose_flow(system, x0, 1.0, settings=nd.FlowSettings(order=8, tol=1e-12, keep_tube=False),
                                   own_steps=True)
    assert torch.equal(via_settings.lower, own.lower) and torch.equal(via_settings.upper, own.upper)
    with pytest.raises(nd.InvalidInputError, match="own_step"):
        nd.enclose_flow(system, x0, 1.0, own_step=True)


@pytest.mark.slow
def test_soundness_thousand_cases_fast_backend():
    assert _soundness(fields=50, boxes=20, backend="fast", seed=10) == 1000


@pytest.mark.slow
def test_soundness_thousand_cases_arb_backend():
    assert _soundness(fields=50, boxes=20, backend="arb", seed=11, t=0.5) == 1000


def test_linear_flow_contains_matrix_exponential():
    A = np.array([[-0.3, 2.0], [-1.0, -0.1]])
    T = 2.0
    enc = nd.enclose_flow(quadratic_field(A), torch.tensor([[0.5, 0.2], [-1.0, 3.0]]), T)
    with ctx.workprec(200):
        E = (arb_mat(A.tolist()) * T).exp()
        ref = np.array([[E[i, j] for j in range(2)] for i in range(2)], dtype=object)
    for k in range(2):
        assert inside(enc.jacobian_lower[k].numpy(), enc.jacobian_upper[k].numpy(), ref).all()
    assert float(enc.jacobian_width.max()) < 1e-12


def test_one_dimensional_closed_form():
    # dx/dt = tanh(w x): sinh(w x(t)) = sinh(w x0) e^{w t}, and D phi_t = e^{w t} cosh(w x0) / cosh(w x(t))
    w, T = 0.8, 1.5
    x0 = np.array([[-1.2], [0.05], [0.7]])
    enc = nd.enclose_flow(nd.tanh_field([[w]]), x0, T)
    with ctx.workprec(200):
        for k, v in enumerate(x0[:, 0]):
            xt = ((arb(w) * arb(v)).sinh() * (arb(w) * T).exp()).asinh() / w
            dphi = (arb(w) * T).exp() * (arb(w) * arb(v)).cosh() / (arb(w) * xt).cosh()
            assert arb(float(enc.lower[k, 0])) <= xt <= arb(float(enc.upper[k, 0]))
            assert arb(float(enc.jacobian_lower[k, 0, 0])) <= dphi <= arb(float(enc.jacobian_upper[k, 0, 0]))


def test_planar_field_against_scipy_tight():
    W = np.array([[0.5, -2.0], [1.5, 0.3]])
    b = np.array([0.1, -0.2])
    x0 = np.array([[0.3, -0.4], [1.0, 0.5], [-0.7, 0.9]])
    enc = nd.enclose_flow(nd.tanh_field(W, b, leak=0.5), x0, 3.0)
    assert float(enc.width.max()) < 1e-8
    for k in range(len(x0)):
        sol = solve_ivp(lambda t, x: -0.5 * x + np.tanh(W @ x + b), (0.0, 3.0), x0[k], method="DOP853",
                        rtol=1e-12, atol=1e-14)
        # scipy's own error (rtol 1e-12 over the horizon) is the slack
        assert np.all(sol.y[:, -1] >= enc.lower[k].numpy() - 1e-10)
        assert np.all(sol.y[:, -1] <= enc.upper[k].numpy() + 1e-10)


def test_lorenz_contains_high_precision_taylor_reference():
    x0 = np.array([1.0, 1.0, 20.0])
    enc = nd.enclose_flow(nd.lorenz(), x0, 1.0)
    ref = np.array(lorenz_solution(x0, 1.0), dtype=object)
    assert enc.status == nd.Status.PROVED
    assert inside(enc.lower[0].numpy(), enc.upper[0].numpy(), ref).all()
    assert float(enc.width.max()) < 1e-6


def test_from_torch_mlp_field_is_recognised():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 2)).double()

    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, t, x):
            return self.net(x)

    system = nd.from_torch(Field())
    assert system.tanh_form is not None
    enc = nd.enclose_flow(system, torch.tensor([[0.2, -0.1]], dtype=torch.float64), 1.0)
    W, b = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    V, d = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    ref = tanh_solution(W, b, V, d, 0.0, np.array([[0.2, -0.1]]), 1.0)
    assert inside(enc.lower.numpy(), enc.upper.numpy(), ref).all()


def test_unsupported_fields_are_refused_naming_the_forms():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))

        def forward(self, t, x):
            return 2 * self.net(x)

    system = nd.from_torch(Twice())
    assert system.tanh_form is None
    with pytest.raises(nd.UnsupportedModelError, match="W_out tanh"):
        nd.enclose_flow(system, torch.zeros(2), 1.0)
    with pytest.raises(nd.UnsupportedModelError, match="Lorenz"):
        nd.enclose_flow(nd.Flow(lambda t, x: -x, 2), torch.zeros(2), 1.0)


def test_bad_input_raises():
    system = nd.tanh_field(np.eye(2))
    with pytest.raises(nd.NonFiniteError):
        nd.enclose_flow(system, torch.tensor([np.nan, 0.0]), 1.0)
    with pytest.raises(nd.InvalidInputError):
        nd.enclose_flow(system, torch.zeros(2), float("inf"))
    with pytest.raises(nd.InvalidInputError):
        nd.enclose_flow(system, torch.zeros(2), 1.0, radius=-1.0)
    with pytest.raises(nd.InvalidInputError):
        nd.enclose_flow(system, torch.zeros(3), 1.0)
    with pytest.raises(nd.InvalidInputError, match="order = 300"):  # beyond the bounded inner-product length
        nd.enclose_flow(system, torch.zeros(2), 1.0, order=300)


def test_blow_up_is_not_proved_with_the_time_reached():
    # x' = x^2 from x0 = 1 blows up at t = 1: nothing may be claimed at t = 2
    enc = nd.enclose_flow(quadratic_field([[0.0]], Q=[[[1.0]]]), torch.tensor([[1.0]]), 2.0, min_step=1e-3,
                          strict=False)
    assert enc.status == nd.Status.NOT_PROVED and not bool(enc.proved[0])
    assert 0.5 < float(enc.reached[0]) < 1.0
    assert torch.isnan(enc.lower).all() and "given up" in enc.reason
    with pytest.raises(nd.ConvergenceError):
        nd.enclose_flow(quadratic_field([[0.0]], Q=[[[1.0]]]), torch.tensor([[1.0]]), 2.0, min_step=1e-3,
                        strict=True)


def test_tube_plot_and_json():
    import matplotlib

    matplotlib.use("Agg")
    enc = nd.enclose_flow(nd.tanh_field(np.array([[0.5, -2.0], [1.5, 0.3]])), torch.zeros(1, 2, dtype=torch.float64)
                          + 0.3, 1.0)
    # both the last step's tube and the final enclosure hold the true x(1): they must overlap
    assert enc.times[0] == 0.0 and enc.times[-1] == 1.0 and np.all(np.diff(enc.times) > 0)
    assert np.all(enc.tube_lower[-1, 0] <= enc.upper[0].numpy())
    assert np.all(enc.tube_upper[-1, 0] >= enc.lower[0].numpy())
    ax = enc.plot()
    assert ax.get_xlabel() == "t"
    d = enc.to_dict()
    assert d["status"] == "proved" and d["t"] == 1.0


@pytest.mark.parametrize("backend", ["fast", "arb"])
def test_many_hidden_units_jacobian_form_contains_the_references(backend):
    # n = 2 states and 16 hidden units (the shape of a trained planar classifier): the variational matrix is carried
    # through the n x n coefficients of DF(x(t)) instead of the rows of W D x; both states and D phi_t must hold
    # the Arb references, tightly
    rng = np.random.default_rng(7)
    W, b = rng.normal(0.0, 1.5, (16, 2)), rng.normal(0.0, 0.5, 16)
    V, d, leak = rng.normal(0.0, 0.25, (2, 16)), rng.normal(0.0, 0.3, 2), 0.2
    system = nd.tanh_field(W, b, W_out=V, b_out=d, leak=leak)
    x0 = rng.normal(0.0, 1.0, (3, 2))
    enc = nd.enclose_flow(system, x0, 0.5, backend=backend, own_steps=True, keep_tube=False, order=10, tol=1e-12)
    assert enc.status == nd.Status.PROVED
    assert inside(enc.lower.numpy(), enc.upper.numpy(), tanh_solution(W, b, V, d, leak, x0, 0.5)).all()
    for i in range(3):
        J = tanh_jacobian(W, b, V, d, leak, x0[i], 0.5)
        assert inside(enc.jacobian_lower[i].numpy(), enc.jacobian_upper[i].numpy(), J).all()
    assert float(enc.jacobian_width.max()) < 1e-8
