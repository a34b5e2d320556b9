"""Networks with known input–output geometry, built in float64 with planted weights (shared by the iomaps tests;
a module of its own name, since every test folder has a conftest)."""


import torch
from torch import nn

PLANTED_AT = (0.3, -0.2)


def mlp(*widths, act=nn.Tanh, seed=0, dtype=torch.float64):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = []
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(a, b), act()]
        return nn.Sequential(*layers[:-1]).to(dtype)


def set_weights(net, *pairs):
    with torch.no_grad():
        for layer, (W, b) in zip([m for m in net if isinstance(m, nn.Linear)], pairs, strict=True):
            layer.weight.copy_(torch.as_tensor(W, dtype=layer.weight.dtype))
            layer.bias.copy_(torch.as_tensor(b, dtype=layer.bias.dtype))
    return net
