"""The generic (autodiff) path: same spectrum as the analytic one, whole-step linearisation, compile=True."""

import pytest
import torch
from fastpath_systems import TOWEL_X0, towel, towel_jacobian, towel_step

import neurodyn as nd


def test_towel_jacobian_is_the_derivative_of_the_step():
    x = TOWEL_X0[0]
    torch.testing.assert_close(towel_jacobian(x, None), torch.func.jacrev(towel_step)(x, None), rtol=0, atol=1e-14)


def test_user_towel_map_equals_its_analytic_version():
    a = nd.lyapunov_spectrum(towel(True), steps=2000, x0=TOWEL_X0, qr_every=1, strict=False)
    b = nd.lyapunov_spectrum(towel(False), steps=2000, x0=TOWEL_X0, qr_every=1, strict=False)
    torch.testing.assert_close(b.per_sample, a.per_sample, rtol=0, atol=1e-12)
    assert a.exponents[0] > 0.3 and a.exponents[1] > 0.3 and a.exponents[2] < -3  # two positive exponents


@pytest.mark.parametrize("method", ["rk4", "rk38", "midpoint", "euler"])
def test_whole_step_linearisation_equals_the_variational_equation(method):
    """An explicit Runge–Kutta step commutes with linearisation: the Jacobian of the whole step (the generic
    path) gives the frame that stage-by-stage integration of dQ/dt = J Q with the analytic J gives."""
    lorenz = nd.lorenz()
    user = nd.Flow(lorenz.fn, 3, params=lorenz.params, name="user lorenz")
    x0 = torch.tensor([[1.0, 1.0, 20.0], [2.0, -1.0, 25.0]], dtype=torch.float64)
    a = nd.lyapunov_spectrum(lorenz, steps=300, dt=0.005, x0=x0, method=method, qr_every=1, strict=False)
    b = nd.lyapunov_spectrum(user, steps=300, dt=0.005, x0=x0, method=method, qr_every=1, strict=False)
    torch.testing.assert_close(b.per_sample, a.per_sample, rtol=0, atol=1e-12)


def test_compile_needs_a_fixed_step_method():
    with pytest.raises(nd.InvalidInputError, match="compile=True needs a fixed-step method"):
        nd.lyapunov_spectrum(nd.lorenz(), steps=10, dt=0.01, method="dopri5", compile=True)


@pytest.mark.slow
def test_compiled_run_agrees_with_the_eager_one():
    """Compiled kernels may round differently, so the chaotic runs agree within their standard errors."""
    lorenz = nd.lorenz()
    user = nd.Flow(lorenz.fn, 3, params=lorenz.params, name="user lorenz")
    x0 = torch.tensor([[1.0, 1.0, 20.0]], dtype=torch.float64)
    kw = dict(steps=3000, dt=0.01, x0=x0, transient=200, strict=False)
    eager = nd.lyapunov_spectrum(user, **kw)
    compiled = nd.lyapunov_spectrum(user, compile=True, **kw)
    assert compiled.settings["compile"] and not eager.settings["compile"]
    assert bool(((compiled.exponents - eager.exponents).abs() <= 3 * eager.stderr + 1e-9).all())
