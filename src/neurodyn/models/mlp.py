"""A small tanh MLP for the embedded digits data."""

from __future__ import annotations

import torch
from torch import nn

from neurodyn._checks import positive_int


def digits_mlp(hidden: int = 64, *, depth: int = 2, seed: int = 0) -> nn.Sequential:
    """``64 -> hidden -> ... -> hidden -> 10`` with ``depth`` tanh hidden layers, PyTorch's default
    initialisation under ``seed`` (the global random state is saved and restored)."""
    hidden, depth = positive_int(hidden, name="hidden"), positive_int(depth, name="depth")
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only: fork_rng restores just that one
        layers, width = [], 64
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.Tanh()]
            width = hidden
        return nn.Sequential(*layers, nn.Linear(width, 10))
