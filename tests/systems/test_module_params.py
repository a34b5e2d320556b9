"""from_torch(module, params=...): one-element parameters or buffers of a vector-field module become the flow's
named parameters, varied without touching the module."""

import pytest
import torch
from torch import nn

import neurodyn as nd
from neurodyn import InvalidInputError

F64 = torch.float64


class LeakyRotation(nn.Module):
    """dx/dt = -x + tanh(((1 + alpha) I + omega J) x): a Hopf point at alpha = 0 with frequency omega."""

    def __init__(self, omega=1.5):
        super().__init__()
        self.dim = 2
        self.alpha = nn.Parameter(torch.tensor(-0.2))
        self.register_buffer("omega", torch.tensor([omega]))

    def forward(self, t, x):
        J = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=x.dtype)
        M = (1 + self.alpha) * torch.eye(2, dtype=x.dtype) + self.omega * J
        return -x + torch.tanh(x @ M.T)


def test_module_parameters_become_flow_params_and_the_module_is_untouched():
    module = LeakyRotation()
    flow = nd.from_torch(module, params=["alpha", "omega"])
    assert set(flow.params) == {"alpha", "omega"} and float(flow.params["alpha"]) == pytest.approx(-0.2)
    x = torch.tensor([[0.3, -0.4]], dtype=F64)
    moved = flow.with_params(alpha=0.25, omega=2.0).f(x)
    M = torch.tensor([[1.25, -2.0], [2.0, 1.25]], dtype=F64)
    torch.testing.assert_close(moved, -x + torch.tanh(x @ M.T), rtol=0, atol=1e-15)
    (h,) = nd.find_hopf_points(flow, param="alpha", start=-0.2)  # derivatives in alpha go through the module
    assert abs(h.value) < 1e-12 and h.omega == pytest.approx(1.5, rel=1e-12)
    assert float(module.alpha) == pytest.approx(-0.2) and module.alpha.requires_grad and module.alpha.dtype == \
        torch.float32 and module.training


def test_bad_params():
    with pytest.raises(InvalidInputError, match="no one-element parameter or buffer 'beta'.*'alpha', 'omega'"):
        nd.from_torch(LeakyRotation(), params=["beta"])
    with pytest.raises(InvalidInputError, match="vector-field modules"):
        nd.from_torch(nn.GRU(2, 3), params=["bias_hh_l0"])
