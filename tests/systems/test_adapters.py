"""from_torch: the stacked-state step equals PyTorch's own forward, analytic Jacobians equal autodiff."""

import copy

import pytest
import torch
from torch import nn
from torch.func import jacfwd

import neurodyn as nd
from neurodyn.systems import state_from_torch, state_to_torch

KW = dict(dtype=torch.float64)


def _modules():
    torch.manual_seed(0)
    out = []
    for L in (1, 3):
        for batch_first in (False, True):
            out.append(nn.RNN(3, 5, num_layers=L, batch_first=batch_first, **KW))
            out.append(nn.RNN(3, 5, num_layers=L, nonlinearity="relu", bias=False, batch_first=batch_first, **KW))
            out.append(nn.GRU(3, 5, num_layers=L, batch_first=batch_first, **KW))
            out.append(nn.LSTM(3, 5, num_layers=L, batch_first=batch_first, **KW))
    out.append(nn.GRU(3, 5, num_layers=2, bias=False, **KW))
    out.append(nn.LSTM(3, 5, num_layers=2, bias=False, **KW))
    return out


def _draw(system, batch, input_size, seed):
    """Seeded states from the system's sampler and Gaussian inputs, plus the generator for more draws."""
    gen = torch.Generator().manual_seed(seed)
    x = system.sample_state(batch, gen)
    return x, torch.randn(batch, input_size, generator=gen, dtype=torch.float64), gen


@pytest.mark.parametrize("module", _modules(), ids=lambda m: f"{type(m).__name__}-L{m.num_layers}")
def test_step_equals_pytorch_forward(module):
    system = nd.from_torch(module)
    x, u, _ = _draw(system, 4, 3, seed=1)
    ours = system.step(x, u)
    seq = u.unsqueeze(1) if module.batch_first else u.unsqueeze(0)
    with torch.no_grad():
        _, state = module(seq, state_to_torch(module, x))
    ref = state_from_torch(module, state)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-13)


@pytest.mark.parametrize("module", _modules(), ids=lambda m: f"{type(m).__name__}-L{m.num_layers}")
def test_analytic_jacobian_matches_autodiff(module):
    system = nd.from_torch(module)
    x, u, _ = _draw(system, 3, 3, seed=2)
    J = system.jacobian(x, u)
    for b in range(3):
        ref = jacfwd(lambda y, b=b: system.step(y, u[b]))(x[b])
        torch.testing.assert_close(J[b], ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
def test_cells(cls):
    torch.manual_seed(3)
    cell = cls(2, 4, dtype=torch.float64)
    system = nd.from_torch(cell)
    x, u, _ = _draw(system, 2, 2, seed=4)
    with torch.no_grad():
        if cls is nn.LSTMCell:
            h, c = cell(u, (x[:, :4], x[:, 4:]))
            ref = torch.cat([h, c], -1)
        else:
            ref = cell(u, x)
    torch.testing.assert_close(system.step(x, u), ref, rtol=0, atol=1e-13)
    ref_J = torch.stack([jacfwd(lambda y, b=b: system.step(y, u[b]))(x[b]) for b in range(2)])
    torch.testing.assert_close(system.jacobian(x, u), ref_J, rtol=0, atol=1e-12)


def test_lstm_h_only_view_is_the_hh_block():
    torch.manual_seed(5)
    lstm = nn.LSTM(2, 3, num_layers=2, dtype=torch.float64)
    full, h_only = nd.from_torch(lstm), nd.from_torch(lstm, lstm_state="h")
    assert (full.dim, full.tangent_dim, h_only.dim, h_only.tangent_dim) == (12, 12, 12, 6)
    x, u, gen = _draw(full, 2, 2, seed=6)
    torch.testing.assert_close(h_only.jacobian(x, u), full.jacobian(x, u)[:, :6, :6])
    v = torch.randn(2, 6, generator=gen, dtype=torch.float64)
    expected = (full.jacobian(x, u)[:, :6, :6] @ v.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(h_only.jvp(x, u, v)[1], expected, rtol=0, atol=1e-13)


def test_module_is_not_mutated():
    torch.manual_seed(7)
    gru = nn.GRU(3, 4, num_layers=2)  # float32, train mode, requires_grad
    gru.train()
    before = copy.deepcopy(gru.state_dict())
    flags = [p.requires_grad for p in gru.parameters()]
    system = nd.from_torch(gru)
    # batch_first=False: the inputs are (time, batch, features), the module's own layout
    nd.lyapunov_spectrum(system, steps=20, inputs=torch.randn(20, 2, 3, generator=torch.Generator().manual_seed(0)))
    assert gru.training and [p.requires_grad for p in gru.parameters()] == flags
    for k, v in gru.state_dict().items():
        assert v.dtype == torch.float32 and torch.equal(v, before[k])


def test_vector_field_module_becomes_flow():
    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, t, x):
            return torch.tanh(self.lin(x)) - x

    torch.manual_seed(8)
    module = Field()
    flow = nd.from_torch(module)
    assert isinstance(flow, nd.Flow) and flow.dim == 3
    x = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    W, b = module.lin.weight.double(), module.lin.bias.double()
    torch.testing.assert_close(flow.field(0.0, x), torch.tanh(x @ W.T + b) - x)
    J = flow.jacobian(x, None)
    ref = (1 - torch.tanh(x @ W.T + b) ** 2).unsqueeze(-1) * W - torch.eye(3, dtype=torch.float64)
    torch.testing.assert_close(J, ref, rtol=0, atol=1e-14)
    assert module.lin.weight.dtype == torch.float32


@pytest.mark.parametrize(
    "module, match",
    [
        (nn.GRU(2, 3, bidirectional=True), "bidirectional"),
        (nn.LSTM(2, 3, proj_size=2), "proj_size"),
        (nn.Linear(2, 2), "cannot turn Linear"),
        (lambda x: x, "expects an nn.Module"),
    ],
)
def test_unsupported_modules_are_refused(module, match):
    with pytest.raises(nd.UnsupportedModelError, match=match):
        nd.from_torch(module)


def test_non_finite_weights_are_refused():
    gru = nn.GRU(2, 3)
    with torch.no_grad():
        gru.weight_hh_l0[0, 0] = float("nan")
    with pytest.raises(nd.NonFiniteError, match="weight_hh_l0"):
        nd.from_torch(gru)


def test_subclass_with_own_forward_is_not_silently_treated_as_gru():
    class Odd(nn.GRU):
        def forward(self, x):
            return super().forward(2 * x)

    with pytest.raises(nd.UnsupportedModelError):
        nd.from_torch(Odd(2, 3))


@pytest.mark.parametrize("module", _modules(), ids=lambda m: f"{type(m).__name__}-L{m.num_layers}")
def test_structured_push_forward_equals_jacobian_product(module):
    system = nd.from_torch(module)
    x, u, gen = _draw(system, 3, 3, seed=9)
    V = torch.randn(3, system.dim, 4, generator=gen, dtype=torch.float64)
    out, JV = system.push_forward(x, u, V)
    torch.testing.assert_close(out, system.step(x, u), rtol=0, atol=1e-15)
    torch.testing.assert_close(JV, system.jacobian(x, u) @ V, rtol=0, atol=1e-13)
    _, JV_autodiff = system.push_forward(x, u, V, prefer_jvp=True)
    torch.testing.assert_close(JV, JV_autodiff, rtol=0, atol=1e-13)


def test_vector_field_runs_in_eval_mode_on_a_copy():
    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.drop, self.norm = nn.Linear(3, 3), nn.Dropout(0.5), nn.BatchNorm1d(3)

        def forward(self, t, x):
            return self.norm(self.drop(torch.tanh(self.lin(x)))) - x

    module = Noisy().train()
    stats = module.norm.running_mean.clone()
    flow = nd.from_torch(module)
    state = torch.get_rng_state()
    x = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    a, b = flow.field(0.0, x), flow.field(0.0, x)
    assert torch.equal(a, b), "dropout must be off and batch-norm statistics frozen"
    assert torch.equal(torch.get_rng_state(), state)
    assert module.training and torch.equal(module.norm.running_mean, stats)


def test_a_cell_like_forward_is_not_taken_for_a_vector_field():
    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, u, h):
            return torch.tanh(self.lin(u) + h)

    with pytest.raises(nd.UnsupportedModelError, match="forward\\(t, x\\)"):
        nd.from_torch(Cell())


