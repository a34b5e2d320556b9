"""Embedded tasks and data sets: generated from a seed, nothing downloaded at run time."""

from __future__ import annotations

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError


def flip_flop(n_bits: int = 3, *, batch: int = 128, steps: int = 64, p: float = 0.05,
              generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
    """The ``n_bits`` flip-flop memory task (Sussillo & Barak 2013, Neural Comput. 25, 626).

    Each input channel carries rare pulses of +1 or -1 (probability ``p`` per step, and one pulse at ``t = 0``
    so every bit is set); the target of each output channel is the sign of that channel's most recent pulse.
    A network that solves it stores ``2**n_bits`` memories, which appear as stable fixed points of its
    zero-input dynamics.

    Returns:
        ``(inputs, targets)``, both ``(batch, steps, n_bits)``.
    """
    n_bits = positive_int(n_bits, name="n_bits")
    batch, steps = positive_int(batch, name="batch"), positive_int(steps, name="steps")
    p = positive_float(p, name="p")
    if p >= 1:
        raise InvalidInputError(f"p is a probability per step and must be below 1, got {p}")
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    pulse = torch.rand(batch, steps, n_bits, generator=gen) < p
    pulse[:, 0] = True
    sign = torch.where(torch.rand(batch, steps, n_bits, generator=gen) < 0.5, -1.0, 1.0)
    inputs = torch.where(pulse, sign, torch.zeros(()))
    # the target holds the last pulse: index of the most recent pulse at or before each step
    t = torch.arange(steps).view(1, steps, 1).expand_as(pulse)
    last = torch.where(pulse, t, torch.zeros_like(t)).cummax(dim=1).values
    targets = torch.gather(inputs, 1, last)
    return inputs.to(dtype), targets.to(dtype)


def moons(n: int = 1000, *, noise: float = 0.1, seed: int = 0, dtype: torch.dtype = torch.float32):
    """The two-moons classification problem (``sklearn.datasets.make_moons``): two interleaved half circles
    in the plane with Gaussian noise of standard deviation ``noise``, ``n`` points, balanced classes.

    Returns:
        ``(X, y)``: ``X: (n, 2)`` points in ``dtype``, ``y: (n,)`` int64 labels 0/1. Seeded by ``seed``
        alone (the global random state is not touched).
    """
    from sklearn.datasets import make_moons

    n = positive_int(n, name="n", minimum=2)
    if not noise >= 0:
        raise InvalidInputError(f"noise is a standard deviation and must be >= 0, got {noise}")
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return torch.as_tensor(X, dtype=dtype), torch.as_tensor(y, dtype=torch.int64)


def digits(n: int = 500, *, onehot: bool = True, dtype: torch.dtype = torch.float32):
    """The first ``n`` (at most 1797) 8x8 handwritten digits of ``sklearn.datasets.load_digits`` (bundled with
    scikit-learn): ``X: (n, 64)`` pixels scaled to [0, 1] and ``y``: one-hot ``(n, 10)`` targets in ``dtype``
    (for the squared loss) or int64 labels ``(n,)`` with ``onehot=False`` (for cross-entropy)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    n = positive_int(n, name="n")
    if n > len(X):
        raise InvalidInputError(f"n={n} exceeds the {len(X)} digits in the data set")
    X = torch.as_tensor(X[:n], dtype=dtype) / 16.0
    y = torch.as_tensor(y[:n], dtype=torch.int64)
    return X, (torch.nn.functional.one_hot(y, 10).to(dtype) if onehot else y)
