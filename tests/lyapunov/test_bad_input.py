"""Bad input to the Lyapunov drivers: clear NeurodynError subclasses naming the object."""

import math

import pytest
import torch
from torch import nn

import neurodyn as nd


def _blowup():
    return nd.Map(lambda x, u: 3.0 * x * x, 1, name="square")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(system=nd.henon(), steps=10, k=3), nd.InvalidInputError, "k=3 exceeds"),
        (dict(system=nd.henon(), steps=10, dt=0.1), nd.InvalidInputError, "is a map"),
        (dict(system=nd.lorenz(), steps=10), nd.InvalidInputError, "pass dt"),
        (dict(system=nd.henon()), nd.InvalidInputError, "pass steps"),
        (dict(system=nd.henon(), steps=0), nd.InvalidInputError, "steps must be"),
        (dict(system=nd.henon(), steps=5, x0=[float("nan"), 0.0]), nd.NonFiniteError, "x0"),
        (dict(system=nd.henon(), steps=5, x0=[0.0, 0.0, 0.0]), nd.InvalidInputError, "x0 has shape"),
        (dict(system=nd.henon(), steps=5, inputs=torch.zeros(5, 1)), nd.InvalidInputError, "takes no input"),
        (dict(system=nd.henon(), steps=5, base=10), nd.InvalidInputError, "base"),
        (dict(system="lorenz", steps=5), nd.UnsupportedModelError, "expected a neurodyn Map"),
        (dict(system=nd.lorenz(), steps=5, dt=0.1, method="leapfrog"), nd.InvalidInputError, "unknown method"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    system = kwargs.pop("system")
    with pytest.raises(error, match=match):
        nd.lyapunov_spectrum(system, **kwargs)


def test_input_shapes_are_checked():
    gru = nd.from_torch(nn.GRU(3, 4, batch_first=True), name="my_gru")
    with pytest.raises(nd.InvalidInputError, match="last dimension must be the input_dim of 'my_gru' = 3"):
        nd.lyapunov_spectrum(gru, inputs=torch.zeros(2, 10, 2))
    with pytest.raises(nd.InvalidInputError, match="expected \\(batch, T, input_dim\\)"):
        nd.lyapunov_spectrum(gru, inputs=torch.zeros(3))
    with pytest.raises(nd.InvalidInputError, match="10 time steps but .* at least 20"):
        nd.lyapunov_spectrum(gru, inputs=torch.zeros(2, 10, 3), steps=20)
    with pytest.raises(nd.InvalidInputError, match="x0 has batch 3 but inputs has batch 2"):
        nd.lyapunov_spectrum(gru, inputs=torch.zeros(2, 10, 3), x0=torch.zeros(3, 4))
    with pytest.raises(nd.NonFiniteError, match="inputs"):
        nd.lyapunov_spectrum(gru, inputs=torch.full((2, 10, 3), float("inf")))


def test_divergence_reports_the_step():
    with pytest.raises(nd.DivergenceError, match="'square'.*step 9 of 20") as info:
        nd.lyapunov_spectrum(_blowup(), steps=20, x0=[2.0])
    assert info.value.step == 9  # 2 -> 12 -> 432 -> ... overflows float64 at the 9th application


def test_partial_result_with_strict_false():
    doubling = nd.Map(lambda x, u: 2 * x, 1, name="doubling")  # 2**1024 overflows float64
    with pytest.raises(nd.DivergenceError, match="step 1024"):
        nd.lyapunov_spectrum(doubling, steps=2000, x0=[1.0])
    res = nd.lyapunov_spectrum(doubling, steps=2000, x0=[1.0], strict=False)
    assert res.status == "diverged" and res.diverged_at == 1024
    assert res.settings["measured_steps"] == 1023
    assert res.maximal == pytest.approx(math.log(2.0), abs=1e-12)


def test_batch_conflicts_and_integer_types():
    import numpy as np

    with pytest.raises(nd.InvalidInputError, match="drop batch"):
        nd.lyapunov_spectrum(nd.henon(), steps=5, x0=[0.1, 0.1], batch=3)
    with pytest.raises(nd.InvalidInputError, match="steps must be an integer"):
        nd.lyapunov_spectrum(nd.henon(), steps="100")
    res = nd.lyapunov_spectrum(nd.henon(), steps=np.int64(50), batch=np.int32(2))
    assert res.per_sample.shape == (2, 2)


def test_adaptive_solver_failure_is_a_divergence_error():
    blowup = nd.Flow(lambda t, x: x * x, 1, name="finite-time blow-up")  # x(t) = 1/(1 - t) from x(0) = 1
    with pytest.raises(nd.DivergenceError, match="'finite-time blow-up'.*adaptive solver"):
        nd.lyapunov_spectrum(blowup, steps=5, dt=0.5, x0=[1.0], method="dopri5")
