"""Vector fields of ``tanh(W x + b)`` type with analytic Jacobians: the fast path for neural ODEs."""

from __future__ import annotations

import torch

from neurodyn._checks import as_tensor
from neurodyn.errors import InvalidInputError
from neurodyn.systems.protocol import Flow


def tanh_field(W, b=None, *, W_out=None, b_out=None, leak: float = 0.0, name: str = "tanh field",
               dtype: torch.dtype = torch.float64, device=None) -> Flow:
    """The flow ``dx/dt = -leak * x + W_out tanh(W x + b) + b_out``.

    With ``W_out`` omitted the field is ``-leak * x + tanh(W x + b)`` (``W`` square); with it, a one-hidden-layer
    tanh MLP (``W: (h, n)``, ``W_out: (n, h)``), the usual neural-ODE vector field. The Jacobian
    ``-leak I + W_out diag(1 - tanh^2(W x + b)) W`` and its action on tangent frames are analytic: a frame
    ``V: (..., n, k)`` is pushed as ``W_out (s * (W V))`` without forming the Jacobian.

    Args:
        W, b: the inner weights ``(h, n)`` and bias ``(h,)`` (default zero).
        W_out, b_out: the outer weights ``(n, h)`` and bias ``(n,)`` (default: identity and zero).
        leak: the decay rate (1/time units) of the linear term.
        name, dtype, device: as for :class:`neurodyn.Flow` (the weights are copied in ``dtype``).
    """
    W = as_tensor(W, name="W", dtype=dtype, device=device).clone()
    if W.ndim != 2:
        raise InvalidInputError(f"W must be a matrix (h, n), got shape {tuple(W.shape)}")
    h, n = W.shape
    b = torch.zeros(h, dtype=dtype, device=W.device) if b is None else as_tensor(b, name="b", dtype=dtype,
                                                                                 device=device).clone()
    if W_out is None:
        if h != n:
            raise InvalidInputError(f"W has shape {tuple(W.shape)}: without W_out the field tanh(W x + b) needs a "
                                    "square W")
        W_out = torch.eye(n, dtype=dtype, device=W.device)
    else:
        W_out = as_tensor(W_out, name="W_out", dtype=dtype, device=device).clone()
    b_out = torch.zeros(n, dtype=dtype, device=W.device) if b_out is None else as_tensor(
        b_out, name="b_out", dtype=dtype, device=device).clone()
    if b.shape != (h,) or W_out.shape != (n, h) or b_out.shape != (n,):
        raise InvalidInputError(f"shapes do not fit W {tuple(W.shape)}: need b ({h},), W_out ({n}, {h}), b_out "
                                f"({n},); got {tuple(b.shape)}, {tuple(W_out.shape)}, {tuple(b_out.shape)}")
    leak = float(leak)

    def field(t, x):
        return torch.tanh(x @ W.T + b) @ W_out.T + b_out - leak * x

    def jacobian(t, x):
        s = 1 - torch.tanh(x @ W.T + b) ** 2
        J = W_out @ (s[..., :, None] * W)
        return J - leak * torch.eye(n, dtype=x.dtype, device=x.device) if leak else J

    def push_forward(x, t, V):
        a = torch.tanh(x @ W.T + b)
        # columns as rows, (..., k, n): the products become single large matmuls instead of many tiny ones
        Vt = V.transpose(-1, -2)
        JVt = ((1 - a * a)[..., None, :] * (Vt @ W.T)) @ W_out.T
        JV = JVt.transpose(-1, -2)
        return a @ W_out.T + b_out - leak * x, (JV - leak * V if leak else JV)

    system = Flow(field, n, jacobian=jacobian, name=name, dtype=dtype, device=W.device)
    system._push_forward = push_forward
    return system
