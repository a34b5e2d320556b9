"""Functional PyTorch recurrent cells and their analytic Jacobians.

The formulas follow PyTorch's documented conventions exactly (gate order ``r, z, n`` for GRU and
``i, f, g, o`` for LSTM, the reset gate applied to ``W_hn h + b_hn``), so a stacked-state step here equals
one time step of ``nn.RNN``/``nn.GRU``/``nn.LSTM``. The Jacobians are written by hand because they are the
hot path of the Lyapunov spectrum (one ``(n, n)`` matrix per state per step, then a batched matmul); they
are tested against ``torch.func`` to 1e-12.

Each ``*_blocks`` function returns the new state and the derivatives of every new state component with
respect to the layer input (``din``) and the old state components, as ``(..., N, N_in)`` / ``(..., N, N)``
tensors; blocks that are diagonal (an LSTM's ``d c'/d c`` and ``d h'/d c``) are returned as their
diagonals ``(..., N)``, which halves the work of pushing a tangent frame through an LSTM. Every dense block
is a derivative with respect to ``h`` (or the input): the dense blocks of all components, stacked in the
order of the components (``h`` then ``c``), are also returned under the key :data:`STACKED`
(:data:`STACKED_DIN` for the input), so that a frame is pushed through them by one batched matmul.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

STACKED = ("rows", "h")  # key of the dense blocks d(h', c')/dh stacked row-wise: (..., C*N, N)
STACKED_DIN = ("rows", "din")  # the same for the layer input: (..., C*N, N_in)

@dataclass(frozen=True)
class LayerWeights:
    """One layer's weights, already in the analysis dtype: ``w_ih (G*N, N_in)``, ``w_hh (G*N, N)``, biases."""

    w_ih: torch.Tensor
    w_hh: torch.Tensor
    b_ih: torch.Tensor
    b_hh: torch.Tensor