def test_state_layout_is_pytorchs_order():
    lstm = nn.LSTM(1, 2, num_layers=2)
    h = torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]])  # (L=2, B=1, N=2)
    c = torch.tensor([[[5.0, 6.0]], [[7.0, 8.0]]])
    x = state_from_torch(lstm, (h, c))
    assert x.tolist() == [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]  # [h_1, h_2, c_1, c_2]
    back = state_to_torch(lstm, x)
    assert torch.equal(back[0], h) and torch.equal(back[1], c)
    cell = nn.GRUCell(1, 3)
    assert torch.equal(state_to_torch(cell, torch.ones(2, 3)), torch.ones(2, 3))
    with pytest.raises(nd.UnsupportedModelError):
        state_to_torch(nn.Linear(2, 2), x)


def test_gru_fixed_point_residual_jacobian_and_zeros():
    """The GRU's equivalent fixed-point residual n(x, h) - h: its Jacobian equals autodiff, and with one
    layer h' - h = (1 - z) * G exactly, so both have the same zeros."""
    torch.manual_seed(0)
    for layers in (1, 2):
        gru = nn.GRU(3, 5, num_layers=layers)
        system = nd.from_torch(gru)
        x = torch.randn(4, system.dim, dtype=torch.float64)
        u = torch.randn(4, 3, dtype=torch.float64)
        G, J = system.fixed_point_residual(x, u, True)
        residual = system.fixed_point_residual
        ref = torch.func.vmap(torch.func.jacrev(lambda xi, ui, r=residual: r(xi, ui, False)))(x, u)
        torch.testing.assert_close(J, ref, rtol=0, atol=1e-12)
        torch.testing.assert_close(system.fixed_point_residual(x, u, False), G, rtol=0, atol=0)
    cell = nd.from_torch(nn.GRU(3, 5))
    w = cell.fn.__self__.layers[0]
    z = torch.sigmoid(u @ w.w_ih[5:10].T + w.b_ih[5:10] + x[:, :5] @ w.w_hh[5:10].T + w.b_hh[5:10])
    G = cell.fixed_point_residual(x[:, :5], u, False)
    torch.testing.assert_close(cell.step(x[:, :5], u) - x[:, :5], (1 - z) * G, rtol=0, atol=1e-14)
