"""Signal and gradient propagation through depth against mean-field theory and exact Jacobians."""

import math

import matplotlib
import pytest
import torch
from torch import nn

from neurodyn import InvalidInputError, UnsupportedModelError, meanfield
from neurodyn.training import depth_lyapunov

matplotlib.use("Agg")
F64 = torch.float64


def random_mlp(width, depth, sigma_w, sigma_b, seed, d_in=None):
    gen = torch.Generator().manual_seed(seed)
    layers, d = [], d_in or width
    for _ in range(depth):
        lin = nn.Linear(d, width).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(width, d, generator=gen, dtype=F64) * sigma_w / math.sqrt(d))
            lin.bias.copy_(torch.randn(width, generator=gen, dtype=F64) * sigma_b)
        layers += [lin, nn.Tanh()]
        d = width
    return nn.Sequential(*layers)


@pytest.mark.parametrize("sigma_w,sigma_b", [(1.5, 0.3), (0.8, 0.1), (2.5, 0.0)])
def test_wide_random_tanh_mlp_matches_mean_field(sigma_w, sigma_b):
    # per-layer growth of a random perturbation -> 0.5 ln chi1 for width -> inf; fluctuations ~ 1/sqrt(width)
    net = random_mlp(500, 25, sigma_w, sigma_b, seed=0)
    x = torch.randn(8, 500, generator=torch.Generator().manual_seed(1), dtype=F64)
    res = depth_lyapunov(net, x)
    expected = 0.5 * math.log(meanfield.chi1(sigma_w2=sigma_w**2, sigma_b2=sigma_b**2))
    fwd, bwd = res.mean_exponent(skip=5)  # the variance reaches q* within a few layers
    assert abs(fwd - expected) < 0.02 and abs(bwd - expected) < 0.02
    assert res.widths == [500] * 26 and res.forward.shape == (25, 1)


def test_total_growth_of_a_full_frame_is_the_log_determinant():
    net = random_mlp(6, 4, 1.3, 0.2, seed=2)
    x = torch.randn(3, 6, generator=torch.Generator().manual_seed(3), dtype=F64)
    res = depth_lyapunov(net, x, k=6)
    J = torch.stack([torch.autograd.functional.jacobian(net, xi) for xi in x])
    logdet = torch.linalg.slogdet(J).logabsdet.mean()
    assert float(res.forward.sum()) == pytest.approx(float(logdet), abs=1e-10)
    assert float(res.backward.sum()) == pytest.approx(float(logdet), abs=1e-10)


def test_orthogonal_linear_network_neither_grows_nor_shrinks():
    gen = torch.Generator().manual_seed(4)
    layers = []
    for _ in range(6):
        lin = nn.Linear(5, 5, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.linalg.qr(torch.randn(5, 5, generator=gen, dtype=F64)).Q)
        layers.append(lin)
    res = depth_lyapunov(nn.Sequential(*layers), torch.randn(2, 5, dtype=F64), k=5)
    assert float(res.forward.abs().max()) < 1e-12 and float(res.backward.abs().max()) < 1e-12
    assert res.plot(reference=0.0).get_xlabel() == "layer"


def test_bad_input():
    with pytest.raises(UnsupportedModelError, match="nn.Sequential"):
        depth_lyapunov(nn.Linear(3, 3), torch.zeros(2, 3))
    with pytest.raises(InvalidInputError, match="k=4 exceeds the narrowest width 3"):
        depth_lyapunov(random_mlp(3, 2, 1.0, 0.0, 0), torch.zeros(2, 3), k=4)


def test_leading_flatten_joins_the_first_layer():
    net = nn.Sequential(nn.Flatten(), *random_mlp(8, 3, 1.0, 0.0, seed=5))
    res = depth_lyapunov(net, torch.randn(2, 2, 4, dtype=F64))
    assert res.settings["layers"] == 3 and res.widths == [8, 8, 8, 8]
