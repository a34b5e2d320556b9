"""Sharpness by Lanczos against exact Hessians; trace and spectral density."""

import copy

import matplotlib
import pytest
import torch
from torch import nn

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.training import half_mse as library_half_mse
from neurodyn.training import sharpness

matplotlib.use("Agg")
F64 = torch.float64


def half_mse(out, y):
    return 0.5 * ((out - y) ** 2).sum(-1).mean()


def regression(n=60, p=25, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, p, generator=gen, dtype=F64) * torch.linspace(0.2, 3.0, p, dtype=F64)
    y = torch.randn(n, 1, generator=gen, dtype=F64)
    model = nn.Linear(p, 1, bias=False).double()
    return model, X, y


def test_quadratic_loss_top_eigenvalues_to_1e8():
    # L(w) = (1/2n) |X w - y|^2 has the constant Hessian X^T X / n
    model, X, y = regression()
    exact = torch.linalg.eigvalsh(X.T @ X / len(X)).flip(0)
    res = sharpness(model, half_mse, (X, y), k=4, chunk_size=16)
    torch.testing.assert_close(res.eigenvalues, exact[:4], rtol=1e-8, atol=0)
    assert res.status == "converged" and res.hvps <= 25 and res.max == pytest.approx(float(exact[0]), rel=1e-12)
    v = res.eigenvectors[0]
    torch.testing.assert_close((X.T @ X / len(X)) @ v, exact[0] * v, rtol=0, atol=1e-8)


def test_trace_and_density_of_a_quadratic():
    model, X, y = regression(p=12)
    H = X.T @ X / len(X)
    res = sharpness(model, half_mse, (X, y), trace=True, trace_samples=400, density=True, density_steps=12)
    # Rademacher Hutchinson: exact within a few standard errors; SLQ with 12 = p steps resolves the spectrum
    assert abs(res.trace - float(torch.trace(H))) < 4 * res.trace_stderr
    nodes, weights = res.density
    assert float(weights.sum()) == pytest.approx(1.0, abs=1e-12)
    # the density's first moment is tr(H)/p exactly for any unit start vectors when the quadrature is exact
    assert float((nodes * weights).sum()) == pytest.approx(float(torch.trace(H)) / 12, rel=0.3)
    assert res.plot().get_xlabel() == "Hessian eigenvalue"


def test_model_not_mutated_and_chunking_does_not_change_the_answer():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2)).train()
    state = torch.random.get_rng_state()
    before = copy.deepcopy(net.state_dict())
    X = torch.randn(40, 3, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (40,), generator=torch.Generator().manual_seed(2))
    a = sharpness(net, nn.functional.cross_entropy, (X, y), k=2)
    b = sharpness(net, nn.functional.cross_entropy, (X, y), k=2, chunk_size=7)
    torch.testing.assert_close(a.eigenvalues, b.eigenvalues, rtol=1e-9, atol=0)
    assert net.training and next(net.parameters()).dtype == torch.float32
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert torch.equal(torch.random.get_rng_state(), state)


def test_bad_input():
    model, X, y = regression(p=3)
    with pytest.raises(InvalidInputError, match="k=4 exceeds the 3"):
        sharpness(model, half_mse, (X, y), k=4)
    with pytest.raises(InvalidInputError, match="data must be a pair"):
        sharpness(model, half_mse, X)
    with pytest.raises(InvalidInputError, match="same number"):
        sharpness(model, half_mse, (X, y[:3]))
    with pytest.raises(InvalidInputError, match="nn.Module"):
        sharpness(lambda x: x, half_mse, (X, y))
    assert isinstance(nd.training.Sharpness, type)


def test_repeated_eigenvalues_are_found_with_their_multiplicity():
    # two outputs with the same inputs: H = I_2 (x) X^T X / n, every eigenvalue twice
    gen = torch.Generator().manual_seed(4)
    X = torch.randn(30, 4, generator=gen, dtype=F64)
    model = nn.Linear(4, 2, bias=False).double()
    exact = torch.linalg.eigvalsh(X.T @ X / 30).flip(0)
    res = sharpness(model, half_mse, (X, torch.zeros(30, 2, dtype=F64)), k=3)
    torch.testing.assert_close(res.eigenvalues, torch.stack([exact[0], exact[0], exact[1]]), rtol=1e-10, atol=0)


def test_a_warm_start_on_a_lower_eigenvector_still_finds_the_top():
    model, X, y = regression(p=6)
    H = X.T @ X / len(X)
    e, V = torch.linalg.eigh(H)
    res = sharpness(model, half_mse, (X, y), v0=V[:, -2] + 1e-7 * V[:, -1], tol=1e-4)
    assert res.max == pytest.approx(float(e[-1]), rel=1e-8)


def test_tied_weights_inference_mode_and_shape_mismatch():
    a, b = nn.Linear(3, 3, bias=False).double(), nn.Linear(3, 3, bias=False).double()
    b.weight = a.weight
    net = nn.Sequential(a, nn.Tanh(), b)
    X = torch.randn(10, 3, generator=torch.Generator().manual_seed(5), dtype=F64)
    y = torch.zeros(10, 3, dtype=F64)
    with torch.inference_mode():
        inside = sharpness(net, library_half_mse, (X, y)).max
    assert inside == pytest.approx(sharpness(net, library_half_mse, (X, y), chunk_size=4).max, rel=1e-9)
    w = a.weight.detach().clone().requires_grad_(True)

    def loss(w):
        return half_mse(torch.tanh(X @ w.T) @ w.T, y)

    H = torch.autograd.functional.hessian(loss, w).reshape(9, 9)
    assert inside == pytest.approx(float(torch.linalg.eigvalsh(H).max()), rel=1e-9)
    with pytest.raises(InvalidInputError, match="output has shape"):
        sharpness(nn.Linear(3, 1).double(), library_half_mse, (X, torch.zeros(10, dtype=F64)))


def test_status_is_a_status_member_and_strict_raises_on_a_stopped_lanczos():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 2))
    X = torch.randn(40, 6, generator=torch.Generator().manual_seed(1))
    Y = torch.randn(40, 2, generator=torch.Generator().manual_seed(2))
    ok = sharpness(net, library_half_mse, (X, Y), k=1)
    assert ok.status is nd.Status.CONVERGED
    with pytest.warns(nd.ConvergenceWarning, match="raise max_iter"):
        short = sharpness(net, library_half_mse, (X, Y), k=3, max_iter=3, tol=1e-12)
    assert short.status is nd.Status.UNCONVERGED and not short.status.ok
    with pytest.raises(nd.ConvergenceError, match="raise max_iter") as info:
        sharpness(net, library_half_mse, (X, Y), k=3, max_iter=3, tol=1e-12, strict=True)
    assert info.value.result.status is nd.Status.UNCONVERGED


def test_user_data_that_cannot_work_is_refused_with_the_reason():
    net = torch.nn.Sequential(torch.nn.Linear(6, 2))
    X, Y = torch.randn(10, 6), torch.randn(10, 2)
    bad = X.clone()
    bad[2, 3] = float("nan")
    with pytest.raises(nd.NonFiniteError, match="inputs hold 1 NaN/inf"):
        sharpness(net, library_half_mse, (bad, Y))
    with pytest.raises(nd.InvalidInputError, match="feature width"):
        sharpness(net, library_half_mse, (torch.randn(10, 7), Y))
    with pytest.raises(nd.InvalidInputError, match="returned tuple"):
        sharpness(torch.nn.GRU(6, 2, batch_first=True), library_half_mse, (X[:, None], Y))
