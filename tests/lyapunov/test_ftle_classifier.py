"""FTLE restricted to directions, the matrix-free path, and the FTLE of a trained neural-ODE classifier
against its decision boundary."""

import copy
import math

import matplotlib
import pytest
import torch
from torch import nn

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.classifier import roc_auc
from neurodyn.models import NeuralODEClassifier, train_moons_classifier

matplotlib.use("Agg")
F64 = torch.float64


def linear_flow(A):
    return nd.Flow(lambda t, x: x @ A.T, A.shape[0])


def test_directions_restrict_the_flow_map_to_a_subspace():
    A = torch.tensor([[0.3, 2.0, 0.0], [-1.0, -0.5, 0.4], [0.2, 0.0, -1.2]], dtype=F64)
    T = 1.5
    D = torch.linalg.qr(torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]], dtype=F64)).Q
    res = nd.ftle(linear_flow(A), torch.zeros(2, 3, dtype=F64), t=T, k=2, dt=1e-3, directions=D)
    exact = torch.log(torch.linalg.svdvals(torch.linalg.matrix_exp(A * T) @ D)) / T
    torch.testing.assert_close(res.exponents, exact.expand(2, 2), rtol=0, atol=1e-8)  # RK4 error ~ dt^4


@pytest.mark.slow
def test_matrix_free_power_iteration_equals_the_full_frame():
    # a flow in 40 dimensions and a deep tanh map
    n = 40
    W = torch.randn(n, n, generator=torch.Generator().manual_seed(3), dtype=F64) * 1.5 / math.sqrt(n)
    flow = nd.Flow(lambda t, x: -x + torch.tanh(x @ W.T), n)
    pts = torch.randn(6, n, generator=torch.Generator().manual_seed(4), dtype=F64)
    free = nd.ftle(flow, pts, t=3.0, dt=0.05, matrix_free=True)
    full = nd.ftle(flow, pts, t=3.0, dt=0.05)
    assert free.settings["matrix_free"] and not full.settings["matrix_free"]
    # both differentiate the same RK4 map; power iteration stops at a relative change of 1e-10 in sigma_1
    torch.testing.assert_close(free.exponents, full.exponents, rtol=0, atol=1e-8)
    layer = nd.Map(lambda x, u: torch.tanh(x @ W.T), n)
    a = nd.ftle(layer, pts, steps=5, matrix_free=True)
    b = nd.ftle(layer, pts, steps=5, matrix_free=False)
    torch.testing.assert_close(a.exponents, b.exponents, rtol=0, atol=1e-8)
    c = nd.ftle(layer, pts, steps=5, matrix_free=False, chunk=4)  # two chunks: the same numbers
    torch.testing.assert_close(c.exponents, b.exponents, rtol=0, atol=1e-14)
    torch.testing.assert_close(c.history, b.history, rtol=0, atol=1e-14)


def test_directions_and_matrix_free_bad_input():
    flow = linear_flow(torch.eye(3, dtype=F64))
    x = torch.zeros(2, 3, dtype=F64)
    with pytest.raises(InvalidInputError, match="orthonormal"):
        nd.ftle(flow, x, t=1.0, directions=torch.ones(3, 1))
    with pytest.raises(InvalidInputError, match="directions has shape"):
        nd.ftle(flow, x, t=1.0, directions=torch.eye(2))
    with pytest.raises(InvalidInputError, match="k=2 exceeds the 1 perturbation"):
        nd.ftle(flow, x, t=1.0, k=2, directions=torch.eye(3, 1))
    with pytest.raises(InvalidInputError, match="fixed-step"):
        nd.ftle(flow, x, t=1.0, method="dopri5", matrix_free=True)


def test_roc_auc_exact_values():
    s = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert roc_auc(s, torch.tensor([False, False, True, True])) == 1.0
    assert roc_auc(s, torch.tensor([True, False, True, False])) == 0.25  # pairs won: (3>2) of 4
    assert roc_auc(torch.ones(4), torch.tensor([True, False, True, False])) == 0.5  # ties count one half
    with pytest.raises(InvalidInputError, match="both sides"):
        roc_auc(s, torch.ones(4, dtype=torch.bool))


