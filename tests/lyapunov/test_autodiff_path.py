"""The generic path (no analytic Jacobian): the same spectrum as the analytic one, and no warnings."""

import subprocess
import sys

import pytest
import torch
from torch import nn

import neurodyn as nd


def test_user_lorenz_equals_the_built_in_one():
    lorenz = nd.lorenz()
    user = nd.Flow(lorenz.fn, 3, params=lorenz.params, name="user lorenz")
    x0 = torch.tensor([[1.0, 1.0, 20.0], [2.0, -1.0, 25.0]], dtype=torch.float64)
    a = nd.lyapunov_spectrum(lorenz, steps=300, dt=0.01, x0=x0, strict=False)
    b = nd.lyapunov_spectrum(user, steps=300, dt=0.01, x0=x0, strict=False)
    torch.testing.assert_close(b.per_sample, a.per_sample, rtol=0, atol=1e-12)
    assert not b.settings["analytic_jacobian"]


def test_neural_ode_module_equals_its_analytic_tanh_field():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 16)).double()

    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, t, x):
            return self.net(x)

    user = nd.from_torch(Field())
    analytic = nd.tanh_field(net[0].weight.detach(), net[0].bias.detach(), W_out=net[2].weight.detach(),
                             b_out=net[2].bias.detach())
    x0 = torch.full((2, 16), 0.1, dtype=torch.float64)
    a = nd.lyapunov_spectrum(analytic, steps=100, dt=0.05, x0=x0, strict=False)
    b = nd.lyapunov_spectrum(user, steps=100, dt=0.05, x0=x0, strict=False)
    torch.testing.assert_close(b.per_sample, a.per_sample, rtol=0, atol=1e-12)


def test_restricted_tangent_space_on_the_generic_path():
    A = torch.tensor([[0.5, 0.2, 0.1, 0.0], [0.1, -0.9, 0.0, 0.3], [0.0, 0.4, 0.7, 0.0], [0.2, 0.0, 0.1, 0.3]],
                     dtype=torch.float64)
    step = lambda x, u: torch.tanh(x @ A.T) * 1.5  # noqa: E731
    idx = torch.tensor([0, 2])

    def jac(x, u):
        return (1.5 * (1 - torch.tanh(x @ A.T) ** 2)).unsqueeze(-1) * A

    plain = nd.Map(step, 4, tangent_index=idx)
    analytic = nd.Map(step, 4, tangent_index=idx, jacobian=jac)
    x0 = torch.tensor([[0.3, -0.2, 0.1, 0.4]], dtype=torch.float64)
    a = nd.lyapunov_spectrum(analytic, steps=200, x0=x0, strict=False)
    b = nd.lyapunov_spectrum(plain, steps=200, x0=x0, strict=False)
    torch.testing.assert_close(b.exponents, a.exponents, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_no_deprecation_warning_from_the_generic_paths():
    code = ("import torch, neurodyn as nd; L = nd.lorenz(); f = nd.Flow(L.fn, 3, params=L.params); "
            "nd.max_lyapunov(f, steps=20, dt=0.01, strict=False); nd.lyapunov_spectrum(f, steps=20, dt=0.01, "
            "strict=False); nd.ftle(f, torch.ones(2, 3, dtype=torch.float64), t=0.1, matrix_free=True)")
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