def _diag_mul(d: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """``diag(d) @ W`` for batched ``d: (..., N)`` and ``W: (N, M)``."""
    return d.unsqueeze(-1) * W


def _diag_sum(pairs) -> torch.Tensor:
    """``sum_i diag(d_i) @ W_i``, accumulated in place (one allocation: this is the Lyapunov hot path)."""
    (d0, W0), *rest = pairs
    out = _diag_mul(d0, W0)
    for d, W in rest:
        out.addcmul_(d.unsqueeze(-1), W)
    return out


def _with_stacked(blocks: dict) -> dict:
    """A one-component cell's blocks with their :data:`STACKED` views (the blocks themselves)."""
    blocks[STACKED] = blocks[("h", "h")]
    if ("h", "din") in blocks:
        blocks[STACKED_DIN] = blocks[("h", "din")]
    return blocks


def _linear(x: torch.Tensor | None, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if x is None:  # zero input
        return b
    return x @ W.T + b


# --- Elman RNN ------------------------------------------------------------------------------------------
def _rnn_pre(x, h, w: LayerWeights):
    return _linear(x, w.w_ih, w.b_ih) + h @ w.w_hh.T + w.b_hh


def rnn_step(x, h, w: LayerWeights, relu: bool):
    a = _rnn_pre(x, h, w)
    return torch.relu(a) if relu else torch.tanh(a)


def rnn_blocks(x, h, w: LayerWeights, relu: bool, need_din: bool = True):
    a = _rnn_pre(x, h, w)
    if relu:
        h_new, d = torch.relu(a), (a > 0).to(a.dtype)
    else:
        h_new = torch.tanh(a)
        d = 1 - h_new * h_new
    blocks = {("h", "h"): _diag_mul(d, w.w_hh)}
    if need_din:
        blocks[("h", "din")] = _diag_mul(d, w.w_ih)
    return (h_new,), _with_stacked(blocks)


# --- GRU ------------------------------------------------------------------------------------------------
def _gru_parts(x, h, w: LayerWeights):
    gi = _linear(x, w.w_ih, w.b_ih)
    gh = h @ w.w_hh.T + w.b_hh
    N = h.shape[-1]
    if gi.ndim == 1:
        gi = gi.expand_as(gh)
    i_r, i_z, i_n = gi.split(N, -1)
    h_r, h_z, h_n = gh.split(N, -1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return r, z, n, h_n


def gru_step(x, h, w: LayerWeights):
    _, z, n, _ = _gru_parts(x, h, w)
    return (1 - z) * n + z * h


def gru_blocks(x, h, w: LayerWeights, need_din: bool = True):
    # h' = (1-z) n + z h;  n = tanh(a_n + r (W_hn h + b_hn));  r, z = sigmoid(...)
    r, z, n, h_n = _gru_parts(x, h, w)
    N = h.shape[-1]
    dn = (1 - z) * (1 - n * n)  # dh'/d(pre-activation of n)
    dr = dn * h_n * r * (1 - r)  # dh'/d(pre-activation of r)
    dz = (h - n) * z * (1 - z)  # dh'/d(pre-activation of z)
    W_ir, W_iz, W_in = w.w_ih.split(N, 0)
    W_hr, W_hz, W_hn = w.w_hh.split(N, 0)
    d_h = _diag_sum(((dr, W_hr), (dz, W_hz), (dn * r, W_hn)))
    d_h.diagonal(dim1=-2, dim2=-1).add_(z)
    blocks = {("h", "h"): d_h}
    if need_din:
        blocks[("h", "din")] = _diag_sum(((dr, W_ir), (dz, W_iz), (dn, W_in)))
    return ((1 - z) * n + z * h,), _with_stacked(blocks)


def gru_candidate(x, h, w: LayerWeights) -> torch.Tensor:
    """The candidate state ``n(x, h)`` alone (see :func:`gru_candidate_blocks`)."""
    return _gru_parts(x, h, w)[2]


def gru_candidate_blocks(x, h, w: LayerWeights, need_din: bool = True):
    """The candidate state ``n(x, h)`` and its derivatives ``dn/dh`` and (if ``need_din``) ``dn/dx``.

    Since ``h' - h = (1 - z)(n - h)`` with ``0 < 1 - z``, the fixed points of a GRU layer are exactly the
    solutions of ``n(x, h) = h``; that residual stays well conditioned where the update gate saturates
    (``z -> 1``), which makes ``h' - h`` nearly flat and Newton's method slow.
    """
    r, _, n, h_n = _gru_parts(x, h, w)
    N = h.shape[-1]
    dn = 1 - n * n
    dr = dn * h_n * r * (1 - r)
    W_ir, _, W_in = w.w_ih.split(N, 0)
    W_hr, _, W_hn = w.w_hh.split(N, 0)
    blocks = {("h", "h"): _diag_sum(((dn * r, W_hn), (dr, W_hr)))}
    if need_din:
        blocks[("h", "din")] = _diag_sum(((dn, W_in), (dr, W_ir)))
    return n, blocks


# --- LSTM -----------------------------------------------------------------------------------------------
def _lstm_parts(x, h, c, w: LayerWeights):
    g_all = _rnn_pre(x, h, w)
    N = h.shape[-1]
    a_i, a_f, a_g, a_o = g_all.split(N, -1)
    i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c_new = f * c + i * g
    tc = torch.tanh(c_new)
    return i, f, g, o, c_new, tc


def lstm_step(x, h, c, w: LayerWeights):
    *_, o, c_new, tc = _lstm_parts(x, h, c, w)
    return o * tc, c_new


def lstm_blocks(x, h, c, w: LayerWeights, need_din: bool = True):
    # c' = f c + i g;  h' = o tanh(c')
    i, f, g, o, c_new, tc = _lstm_parts(x, h, c, w)
    N = h.shape[-1]
    # derivatives of c' with respect to the gate pre-activations, then of h'
    dc_ai, dc_af, dc_ag = g * i * (1 - i), c * f * (1 - f), i * (1 - g * g)
    k = o * (1 - tc * tc)  # dh'/dc'
    dh_ao = tc * o * (1 - o)

    def rows(W):  # [d h'/d v; d c'/d v] stacked, for v with pre-activation Jacobian W = (W_i, W_f, W_g, W_o)
        W_i, W_f, W_g, W_o = W.split(N, 0)
        out = k.new_empty(*k.shape[:-1], 2 * N, W.shape[-1])
        dh, dc = out[..., :N, :], out[..., N:, :]
        torch.mul(dc_ai.unsqueeze(-1), W_i, out=dc)
        dc.addcmul_(dc_af.unsqueeze(-1), W_f).addcmul_(dc_ag.unsqueeze(-1), W_g)
        torch.mul(dh_ao.unsqueeze(-1), W_o, out=dh)
        dh.addcmul_(k.unsqueeze(-1), dc)
        return out, dh, dc

    stacked, dh_dh, dc_dh = rows(w.w_hh)
    blocks = {("h", "h"): dh_dh, ("h", "c"): k * f, ("c", "h"): dc_dh, ("c", "c"): f, STACKED: stacked}
    if need_din:
        blocks[STACKED_DIN], blocks[("h", "din")], blocks[("c", "din")] = rows(w.w_ih)
    return (o * tc, c_new), blocks