class Linear2(nn.Module):
    """Logits (0, w.x + b): the boundary is the line w.x + b = 0."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([[3.0, -4.0]]))
            self.lin.bias.fill_(0.5)

    def forward(self, x):
        return torch.cat([torch.zeros_like(x[:, :1]), self.lin(x)], -1)


def test_boundary_distance_and_attack_radius_of_a_linear_classifier_are_the_point_line_distance():
    pts = torch.randn(50, 2, generator=torch.Generator().manual_seed(5), dtype=F64)
    exact = (pts @ torch.tensor([3.0, -4.0], dtype=F64) + 0.5).abs() / 5.0
    fake = nd.FTLEField(points=pts, exponents=-exact[:, None], history=None, horizon=1.0, units="nats/time",
                        kind="flow", system="test")
    link = nd.ftle_boundary_link(Linear2(), fake, reach=10.0, eps=float(exact.median()))
    torch.testing.assert_close(link.distance, exact, rtol=0, atol=1e-9)  # bisection to 10 * 2**-40
    # the attack's radius comes from 12 bisections over [0, 10]: resolution 10 / 2**12
    assert float((link.perturbation - exact).abs().max()) <= 10 / 2**12
    assert link.auc == 1.0 and link.spearman == pytest.approx(-1.0, abs=1e-3)


@pytest.fixture(scope="module")
def moons_model():
    return train_moons_classifier(hidden=16, seed=0)


def test_trained_moons_classifier_accuracy_and_ftle_of_its_own_map(moons_model):
    model = moons_model.model
    assert moons_model.accuracy > 0.97
    before = {k: v.clone() for k, v in model.state_dict().items()}
    pts = moons_model.X_test[:5].double()
    res = model.ftle(pts, k=2)
    # reference: the autodiff Jacobian of the classifier's own transport (RK4, same steps), then SVD
    ref = copy.deepcopy(model).double()
    J = torch.stack([torch.autograd.functional.jacobian(lambda x: ref.transport(x[None])[0], p) for p in pts])
    exact = torch.log(torch.linalg.svdvals(J)) / model.t
    torch.testing.assert_close(res.exponents, exact, rtol=0, atol=1e-10)
    assert torch.equal(res.points, pts)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert next(model.parameters()).dtype == torch.float32 and not model.training


def test_augmented_classifier_perturbs_only_the_input_directions():
    model = NeuralODEClassifier(2, 3, hidden=8, augment=3)
    pts = torch.randn(4, 2, generator=torch.Generator().manual_seed(6), dtype=F64)
    res = model.ftle(pts, k=2)
    ref = copy.deepcopy(model).double()
    J = torch.stack([torch.autograd.functional.jacobian(lambda x: ref.transport(x[None])[0], p) for p in pts])
    assert J.shape == (4, 5, 2)
    torch.testing.assert_close(res.exponents, torch.log(torch.linalg.svdvals(J)) / model.t, rtol=0, atol=1e-10)
    with pytest.raises(InvalidInputError, match="3 features"):
        model.lift(torch.zeros(1, 3))


def test_ftle_separates_near_boundary_inputs_of_the_moons_classifier(moons_model):
    model = moons_model.model
    field = model.ftle(moons_model.X_test)
    link = nd.ftle_boundary_link(model, field)
    assert link.auc > 0.8
    assert link.spearman < -0.3  # high FTLE marks inputs that a small perturbation flips
    assert int((link.distance < link.eps).sum()) > 20
    ax = field.plot(classifier=model, data=(moons_model.X_test, moons_model.y_test))
    assert "decision boundary" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert link.plot().get_xlabel().startswith("distance")
    assert link.to_dict()["auc"] == link.auc


def test_long_time_lyapunov_of_a_contracting_tanh_field_is_its_linearisation_at_the_origin():
    # dz/dt = tanh(W z) with W = diag(-0.5, -2): every trajectory tends to 0, where the Jacobian is W
    model = NeuralODEClassifier(2, 2, field="tanh")
    with torch.no_grad():
        model.field.net[0].weight.copy_(torch.diag(torch.tensor([-0.5, -2.0])))
        model.field.net[0].bias.zero_()
    res = model.long_time_lyapunov(torch.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=F64), t=200.0, transient=20.0)
    # RK4 with step h multiplies a mode of rate w by R(h w) = sum_{j<=4} (h w)^j / j! per step, so its exponent is
    # log R(h w) / h (= w + O(h^4 w^5)). After the transient (state, then frame) |z| <= e^{-10}: tanh's cubic
    # term shifts the rates by O(|z|^2) ~ 1e-9, and the frame is aligned with the axes to ~e^{-1.5 * 20}.
    h = 0.05
    w = torch.tensor([-0.5, -2.0], dtype=F64)
    rk4 = torch.log(sum((h * w) ** j / math.factorial(j) for j in range(5))) / h
    torch.testing.assert_close(res.exponents, rk4, rtol=0, atol=1e-8)


def test_review_edge_cases():
    # float32 systems accept directions orthonormal to float32 rounding
    s = nd.tanh_field(torch.randn(6, 6, generator=torch.Generator().manual_seed(7)), dtype=torch.float32)
    D = torch.linalg.qr(torch.randn(6, 3, generator=torch.Generator().manual_seed(8))).Q
    assert nd.ftle(s, torch.zeros(2, 6), t=1.0, k=3, directions=D).exponents.shape == (2, 3)
    with pytest.raises(InvalidInputError, match="largest FTLE only"):
        nd.ftle(s, torch.zeros(2, 6), t=1.0, k=2, matrix_free=True)
    model = NeuralODEClassifier(2, 3, hidden=8, augment=1)
    one = model.ftle(torch.tensor([0.5, 0.2]))
    assert one.points.shape == (1, 2) and one.exponents.shape == (1, 1)
    for bad in (torch.tensor(1.0), torch.zeros(0, 2), torch.zeros(3, 3)):
        with pytest.raises(InvalidInputError, match="points has shape"):
            model.ftle(bad)
    with pytest.raises(InvalidInputError, match="cannot be changed"):
        model.ftle(torch.zeros(2, 2), directions=torch.eye(3, 2))
    with pytest.raises(InvalidInputError, match="at least 2"):
        nd.ftle_boundary_link(model, one)


def test_plot_runs_the_classifier_on_a_private_copy_in_evaluation_mode():
    g = torch.linspace(-1, 1, 6, dtype=F64)
    field = nd.ftle(linear_flow(torch.eye(2, dtype=F64)), torch.cartesian_prod(g, g), t=0.5)
    torch.manual_seed(0)
    noisy = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Dropout(0.5)).train()
    state, stats = torch.random.get_rng_state(), noisy[1].running_mean.clone()
    ax = field.plot(classifier=noisy)  # three classes: one border per class region
    assert torch.equal(torch.random.get_rng_state(), state) and torch.equal(noisy[1].running_mean, stats)
    assert noisy.training and len(ax.collections) > 1
    with pytest.raises(InvalidInputError, match="classes >= 2"):
        field.plot(classifier=nn.Linear(2, 1))


def test_rk4_means_classical_rk4_in_the_classifier_too():
    """``method="rk4"`` is classical RK4 in NeuralODEClassifier as in nd.ftle, so the FTLEs of
    ``nd.ftle(model.flow(), ...)`` and ``model.ftle()`` agree exactly; ``"rk4-3/8"`` is torchdiffeq's 3/8 rule."""
    from torchdiffeq import odeint

    torch.manual_seed(3)
    model = NeuralODEClassifier(2, 2, hidden=8, steps=7).double()
    pts = torch.randn(5, 2, generator=torch.Generator().manual_seed(4), dtype=F64)
    flow = model.flow()
    ours = nd.ftle(flow, pts, t=model.t, dt=model.t / model.steps, method="rk4", k=2)
    torch.testing.assert_close(model.ftle(pts, k=2).exponents, ours.exponents, rtol=0, atol=1e-15)
    # transport is the classical RK4 flow map of the field: Jacobian of transport == the FTLE frame
    J = torch.stack([torch.autograd.functional.jacobian(lambda x: model.transport(x[None])[0], p) for p in pts])
    torch.testing.assert_close(torch.log(torch.linalg.svdvals(J)) / model.t, ours.exponents, rtol=0, atol=1e-12)
    old = NeuralODEClassifier(2, 2, hidden=8, steps=7, method="rk4-3/8").double()
    old.load_state_dict(model.state_dict())
    grid = torch.linspace(0.0, old.t, old.steps + 1, dtype=F64)
    torchdiffeq_rk4 = odeint(old.field, old.lift(pts), grid, method="rk4")[-1]
    torch.testing.assert_close(old.transport(pts), torchdiffeq_rk4, rtol=0, atol=1e-14)
    assert float((old.transport(pts) - model.transport(pts)).abs().max()) > 1e-9  # they are different schemes


def test_boundary_link_refuses_non_finite_logits():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x) / 0.0 * 0.0  # NaN logits

    pts = torch.randn(6, 2, generator=torch.Generator().manual_seed(1), dtype=F64)
    field = nd.ftle(nd.Flow(lambda t, x: -x, 2), pts, t=1.0)
    with pytest.raises(nd.NonFiniteError, match="classifier Broken returned 12 non-finite logit"):
        nd.ftle_boundary_link(Broken(), field)
