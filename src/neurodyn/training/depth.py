"""Gradient propagation through depth: Lyapunov exponents of a deep network's layer-to-layer Jacobians."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import jvp, vjp

from neurodyn._checks import positive_int
from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.results import Result

LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


@dataclass(frozen=True, eq=False)
class DepthLyapunov(Result):
    """Per-layer growth rates of signals (forward) and gradients (backward) through a deep network.

    Attributes:
        forward: ``(L, k)`` mean over inputs of ``log |R_ii|`` when an orthonormal ``k``-frame of input
            perturbations is pushed through layer ``l`` and re-orthonormalised (nats per layer), descending
            within a layer once the frame has aligned; ``forward.sum(0)`` are the input-output exponents times
            ``L``.
        backward: ``(L, k)`` the same for a ``k``-frame of output gradients pulled back through layer ``l``
            (row ``l`` is the growth across layer ``l`` on the way back).
        forward_stderr, backward_stderr: ``(L, k)`` standard errors over the inputs.
        widths: the width after each layer (the first entry is the input width).
    """

    forward: torch.Tensor
    backward: torch.Tensor
    forward_stderr: torch.Tensor
    backward_stderr: torch.Tensor
    widths: list
    settings: dict = field(default_factory=dict)

    def mean_exponent(self, skip: int = 0) -> tuple[float, float]:
        """``(forward, backward)`` top exponent averaged over layers ``skip..L`` (nats per layer)."""
        return float(self.forward[skip:, 0].mean()), float(self.backward[skip:, 0].mean())

    def __repr__(self) -> str:
        f, b = self.mean_exponent()
        return (f"DepthLyapunov({len(self.forward)} layers: mean top exponent forward {f:+.4f}, backward {b:+.4f} "
                "nats/layer)")

    def plot(self, ax=None, *, reference: float | None = None):
        """Top forward and backward exponent per layer (with a ``reference`` line, e.g. the mean-field
        ``0.5 ln chi1``). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.8))
        layers = range(1, len(self.forward) + 1)
        ax.errorbar(layers, self.forward[:, 0], yerr=self.forward_stderr[:, 0], marker="o", ms=3, label="forward")
        ax.errorbar(layers, self.backward[:, 0], yerr=self.backward_stderr[:, 0], marker="s", ms=3,
                    label="backward (gradients)")
        if reference is not None:
            ax.axhline(reference, color="k", ls="--", lw=1, label=f"reference {reference:+.4f}")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xlabel("layer")
        ax.set_ylabel("growth per layer (nats)")
        ax.set_title("signal and gradient propagation through depth", fontsize=10)
        ax.legend(fontsize=8)
        return ax


def _blocks(model: nn.Module) -> list[nn.Module]:
    """The layers of ``model``: an ``nn.Sequential`` with ``Linear``/``Conv`` children is cut before each of
    them (a layer = the affine map and what follows it; anything before the first one joins the first layer);
    otherwise each child is one layer (e.g. residual blocks)."""
    if not isinstance(model, (nn.Sequential, nn.ModuleList)):
        raise UnsupportedModelError(f"depth_lyapunov needs the layers in order: pass an nn.Sequential (of layers or "
                                    f"residual blocks), got {type(model).__name__}")
    children = list(model)
    if not any(isinstance(c, LAYER_TYPES) for c in children):
        return children
    blocks, current = [], []
    for c in children:  # children before the first affine map (e.g. Flatten) join the first layer
        if isinstance(c, LAYER_TYPES) and any(isinstance(m, LAYER_TYPES) for m in current):
            blocks.append(nn.Sequential(*current))
            current = []
        current.append(c)
    blocks.append(nn.Sequential(*current))
    return blocks


def _frame(batch: int, d: int, k: int, gen: torch.Generator, dtype) -> torch.Tensor:
    return torch.linalg.qr(torch.randn(batch, d, k, generator=gen, dtype=dtype)).Q


