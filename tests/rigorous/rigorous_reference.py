"""High-precision reference solutions for the rigorous-integration tests, computed in Arb (python-flint) by Taylor
series with a tight fixed step, written independently of the library's recurrences: tanh(u) = 1 - 2 / (1 + e^{2u})
with the exponential's series ``k s_k = 2 sum_j j u_j s_{k-j}`` and a series division, instead of the library's
``y' = (1 - y^2) u'``. The truncation error (order 24, steps of at most 1/32 time units for fields with Lipschitz
constants of a few units) is far below 1e-20; the results are compared with enclosures of width >= 1e-16."""

from __future__ import annotations

import numpy as np
from flint import arb, ctx

PREC = 128


def _arb(a):
    return np.frompyfunc(lambda v: arb(float(v)), 1, 1)(np.asarray(a, dtype=np.float64)).astype(object)


def tanh_solution(W, b, V, d, leak: float, x0: np.ndarray, T: float, *, order: int = 24, steps: int = 32,
                  prec: int = PREC):
    """``x(T)`` of ``x' = -leak x + V tanh(W x + b) + d`` (``V``/``d`` None: identity/zero) from the points
    ``x0: (P, n)`` (floats, or Arb balls in an object array), as an object array of Arb balls ``(P, n)`` (no
    enclosure claimed: a reference)."""
    with ctx.workprec(prec):
        W_, b_ = _arb(W), _arb(b)
        V_ = None if V is None else _arb(V)
        d_ = None if d is None else _arb(d)
        lk, h = arb(float(leak)), arb(float(T)) / steps
        x = x0 if np.asarray(x0).dtype == object else _arb(x0)
        for _ in range(steps):
            xs, us, ss, qs = [x], [], [], []
            for k in range(order):
                u = xs[k] @ W_.T + (b_ if k == 0 else 0)
                us.append(u)
                if k == 0:
                    s = np.frompyfunc(lambda v: (2 * v).exp(), 1, 1)(u)
                    q = 1 / (s + 1)
                else:
                    s = sum(j * us[j] * ss[k - j] for j in range(1, k + 1)) * 2 / k
                    q = -(sum(s_j * qs[k - j] for j, s_j in enumerate(ss[1:] + [s], start=1))) * qs[0]
                ss.append(s)
                qs.append(q)
                y = (1 if k == 0 else 0) - 2 * q
                f = y if V_ is None else y @ V_.T
                if k == 0 and d_ is not None:
                    f = f + d_
                xs.append((f - lk * xs[k]) / (k + 1))
            x = xs[order]
            for k in range(order - 1, -1, -1):
                x = x * h + xs[k]
        return x


def lorenz_solution(x0, T: float, sigma=10.0, rho=28.0, beta=8.0 / 3.0, *, order: int = 30, steps: int = 400):
    """``x(T)`` of the Lorenz system from the float point ``x0`` as a list of Arb balls."""
    with ctx.workprec(PREC):
        s_, r_, b_ = arb(sigma), arb(rho), arb(beta)
        h = arb(float(T)) / steps
        x = [arb(float(v)) for v in x0]
        for _ in range(steps):
            c = [[v] for v in x]
            for k in range(order):
                X, Y, Z = c
                xz = sum(X[i] * Z[k - i] for i in range(k + 1))
                xy = sum(X[i] * Y[k - i] for i in range(k + 1))
                new = (s_ * (Y[k] - X[k]), r_ * X[k] - Y[k] - xz, xy - b_ * Z[k])
                for i in range(3):
                    c[i].append(new[i] / (k + 1))
            x = []
            for i in range(3):
                acc = c[i][order]
                for k in range(order - 1, -1, -1):
                    acc = acc * h + c[i][k]
                x.append(acc)
        return x


def inside(lower, upper, ref) -> np.ndarray:
    """Elementwise ``lower <= ref <= upper`` for float bounds and Arb balls (decided exactly by Arb)."""
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    ref = np.asarray(ref, dtype=object)
    return np.frompyfunc(lambda a, b, r: bool(arb(a) <= r) and bool(r <= arb(b)), 3, 1)(lo, hi, ref).astype(bool)


def tanh_jacobian(W, b, V, d, leak: float, x0: np.ndarray, T: float, *, delta: float = 1e-30) -> np.ndarray:
    """``D phi_T(x0)`` for one float point ``x0: (n,)`` by central differences at 256 bits (step ``delta``: the
    error ``O(delta^2)`` and the cancellation ``2^-256 / delta`` are both below 1e-45), an object array
    ``(n, n)`` of Arb balls."""
    n = len(x0)
    with ctx.workprec(256):
        pts = np.empty((2 * n, n), dtype=object)
        for j in range(n):
            for s, row in ((1, 2 * j), (-1, 2 * j + 1)):
                pts[row] = [arb(float(v)) for v in x0]
                pts[row, j] = pts[row, j] + s * arb(delta)
        x = tanh_solution(W, b, V, d, leak, pts, T, prec=256)
        return np.stack([(x[2 * j] - x[2 * j + 1]) / (2 * arb(delta)) for j in range(n)], axis=-1)
