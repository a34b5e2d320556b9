"""SharpnessSettings: a settings object gives exactly the keyword call's numbers; unknown options are refused."""

import pytest
import torch

import neurodyn as nd


def _problem():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))
    X, Y = torch.randn(30, 3), torch.randn(30, 1)
    return model, torch.nn.functional.mse_loss, (X, Y)


def test_settings_object_equals_keywords_bitwise():
    model, loss, data = _problem()
    kw = dict(k=2, tol=1e-8, trace=True, trace_samples=8, seed=3)
    a = nd.training.sharpness(model, loss, data, **kw)
    b = nd.training.sharpness(model, loss, data, settings=nd.training.SharpnessSettings(**kw))
    c = nd.training.sharpness(model, loss, data, settings=nd.training.SharpnessSettings(k=2, tol=1e-8, seed=3),
                              trace=True, trace_samples=8)
    for other in (b, c):
        assert torch.equal(a.eigenvalues, other.eigenvalues)
        assert a.trace == other.trace and a.settings == other.settings


def test_unknown_option_is_named():
    model, loss, data = _problem()
    with pytest.raises(nd.InvalidInputError, match=r"\['maxiter'\].*max_iter"):
        nd.training.sharpness(model, loss, data, maxiter=5)
