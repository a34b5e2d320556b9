"""Rigorous float64 bounds of elementary functions for the fast interval arrays of :mod:`neurodyn.validated.ivec`:
``exp`` (Cody–Waite reduction and a Taylor polynomial with an explicit error bound) and ``tanh`` from it, so no
elementary function of the platform's libm is trusted."""

from __future__ import annotations

import numpy as np

from neurodyn.validated.balls import TINY, U

_LN2_HI = float.fromhex("0x1.62e42fefa0000p-1")  # ln 2 to 40 bits: k * _LN2_HI is exact for |k| < 2**13
_LN2_LO = float.fromhex("0x1.cf79abc9e3b3ap-40")
_INV_FACT = [1.0]
for _i in range(1, 18):
    _INV_FACT.append(_INV_FACT[-1] / _i)


def _exp_bounds(y: np.ndarray):
    """Certain bounds ``lo <= exp(y) <= hi`` for floats ``0 <= y <= 80``.

    ``y = k ln2 + r`` (Cody–Waite, ``|r| <= 0.35``; the reduction errs by ``<= u (|y - k hi| + |k lo| + |r|)
    + 64 * 2**-93``), ``exp(r)`` by its degree-17 Taylor polynomial in Horner form (truncation ``< 1e-22``,
    rounding ``<= (gamma_34 + u) e^0.35``, Higham Sec. 5.1), times ``2^k`` exactly: a relative error below
    ``100 u``; ``lo, hi = v (1 -+ 130 u)``."""
    k = np.rint(y * (1.0 / np.log(2.0)))
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _INV_FACT[17])
    for c in reversed(_INV_FACT[:17]):
        p = p * r + c
    v = np.ldexp(p, k.astype(np.int64))
    return v * (1.0 - 130 * U), v * (1.0 + 130 * U)


def _tanh_pos(a: np.ndarray):
    """Lower and upper bounds of ``tanh(a)`` for floats ``a >= 0`` (from one evaluation of the exponential's
    bounds): ``tanh(a) = 1 - 2 / (e^{2a} + 1)``, increasing in the bound of ``e^{2a}`` used; above ``a = 20``,
    ``1 - 2^-53 <= tanh(a) <= 1`` (a float)."""
    big = a > 20.0
    lo_e, hi_e = _exp_bounds(np.where(big, 0.0, 2.0 * a))
    out = []
    for side, e in ((-1, lo_e), (1, hi_e)):
        q = 2.0 / (e + 1.0)  # two roundings: relative error <= 2u (+ u for safety)
        q = q * (1.0 + 4 * U) if side < 0 else q * (1.0 - 4 * U)
        t = 1.0 - q  # absolute error <= u
        if side < 0:
            out.append(np.maximum(np.where(big, 1.0 - 2.0**-53, t - 2 * U), 0.0))
        else:
            out.append(np.minimum(np.minimum(np.where(big, 1.0, t + 2 * U), 1.0), np.abs(a) + TINY))
    return out


def tanh_bounds(lo: np.ndarray, hi: np.ndarray):
    """Certain float bounds of ``tanh`` over ``[lo, hi]`` (elementwise; tanh is odd and increasing)."""
    lo_low, lo_up = _tanh_pos(np.abs(lo))
    hi_low, hi_up = _tanh_pos(np.abs(hi))
    return np.where(lo >= 0, lo_low, -lo_up), np.where(hi >= 0, hi_up, -hi_low)
