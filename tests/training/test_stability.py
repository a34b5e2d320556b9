"""(S)GD stability at minima: exact exponents, GD divergence at 2/lr, the NTK reduction of the Hessian."""

import math

import matplotlib
import pytest
import torch
from torch import nn

from neurodyn import ConvergenceError, InvalidInputError
from neurodyn.training import gd_stability, sgd_lyapunov_exponent, sharpness

matplotlib.use("Agg")
F64 = torch.float64


def half_mse(out, y):
    return 0.5 * ((out - y) ** 2).sum(-1).mean()


class Scale(nn.Module):
    """f(x) = w x with one parameter: the per-example curvature of (1/2)(f - 0)^2 is x^2."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1, dtype=F64))

    def forward(self, x):
        return x * self.w


def test_sgd_can_be_unstable_where_gd_is_stable():
    # per-example curvatures h = (0, 4), lr = 0.6, batch 1: GD multiplies by 1 - 0.6 * mean(h) = -0.2,
    # SGD by 1 or -1.4 with probability 1/2 each: exponent 0.5 log 1.4
    X = torch.tensor([[0.0], [2.0]], dtype=F64)
    res = sgd_lyapunov_exponent(Scale(), half_mse, (X, torch.zeros(2, 1, dtype=F64)), lr=0.6, batch_size=1,
                                steps=4000, chains=16)
    assert res.gd_exponent == pytest.approx(math.log(0.2), abs=1e-12)  # -1.609
    assert abs(res.sgd_exponent - 0.5 * math.log(1.4)) < 4 * res.sgd_stderr  # +0.168
    assert res.sgd_stderr < 0.01
    # E[M^2] = (1 + 1.4^2) / 2 = 1.48 (Wu, Ma & E): their sufficient criterion certifies nothing
    assert res.ms_factor == pytest.approx(1.48, abs=1e-12)
    assert res.verdicts == {"gd": "stable", "sgd": "unstable", "mean_square": "not certified"}
    assert res.sharpness == pytest.approx(2.0, rel=1e-12) and res.grad_norm == 0.0
    assert res.plot().get_xlabel().startswith("lr")


def test_full_batch_sgd_equals_gd():
    X = torch.tensor([[1.0], [2.0], [0.5]], dtype=F64)
    res = sgd_lyapunov_exponent(Scale(), half_mse, (X, torch.zeros(3, 1, dtype=F64)), lr=0.3, batch_size=3,
                                steps=50, chains=2, burn_in=0)
    assert res.sgd_exponent == pytest.approx(res.gd_exponent, abs=1e-12)
    assert res.sgd_stderr == pytest.approx(0.0, abs=1e-12)
    assert res.ms_factor == pytest.approx(math.exp(2 * res.gd_exponent), rel=1e-12)


def linear_regression(n=40, p=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, p, generator=gen, dtype=F64)
    y = torch.randn(n, 1, generator=gen, dtype=F64)
    model = nn.Linear(p, 1, bias=False).double()
    with torch.no_grad():  # the least-squares minimum
        model.weight.copy_(torch.linalg.lstsq(X, y).solution.T)
    return model, X, y


@pytest.mark.parametrize("factor", [0.98, 1.02])
def test_gd_diverges_exactly_when_sharpness_exceeds_two_over_lr(factor):
    model, X, y = linear_regression()
    lam = float(torch.linalg.eigvalsh(X.T @ X / len(X)).max())
    lr = factor * 2 / lam
    res = gd_stability(model, half_mse, (X, y), lr)
    assert res.sharpness == pytest.approx(lam, rel=1e-10)
    torch.testing.assert_close(res.normal_eigenvalues, torch.linalg.eigvalsh(X.T @ X / len(X)).flip(0),
                               rtol=1e-10, atol=0)
    # run GD from a perturbed minimum: the perturbation shrinks iff lr * lambda_max < 2
    w_star = model.weight.detach().clone()
    w = w_star + 1e-3 * torch.ones_like(w_star)
    for _ in range(2000):
        w = w - lr * ((X @ w.T - y).T @ X) / len(X)
    grew = float((w - w_star).norm()) > 1e-3
    assert grew == (factor > 1) and res.verdicts["gd"] == ("unstable" if factor > 1 else "stable")
    assert res.gd_exponent == pytest.approx(math.log(max(abs(1 - lr * lam),
                                                         abs(1 - lr * float(res.normal_eigenvalues[-1])))), abs=1e-10)


@pytest.mark.parametrize("loss", ["half", "mse"])
def test_sharpness_at_an_interpolation_point_is_the_ntk_gram_maximum_over_n(loss):
    # targets = the network's own outputs: an exact interpolating minimum of any MLP
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 20), nn.Tanh(), nn.Linear(20, 2)).double()
    X = torch.randn(25, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    with torch.no_grad():
        y = net(X)
    loss_fn = half_mse if loss == "half" else nn.functional.mse_loss  # mse_loss averages over the 2 outputs too
    res = gd_stability(net, loss_fn, (X, y), lr=0.1)
    J = torch.func.jacrev(lambda w: torch.func.functional_call(net, dict(zip([k for k, _ in net.named_parameters()],
                                                                            w, strict=True)), (X,)))(
        tuple(p.detach() for p in net.parameters()))
    Jf = torch.cat([j.reshape(25 * 2, -1) for j in J], dim=1)  # (n * out, p)
    scale = 1.0 if loss == "half" else 2.0 / 2  # d^2/df^2 of mean((f-y)^2) over 2 outputs: 2/2 per output
    exact = scale * float(torch.linalg.eigvalsh(Jf @ Jf.T).max()) / 25
    assert res.sharpness == pytest.approx(exact, rel=1e-8)
    assert float(res.normal_eigenvalues[0]) == pytest.approx(exact, rel=1e-10)
    assert res.grad_norm < 1e-12
    assert float(sharpness(net, loss_fn, (X, y)).max) == pytest.approx(exact, rel=1e-8)


def test_bad_input():
    X = torch.tensor([[1.0], [2.0]], dtype=F64)
    with pytest.raises(InvalidInputError, match="batch_size=3 exceeds"):
        sgd_lyapunov_exponent(Scale(), half_mse, (X, torch.zeros(2, 1, dtype=F64)), lr=0.1, batch_size=3)
    with pytest.raises(InvalidInputError, match="lr"):
        gd_stability(Scale(), half_mse, (X, torch.zeros(2, 1, dtype=F64)), lr=-1)


def test_mean_square_matrix_equals_enumeration_over_all_batches():
    # E[(I - lr H_B)^2] over all C(5, 2) batches of two distinct examples, against the closed form
    from itertools import combinations

    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(3), dtype=F64)
    model = nn.Linear(3, 1, bias=False).double()
    lr = 0.4
    res = sgd_lyapunov_exponent(model, half_mse, (X, model(X).detach()), lr=lr, batch_size=2, steps=20, chains=2)
    EM2 = sum(torch.linalg.matrix_power(torch.eye(3, dtype=F64) - lr * X[list(B)].T @ X[list(B)] / 2, 2)
              for B in combinations(range(5), 2)) / 10
    assert res.ms_factor == pytest.approx(float(torch.linalg.eigvalsh(EM2).max()), rel=1e-12)


def test_an_annihilating_step_gives_minus_infinity():
    # lr = 1/h with equal curvatures: every batch maps the normal direction to exactly 0
    X = torch.ones(2, 1, dtype=F64)
    res = sgd_lyapunov_exponent(Scale(), half_mse, (X, torch.zeros(2, 1, dtype=F64)), lr=1.0, batch_size=1,
                                steps=10, chains=2, burn_in=0)
    assert res.sgd_exponent == -math.inf and res.verdicts["sgd"] == "stable"


def test_an_sgd_exponent_from_too_few_steps_is_not_converged():
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(3), dtype=F64)
    model = nn.Linear(3, 1, bias=False).double()
    res = sgd_lyapunov_exponent(model, half_mse, (X, model(X).detach()), lr=0.4, batch_size=2, steps=2, chains=2,
                                strict=False)
    assert res.status == "too short"
    with pytest.raises(ConvergenceError, match="too short"):
        sgd_lyapunov_exponent(model, half_mse, (X, model(X).detach()), lr=0.4, batch_size=2, steps=2, chains=2)
