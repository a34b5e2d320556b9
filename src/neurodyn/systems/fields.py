"""Vector fields of ``tanh(W x + b)`` type with analytic Jacobians: the fast path for neural ODEs."""

from __future__ import annotations

from dataclasses import dataclass

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
    identity_out = W_out is None
    if identity_out:
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
        J = s[..., :, None] * W if identity_out else W_out @ (s[..., :, None] * W)  # I @ M is M: skip the n^3 product
        return J - leak * torch.eye(n, dtype=x.dtype, device=x.device) if leak else J

    def push_forward(x, t, V):
        a = torch.tanh(x @ W.T + b)
        # columns as rows, (..., k, n): the products become single large matmuls instead of many tiny ones
        Vt = V.transpose(-1, -2)
        JVt = ((1 - a * a)[..., None, :] * (Vt @ W.T)) @ W_out.T
        JV = JVt.transpose(-1, -2)
        return a @ W_out.T + b_out - leak * x, (JV - leak * V if leak else JV)

    return Flow(field, n, jacobian=jacobian, name=name, dtype=dtype, device=W.device,
                frame_push_forward=push_forward, tanh_form=TanhForm(W=W, b=b, W_out=W_out, b_out=b_out, leak=leak))


@dataclass(frozen=True, eq=False)
class TanhForm:
    """The structure ``F(x, a) = -leak x + W_out tanh((W + a W1) x + b + a b1) + b_out`` of a field built by
    :func:`tanh_field` or :func:`tanh_family` (``a`` is the parameter ``param``; ``W1``, ``b1`` are ``None``
    when there is none). Analyses that need more than a black-box field (interval enclosures for proofs) read it."""

    W: torch.Tensor
    b: torch.Tensor
    W_out: torch.Tensor
    b_out: torch.Tensor
    leak: float
    param: str | None = None
    W1: torch.Tensor | None = None
    b1: torch.Tensor | None = None

    def at(self, a: float) -> tuple[torch.Tensor, torch.Tensor]:
        """The inner weights and bias ``(W + a W1, b + a b1)`` at parameter value ``a``."""
        W = self.W if self.W1 is None else self.W + a * self.W1
        b = self.b if self.b1 is None else self.b + a * self.b1
        return W, b


def tanh_family(A, *, direction=None, b=None, b_direction=None, leak: float = 0.0, param: str = "alpha",
                value: float = 0.0, name: str | None = None, dtype: torch.dtype = torch.float64,
                device=None) -> Flow:
    """The one-parameter family ``dx/dt = -leak * x + tanh((A + alpha D) x + b + alpha d)`` of neural ODEs.

    ``D`` (``direction``) defaults to the identity, which gives the family ``tanh((A + alpha I) x)`` whose Hopf
    points sit exactly at ``alpha = -Re(lambda)`` for the complex eigenvalues ``lambda`` of ``A`` (when
    ``b = 0``). ``direction=A`` with ``A`` replaced by zeros gives a weight scaling ``tanh(alpha A x)``; ``A = W0``,
    ``direction = W1 - W0`` interpolates between two trained matrices. The returned :class:`neurodyn.Flow` has
    ``params={param: value}``, an analytic Jacobian, and the structure the continuation and proof routines use.

    Args:
        A: the ``(n, n)`` matrix at ``alpha = 0``.
        direction: ``D``, the ``(n, n)`` derivative of the weights in ``alpha`` (default: identity).
        b, b_direction: the bias ``(n,)`` at ``alpha = 0`` and its derivative in ``alpha`` (default zero).
        leak: the decay rate of the linear term (1/time units).
        param, value: the parameter's name and its initial value.
    """
    A = as_tensor(A, name="A", dtype=dtype, device=device).clone()
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise InvalidInputError(f"A must be a square matrix (n, n), got shape {tuple(A.shape)}")
    n = A.shape[0]
    D = torch.eye(n, dtype=dtype, device=A.device) if direction is None else as_tensor(
        direction, name="direction", dtype=dtype, device=device).clone()
    b = torch.zeros(n, dtype=dtype, device=A.device) if b is None else as_tensor(
        b, name="b", dtype=dtype, device=device).clone()
    d = None if b_direction is None else as_tensor(b_direction, name="b_direction", dtype=dtype,
                                                   device=device).clone()
    if D.shape != (n, n) or b.shape != (n,) or (d is not None and d.shape != (n,)):
        raise InvalidInputError(f"shapes do not fit A {tuple(A.shape)}: need direction ({n}, {n}), b and "
                                f"b_direction ({n},)")
    if not isinstance(param, str) or not param.isidentifier():
        raise InvalidInputError(f"param must be a name such as 'alpha', got {param!r}")
    leak = float(leak)
    eye = torch.eye(n, dtype=dtype, device=A.device)

    def inner(x, p):
        a = p[param]
        y = x @ A.T + a * (x @ D.T) + b
        return y if d is None else y + a * d

    def field(t, x, p):
        y = torch.tanh(inner(x, p))
        return y - leak * x if leak else y

    def jacobian(t, x, p):
        s = 1 - torch.tanh(inner(x, p)) ** 2
        J = s[..., :, None] * (A + p[param] * D)
        return J - leak * eye if leak else J

    form = TanhForm(W=A, b=b, W_out=eye, b_out=torch.zeros(n, dtype=dtype, device=A.device), leak=leak,
                    param=param, W1=D, b1=d)
    return Flow(field, n, jacobian=jacobian, params={param: value}, dtype=dtype, device=A.device,
                name=name or f"tanh((A + {param} D) x + b)", tanh_form=form)
