"""Interval evaluation of the fields the proofs accept: ``F(x, a) = -leak x + V tanh(W(a) x + b(a)) + d`` with
``W(a) = W + a W1`` and ``b(a) = b + a b1`` (the structure :func:`neurodyn.tanh_field` and
:func:`neurodyn.tanh_family` keep), and its derivatives up to third order, on either backend.

Complex vectors are pairs ``(re, im)`` of real interval vectors, so one real backend serves everything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from flint import arb, ctx

from neurodyn.errors import InvalidInputError
from neurodyn.systems.protocol import Flow


def _np(t):
    return None if t is None else t.detach().cpu().numpy().astype(np.float64)


@dataclass(frozen=True, eq=False)
class TanhNetwork:
    """The float64 weights of ``-leak x + V tanh((W + a W1) x + b + a b1) + d`` (``V = None``: identity)."""

    W: np.ndarray
    b: np.ndarray
    V: np.ndarray | None
    d: np.ndarray | None
    leak: float
    param: str | None
    W1: np.ndarray | None
    b1: np.ndarray | None
    value: float  # the parameter's value in the system (0 when there is no parameter)
    W1_is_identity: bool = False

    @property
    def n(self) -> int:
        return self.W.shape[1]

    def fingerprint(self) -> str:
        """A hash of every weight (not the parameter's value): ties a proof to the field it was made for."""
        h = hashlib.sha256(repr((self.leak, self.param, self.W1_is_identity)).encode())
        for a in (self.W, self.b, self.V, self.d, self.W1, self.b1):
            h.update(b"-" if a is None else np.ascontiguousarray(a, dtype=np.float64).tobytes() + str(a.shape).encode())
        return h.hexdigest()[:16]

    @classmethod
    def of(cls, system, caller: str, params: dict | None = None) -> TanhNetwork:
        """The structure of ``system`` or a clear error saying which systems can be proven."""
        form = getattr(system, "tanh_form", None)
        if not isinstance(system, Flow) or form is None:
            raise InvalidInputError(
                f"{caller} proves equilibria of fields of the form -leak x + W_out tanh(W x + b) + b_out; "
                f"{getattr(system, 'name', type(system).__name__)!r} does not say it has that form: build it with "
                "neurodyn.tanh_field(W, b, ...) or neurodyn.tanh_family(A, ...) (a fixed point of an RNN map "
                "h = tanh(W h + U u + b) is an equilibrium of tanh_field(W, b + U u, leak=1))")
        value = 0.0
        if form.param is not None:
            value = params.get(form.param) if params and form.param in params else system.params[form.param]
            value = float(value)
        eye = form.W_out.shape[0] == form.W_out.shape[1] and bool(
            (form.W_out == np.eye(form.W_out.shape[0])).all()) if form.W_out is not None else True
        V = None if eye else _np(form.W_out)
        d = _np(form.b_out)
        d = None if d is None or not d.any() else d
        W1 = _np(form.W1)
        return cls(W=_np(form.W), b=_np(form.b), V=V, d=d, leak=float(form.leak), param=form.param,
                   W1=W1, b1=_np(form.b1), value=value,
                   W1_is_identity=W1 is not None and W1.shape[0] == W1.shape[1] and bool((W1 == np.eye(len(W1))).all()))

    # --- the field and its derivatives on a backend -------------------------------------------------------------

    def weights(self, bk, a):
        """``(W(a), b(a), W1 x + b1 term helpers)`` as intervals for the interval parameter ``a``."""
        if self.W1 is None:
            W = bk.point(self.W)
        elif self.W1_is_identity:
            W = bk.shifted(self.W, a)
        else:
            W = self.W + a * bk.point(self.W1)
        b = bk.point(self.b) if self.b1 is None else self.b + a * bk.point(self.b1)
        return W, b

    def outer(self, bk, z):
        """``V z`` (``z`` itself when ``V`` is the identity)."""
        return z if self.V is None else bk.point(self.V) @ z

    def da_inner(self, bk, x):
        """``d y/d a = W1 x + b1`` for ``y = W(a) x + b(a)`` (``None`` without a parameter)."""
        if self.W1 is None and self.b1 is None:
            return None
        out = bk.point(self.W1) @ x if self.W1 is not None else None
        if self.b1 is not None:
            out = bk.point(self.b1) if out is None else out + self.b1
        return out

    def inner_arb(self, bk, v: np.ndarray, a: float, with_bias: bool = False) -> np.ndarray:
        """``W(a) v`` (``+ b(a)`` with ``with_bias``) for a float vector ``v`` and float ``a`` as Arb balls per
        element, from exactly summed products (:meth:`Backend.inner`): ``(W v + b) + a (W1 v + b1)``, never a
        rounded ``W(a)``."""
        y = bk.inner(self.W, v, self.b if with_bias else None)
        b1 = self.b1 if with_bias else None
        if self.W1 is None and b1 is None:
            return y
        if self.W1 is None:
            z = bk.inner(np.zeros((len(b1), 1)), np.zeros(1), b1)
        elif self.W1_is_identity:  # v (+ b1) itself, added in Arb (no n x n identity product)
            with ctx.workprec(bk.prec):
                z = np.array([arb(x) for x in v.tolist()], dtype=object)
                if b1 is not None:
                    z = z + np.array([arb(x) for x in b1.tolist()], dtype=object)
        else:
            z = bk.inner(self.W1, v, b1)
        with ctx.workprec(bk.prec):
            return y + arb(float(a)) * z

    def outer_arb(self, bk, inside: np.ndarray, linear: np.ndarray, with_d: bool = False):
        """``V inside + linear`` (``+ d`` with ``with_d``) for Arb arrays, element by element in Arb when ``V`` is
        the identity (so a residual's cancellation costs no rounding), as an interval array of the backend."""
        d = self.d if with_d else None
        if self.V is None:
            with ctx.workprec(bk.prec):
                total = inside + linear if d is None else inside + linear + np.array([arb(v) for v in d.tolist()],
                                                                                     dtype=object)
            return bk.from_arb(total)
        out = bk.point(self.V) @ bk.from_arb(inside) + bk.from_arb(linear)
        return out if d is None else out + d

    def residual_point(self, bk, x: np.ndarray, a: float):
        """``(F(x, a), tanh'(y))`` at a float point, ``F`` as an interval array tight to a few units of its own
        last place, ``tanh'(y)`` (``y = W(a) x + b(a)``) as Arb balls."""
        y = self.inner_arb(bk, x, a, with_bias=True)
        with ctx.workprec(bk.prec):
            t = np.array([v.tanh() for v in y], dtype=object)
            F = self.outer_arb(bk, t, self.linear_arb(bk, x), with_d=True)
            return F, 1 - t * t

    def linear_arb(self, bk, x: np.ndarray, w: float = 0.0, u: np.ndarray | None = None) -> np.ndarray:
        """``-leak x + w u`` for float arrays as Arb balls."""
        with ctx.workprec(bk.prec):
            out = np.array([-arb(self.leak) * arb(v) for v in x.tolist()], dtype=object)
            return out if u is None else out + arb(float(w)) * np.array([arb(v) for v in u.tolist()], dtype=object)

    def evaluate(self, bk, x, a, orders=(0, 1)):
        """``(W, y, {k: tanh^(k)(y)})`` with ``y = W(a) x + b(a)`` for intervals ``x``, ``a``."""
        W, b = self.weights(bk, a)
        y = W @ x + b
        return W, y, dict(zip(orders, bk.tanh_derivatives(y, list(orders)), strict=True))

    def jacobian_from(self, bk, W, s):
        """``J = -leak I + V diag(s) W`` from ``s = tanh'(y)`` (interval ``W``)."""
        J = self.outer(bk, W * s[:, None])
        if self.leak:
            J = bk.shift_diagonal(J, -self.leak)
        return J

