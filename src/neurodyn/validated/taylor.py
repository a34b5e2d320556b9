"""Interval Taylor coefficients of the solutions of ``x' = F(x)`` and of their derivatives in the initial state,
by automatic differentiation in interval arithmetic (the fields a rigorous integrator can take).

For a solution ``x(t) = sum_k x_k t^k`` the coefficients follow ``x_{k+1} = F_k / (k + 1)``, where ``F_k`` is the
``k``-th coefficient of ``F(x(t))``, computed from ``x_0 .. x_k`` by recurrences (Moore, *Interval Analysis*,
1966, Ch. 11; Jorba and Zou, *Exp. Math.* 14 (2005)):

* ``y = tanh(u)``: ``y' = (1 - y^2) u'``, so with ``z = 1 - y^2``: ``k y_k = sum_{j=1..k} j u_j z_{k-j}`` and
  ``z_k = [k = 0] - sum_{i=0..k} y_i y_{k-i}``;
* products (quadratic fields such as Lorenz): Cauchy products ``(a b)_k = sum_i a_i b_{k-i}``.

The derivatives ``D x_k`` in the initial state, seeded with ``D x_0 = I``, are the Taylor coefficients of
``D phi_t(x_0)``: for tanh fields by the recurrence of the variational equation ``V' = DF(x(t)) V`` (the Taylor
coefficients of ``DF(x(t))`` come from those of ``z = 1 - y^2``), for polynomial fields in forward mode.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import numpy as np
import torch

from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.systems.protocol import Flow
from neurodyn.validated.ivec import Arith, dot, matdot

SUPPORTED = ("fields of the form -leak x + W_out tanh(W x + b) + b_out (neurodyn.tanh_field, neurodyn.tanh_family at "
             "its current parameter value, or neurodyn.from_torch of a module whose field is nn.Linear -> nn.Tanh -> "
             "nn.Linear), the Lorenz system neurodyn.lorenz(...) and neurodyn.validated.quadratic_field(A, Q, c)")


@dataclass(frozen=True)
class Series:
    """Taylor coefficients ``x_0 .. x_p`` (interval arrays ``(..., n)``) and, when asked for, their derivatives in
    the initial state ``D x_0 .. D x_p`` (``(..., n, n)``)."""

    x: list
    dx: list | None


class TanhTaylor:
    """``F(x) = -leak x + V tanh(W x + b) + d`` with interval weights (``V = None``: identity; ``d = None``: 0)."""

    def __init__(self, ar: Arith, W, b, V, d, leak):
        self.ar, self.W, self.b, self.V, self.d = ar, W, b, V, d
        self.leak = None if isinstance(leak, (int, float)) and leak == 0 else leak  # a float or interval scalar
        self.n = W.shape[1]
        self.Wt = W.mT
        self.Vt = None if V is None else V.mT
        m, n = W.shape[0], self.n
        # with more hidden units than n^2, the Jacobian's coefficients J_i = V diag(z_i) W (n x n) are cheaper to
        # carry than the rows of W D x (m x n): P[j, (a, c)] = V[a, j] W[j, c], J_i = z_i @ P
        self.P = None
        if n * n < m:
            Vt = ar.point(np.eye(n)) if V is None else self.Vt
            self.P = (Vt[:, :, None] * W[:, None, :]).reshape(m, n * n)

    def scaled(self, T) -> TanhTaylor:
        """The field ``T F`` for an interval scalar ``T`` (its time-1 map is ``phi_T`` of ``F``, for every ``T``
        in the interval): ``V``, ``d`` and ``leak`` multiplied by ``T``."""
        V = T * (self.ar.point(np.eye(self.n)) if self.V is None else self.V)
        d = None if self.d is None else T * self.d
        leak = None if self.leak is None else T * self.leak
        return TanhTaylor(self.ar, self.W, self.b, V, d, 0.0 if leak is None else leak)

    def series(self, X, p: int, tangent: bool) -> Series:
        """Coefficients up to order ``p`` of the solutions from the initial interval states ``X: (..., n)``.

        The state: ``u = W x + b``, ``y = tanh u`` and ``z = 1 - y^2`` by the recurrences of the module docstring.
        The derivatives: ``V = D phi_t`` solves ``V' = DF(x(t)) V`` with ``DF = -leak I + V_out diag(z) W``, so
        ``(k + 1) D x_{k+1} = -leak D x_k + V_out sum_{i<=k} z_i * (W D x_{k-i})`` (rows of ``W D x`` scaled by
        ``z_i``): one product of derivative arrays per term. With more hidden units ``m`` than ``n^2`` the
        coefficients ``J_i = V_out diag(z_i) W`` of ``DF(x(t))`` are formed once per order (``n x n``) and
        ``(k + 1) D x_{k+1} = -leak D x_k + sum_{i<=k} J_i D x_{k-i}`` (products of ``n x n`` matrices instead of
        ``m x n`` arrays)."""
        xs, dxs = [X], [self.ar.point(np.broadcast_to(np.eye(self.n), X.shape + (self.n,)))] if tangent else None
        us, ys, zs, dus, zfull = [], [], [], [], []  # zfull: z_i repeated to the shape of W D x
        jus = [None]  # j u_j, formed once for all the orders that use it
        for k in range(p):
            us.append(xs[k] @ self.Wt + self.b if k == 0 else xs[k] @ self.Wt)
            if k == 0:
                y = us[0].tanh()
            else:
                jus.append(k * us[k])
                y = dot([(jus[j], zs[k - j]) for j in range(1, k + 1)]).div(k)
            ys.append(y)
            zs.append(1.0 - _square_coefficient(ys, 0) if k == 0 else -_square_coefficient(ys, k))  # negation: exact
            f = y if self.V is None else y @ self.Vt
            if self.d is not None and k == 0:
                f = f + self.d
            if self.leak is not None:
                f = f - self.leak * xs[k]
            xs.append(f.div(k + 1))
            if tangent and self.P is not None:
                zfull.append((zs[k] @ self.P).reshape(*X.shape[:-1], self.n, self.n))  # J_k
                df = matdot([(zfull[i], dxs[k - i]) for i in range(k + 1)])
                if self.leak is not None:
                    df = df - self.leak * dxs[k]
                dxs.append(df.div(k + 1))
            elif tangent:
                dus.append(self.W @ dxs[k])
                zfull.append(zs[k][..., None].broadcast_to(dus[k].shape))
                df = dot([(zfull[i], dus[k - i]) for i in range(k + 1)])
                df = df if self.V is None else self.V @ df
                if self.leak is not None:
                    df = df - self.leak * dxs[k]
                dxs.append(df.div(k + 1))
        return Series(xs, dxs)


class QuadraticTaylor:
    """``F(x) = c + A x + Q[x, x]`` with ``Q[x, x]_i = sum_jk Q_ijk x_j x_k`` (float coefficients, ``Q`` or ``c``
    may be ``None``): linear flows, the Lorenz system and other quadratic fields."""

    def __init__(self, ar: Arith, A: np.ndarray, Q: np.ndarray | None = None, c: np.ndarray | None = None):
        self.ar, self.n = ar, A.shape[0]
        self.A, self.At = ar.point(A), ar.point(A.T)
        self.Qf = None if Q is None else ar.point(Q.reshape(self.n, -1))  # (n, n^2)
        self.QfT = None if Q is None else self.Qf.mT
        self.c = None if c is None else ar.point(c)

    def _quad(self, a, b):
        """``Q[a, b]`` for ``a, b: (..., n)``."""
        outer = a[..., :, None] * b[..., None, :]
        return outer.reshape(*outer.shape[:-2], self.n * self.n) @ self.QfT

    def _dquad(self, da, b):
        """``Q[da, b]`` for ``da: (..., n, d)``, ``b: (..., n)`` (columns of ``da``)."""
        outer = da[..., :, None, :] * b[..., None, :, None]
        return self.Qf @ outer.reshape(*outer.shape[:-3], self.n * self.n, outer.shape[-1])

    def _dquad_r(self, a, db):
        outer = a[..., :, None, None] * db[..., None, :, :]
        return self.Qf @ outer.reshape(*outer.shape[:-3], self.n * self.n, outer.shape[-1])

    def series(self, X, p: int, tangent: bool) -> Series:
        xs = [X]
        dxs = [self.ar.point(np.broadcast_to(np.eye(self.n), X.shape + (self.n,)))] if tangent else None
        for k in range(p):
            f = xs[k] @ self.At
            if self.c is not None and k == 0:
                f = f + self.c
            if self.Qf is not None:
                f = f + _sum(self._quad(xs[i], xs[k - i]) for i in range(k + 1))
            xs.append(f.div(k + 1))
            if tangent:
                df = self.A @ dxs[k]
                if self.Qf is not None:
                    df = df + _sum(self._dquad(dxs[i], xs[k - i]) + self._dquad_r(xs[i], dxs[k - i])
                                   for i in range(k + 1))
                dxs.append(df.div(k + 1))
        return Series(xs, dxs)


def lorenz_coefficients(sigma: float, rho: float, beta: float):
    """``(A, Q)`` of the Lorenz field as a quadratic field."""
    A = np.array([[-sigma, sigma, 0.0], [rho, -1.0, 0.0], [0.0, 0.0, -beta]])
    Q = np.zeros((3, 3, 3))
    Q[1, 0, 2] = -1.0
    Q[2, 0, 1] = 1.0
    return A, Q


_QUADRATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def quadratic_field(A, Q=None, c=None, *, name: str = "quadratic field") -> Flow:
    """The flow ``dx/dt = c + A x + Q[x, x]`` (``Q[x, x]_i = sum_jk Q_ijk x_j x_k``), which
    :func:`neurodyn.enclose_flow` integrates rigorously (a linear flow with ``Q = c = None``).

    Args:
        A: ``(n, n)``. Q: ``(n, n, n)`` or None. c: ``(n,)`` or None (float64 coefficients, taken as exact).
        name: the flow's name.
    """
    A = torch.as_tensor(A, dtype=torch.float64).numpy().copy()
    n = A.shape[0] if A.ndim == 2 else -1
    if A.ndim != 2 or A.shape != (n, n) or not np.isfinite(A).all():
        raise InvalidInputError(f"A must be a finite square matrix, got shape {A.shape}")
    Q = None if Q is None else torch.as_tensor(Q, dtype=torch.float64).numpy().copy()
    c = None if c is None else torch.as_tensor(c, dtype=torch.float64).numpy().copy()
    if (Q is not None and (Q.shape != (n, n, n) or not np.isfinite(Q).all())) or (
            c is not None and (c.shape != (n,) or not np.isfinite(c).all())):
        raise InvalidInputError(f"Q must be finite (n, n, n) and c finite (n,) for n = {n}")
    At, Qt = torch.from_numpy(A), None if Q is None else torch.from_numpy(Q)
    ct = None if c is None else torch.from_numpy(c)

    def field(t, x):
        out = x @ At.T
        if Qt is not None:
            out = out + torch.einsum("ijk,...j,...k->...i", Qt, x, x)
        return out if ct is None else out + ct

    flow = Flow(field, n, name=name)
    _QUADRATIC[flow] = (A, Q, c)
    return flow


def _square_coefficient(ys: list, k: int):
    """``(y^2)_k = sum_{i=0..k} y_i y_{k-i}``, each product with ``i != k - i`` formed once (and doubled)."""
    pairs = [(ys[i], ys[k - i]) for i in range((k + 1) // 2)]
    total = 2.0 * dot(pairs) if pairs else None
    if k % 2 == 0:
        middle = ys[k // 2] * ys[k // 2]
        total = middle if total is None else total + middle
    return total


def _sum(terms):
    it = iter(terms)
    total = next(it)
    for t in it:
        total = total + t
    return total


def _np(t) -> np.ndarray | None:
    return None if t is None else t.detach().cpu().numpy().astype(np.float64)


_LORENZ = re.compile(r"^lorenz\(")


def taylor_field(system, ar: Arith, caller: str):
    """The Taylor recurrences for ``system`` on the arithmetic ``ar``, or an :class:`UnsupportedModelError` naming
    the forms that would do. A ``tanh_form`` at parameter value ``a`` gives the interval weights ``W + a W1``,
    ``b + a b1`` (so the field is the exact real one for the float weights and parameter)."""
    if not isinstance(system, Flow):
        raise UnsupportedModelError(f"{caller} integrates flows; got {type(system).__name__}. It supports {SUPPORTED}")
    form = system.tanh_form
    if form is not None:
        W, b = ar.point(_np(form.W)), ar.point(_np(form.b))
        if form.param is not None:
            a = ar.point(float(system.params[form.param]))
            if form.W1 is not None:
                W = W + a * ar.point(_np(form.W1))
            if form.b1 is not None:
                b = b + a * ar.point(_np(form.b1))
        V = _np(form.W_out)
        V = None if V is None or (V.shape[0] == V.shape[1] and (V == np.eye(len(V))).all()) else ar.point(V)
        d = _np(form.b_out)
        d = None if d is None or not d.any() else ar.point(d)
        return TanhTaylor(ar, W, b, V, d, float(form.leak))
    if system in _QUADRATIC:
        return QuadraticTaylor(ar, *_QUADRATIC[system])
    params = system.params or {}
    if _LORENZ.match(system.name) and set(params) == {"sigma", "rho", "beta"} and system.dim == 3:
        values = {k: float(v) for k, v in params.items()}
        _check_lorenz(system, values, caller)
        return QuadraticTaylor(ar, *lorenz_coefficients(values["sigma"], values["rho"], values["beta"]))
    raise UnsupportedModelError(f"{caller} cannot integrate {system.name!r} rigorously: it has no tanh_form and is not "
                                f"the Lorenz system. It supports {SUPPORTED}")


def _check_lorenz(system, p: dict, caller: str) -> None:
    """The field named Lorenz must compute the Lorenz field (checked at a few points)."""
    gen = torch.Generator().manual_seed(0)
    x = 10 * torch.randn(4, 3, generator=gen, dtype=torch.float64)
    X, Y, Z = x.unbind(-1)
    ref = torch.stack((p["sigma"] * (Y - X), X * (p["rho"] - Z) - Y, X * Y - p["beta"] * Z), -1)
    got = system.field(torch.zeros((), dtype=torch.float64), x.to(system.dtype)).to(torch.float64)
    if not torch.allclose(got, ref, rtol=1e-12, atol=1e-12):
        raise UnsupportedModelError(f"{caller}: {system.name!r} is named like the Lorenz system but its field differs "
                                    f"from it; it supports {SUPPORTED}")