def depth_lyapunov(mlp: nn.Module, inputs, *, k: int = 1, seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> DepthLyapunov:
    """How fast signals and gradients grow or vanish with depth: the Lyapunov exponents of the input-output
    Jacobian product ``J_L ... J_1`` of a deep network, layer by layer (QR method; Benettin et al. 1980).

    Forward: a random orthonormal ``k``-frame at each input is pushed through the layers with JVPs and
    re-orthonormalised after each (``Q R = J_l Q``); layer ``l``'s exponents are ``log |R_ii|``. Backward: a random
    ``k``-frame of output gradients is pulled back with VJPs the same way, which is how backpropagated gradients
    grow (> 0, exploding) or vanish (< 0). For a wide random network at initialisation both approach the
    mean-field rate ``0.5 ln chi1`` (:func:`neurodyn.meanfield.chi1`; Poole et al. 2016, Schoenholz et al. 2017).

    Args:
        mlp: an ``nn.Sequential`` (analysed on a private copy in evaluation mode and ``dtype``); layers are cut
            before each ``Linear``/``Conv`` child, or are its children (e.g. residual blocks) if it has none.
        inputs: ``(B, ...)`` a batch of inputs.
        k: frame size (at most the narrowest width).
        seed: seeds the random frames (a private generator).

    Returns:
        :class:`DepthLyapunov`, in nats per layer.
    """
    blocks = [copy.deepcopy(b).to(dtype).eval().requires_grad_(False) for b in _blocks(mlp)]
    first = next((p for b in blocks for p in b.parameters()), None)
    x = torch.as_tensor(inputs).to(dtype=dtype, device=first.device if first is not None else None)
    if x.ndim < 2 or len(x) == 0:
        raise InvalidInputError(f"inputs must be a batch (B, ...) with B >= 1, got shape {tuple(x.shape)}")
    k = positive_int(k, name="k")
    gen = torch.Generator().manual_seed(seed)
    B = len(x)
    states = [x]
    with torch.no_grad():
        for blk in blocks:
            states.append(blk(states[-1]))
    widths = [s[0].numel() for s in states]
    if k > min(widths):
        raise InvalidInputError(f"k={k} exceeds the narrowest width {min(widths)} of the network")

    def through(blk, inp, V):  # J V for a frame V: (B, d_in, k) -> (B, d_out, k)
        xs = inp.unsqueeze(1).expand(B, k, *inp.shape[1:]).reshape(B * k, *inp.shape[1:])
        tang = V.transpose(1, 2).reshape(B * k, *inp.shape[1:])
        _, out = jvp(blk, (xs,), (tang,))
        return out.reshape(B, k, -1).transpose(1, 2)

    def back(blk, inp, U):  # J^T U for a frame of cotangents U: (B, d_out, k) -> (B, d_in, k)
        xs = inp.unsqueeze(1).expand(B, k, *inp.shape[1:]).reshape(B * k, *inp.shape[1:])
        out, fn = vjp(blk, xs)
        (g,) = fn(U.transpose(1, 2).reshape(out.shape))
        return g.reshape(B, k, -1).transpose(1, 2)

    fwd, bwd = [], [None] * len(blocks)
    V = _frame(B, widths[0], k, gen, dtype).to(x.device)  # drawn on the CPU: the same numbers on any device
    for blk, inp in zip(blocks, states[:-1], strict=True):
        V, R = torch.linalg.qr(through(blk, inp, V))
        fwd.append(torch.log(R.diagonal(dim1=-2, dim2=-1).abs()))
    U = _frame(B, widths[-1], k, gen, dtype).to(x.device)
    for i in reversed(range(len(blocks))):
        U, R = torch.linalg.qr(back(blocks[i], states[i], U))
        bwd[i] = torch.log(R.diagonal(dim1=-2, dim2=-1).abs())
    F, G = torch.stack(fwd, 1), torch.stack(bwd, 1)  # (B, L, k)

    def stderr(t):
        return t.std(0) / math.sqrt(B) if B > 1 else torch.full_like(t[0], math.nan)

    return DepthLyapunov(forward=F.mean(0).cpu(), backward=G.mean(0).cpu(), forward_stderr=stderr(F).cpu(),
                         backward_stderr=stderr(G).cpu(), widths=widths,
                         settings=dict(k=k, seed=seed, inputs=B, layers=len(blocks)))
