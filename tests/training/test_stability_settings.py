"""StabilitySettings and the tracker's SharpnessSettings: settings objects give the keyword calls' numbers."""

import pytest
import torch

import neurodyn as nd
from neurodyn.training import EdgeOfStabilityTracker, gd_stability, half_mse, sgd_lyapunov_exponent

F64 = torch.float64


def _interpolating():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    X = torch.randn(6, 2, dtype=F64)
    with torch.no_grad():
        Y = model(X)
    return model, (X, Y)


def test_sgd_settings_object_equals_keywords_bitwise():
    model, data = _interpolating()
    a = sgd_lyapunov_exponent(model, half_mse, data, lr=0.3, batch_size=2, steps=40, chains=3, seed=2)
    s = nd.training.StabilitySettings(steps=40, chains=3)
    b = sgd_lyapunov_exponent(model, half_mse, data, lr=0.3, batch_size=2, settings=s, seed=2)
    assert (a.sgd_exponent, a.sgd_stderr, a.gd_exponent) == (b.sgd_exponent, b.sgd_stderr, b.gd_exponent)
    assert a.settings == b.settings


def test_gd_stability_refuses_the_sgd_only_options():
    model, data = _interpolating()
    with pytest.raises(nd.InvalidInputError, match="steps"):
        gd_stability(model, half_mse, data, lr=0.1, steps=10)
    with pytest.raises(nd.InvalidInputError, match=r"\['step'\]"):
        sgd_lyapunov_exponent(model, half_mse, data, lr=0.1, batch_size=2, step=10)


def test_tracker_settings_equal_keywords():
    model, (X, Y) = _interpolating()

    def run(**kw):
        net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
        net.load_state_dict(model.state_dict())
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        tracker = EdgeOfStabilityTracker(net, half_mse, (X, Y + 0.1), optimizer=opt, every=2, **kw)
        for _ in range(4):
            loss = half_mse(net(X), Y + 0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tracker(loss)
        return tracker.result().sharpness

    assert run(tol=1e-8, seed=3) == run(settings=nd.training.SharpnessSettings(tol=1e-8, max_iter=100, seed=3))
    assert run() == run(tol=1e-4, max_iter=100)  # the tracker's defaults
