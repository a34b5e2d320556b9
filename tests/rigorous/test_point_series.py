"""The Taylor coefficients at float points with one radius per point (the centre series of the Lohner steps)
contain the exact coefficients, computed by Arb at 256 bits for weights drawn at the vertices of the interval
weights."""

import numpy as np
import pytest
from flint import arb, ctx

from neurodyn.validated.ivec import Arith
from neurodyn.validated.point_series import RowIV, point_series, row_dot
from neurodyn.validated.taylor import TanhTaylor

PREC = 256


def _field(ar, W, b, V, d, leak):
    def iv(m, r):
        return None if m is None else ar.ball(m, r)

    return TanhTaylor(ar, iv(*W), iv(*b), iv(*V), iv(*d), leak if isinstance(leak, float) else iv(*leak))


def _case(rng, n, m, scale, with_rad):
    def part(shape):
        mid = scale * rng.standard_normal(shape)
        return mid, (1e-9 * rng.random(shape) if with_rad else np.zeros(shape))
    W, b, V, d = part((m, n)), part(m), part((n, m)), part(n)
    leak = (np.array(0.7), np.array(1e-9 if with_rad else 0.0))
    return W, b, V, d, leak


def _vertex(part, sign):
    mid, rad = part
    return mid + sign * rad, np.zeros_like(np.asarray(mid, dtype=float))


def _inside(fast, exact) -> bool:
    with ctx.workprec(PREC):
        test = np.frompyfunc(lambda m, r, v: bool(abs(v - arb(float(m))) <= arb(float(r))), 3, 1)
        return bool(np.all(test(fast.mid, fast.rad, exact.a).astype(bool)))


@pytest.mark.parametrize("seed, n, m, scale, with_rad", [(0, 2, 16, 1.5, False), (1, 3, 5, 3.0, False),
                                                          (2, 2, 16, 1.5, True), (3, 4, 24, 0.8, True)])
def test_point_series_contains_the_exact_coefficients(seed, n, m, scale, with_rad):
    rng = np.random.default_rng(seed)
    W, b, V, d, leak = _case(rng, n, m, scale, with_rad)
    x = 2.0 * rng.standard_normal((40, n))
    p = 14
    fast = point_series(_field(Arith("fast"), W, b, V, d, leak), Arith("fast"), x, p)
    for sign in (-1.0, 1.0):  # the exact field at a vertex of the interval weights
        parts = [_vertex(q, sign) for q in (W, b, V, d, leak)]
        arb_ar = Arith("arb", PREC)
        exact = _field(arb_ar, *parts[:4], float(parts[4][0])).series(arb_ar.point(x), p, False)
        for k in range(p + 1):
            assert _inside(fast.x[k], exact.x[k]), f"order {k}"


def test_point_series_agrees_with_the_interval_recurrence_and_its_radii_stay_small():
    rng = np.random.default_rng(5)
    W, b, V, d, leak = _case(rng, 2, 16, 1.5, False)
    ar = Arith("fast")
    field = _field(ar, W, b, V, d, leak)
    x = rng.standard_normal((64, 2))
    rows, full = point_series(field, ar, x, 11), field.series(ar.point(x), 11, False)
    for k in range(12):
        scale = 1.0 + np.abs(full.x[k].mid)
        assert np.all(np.abs(rows.x[k].mid - full.x[k].mid) <= rows.x[k].rad + full.x[k].rad)
        # coarser than elementwise radii, but small next to the coefficients (a step adds h^k rad_k next to
        # remainders h^p |x_p| at the tolerance: about 1e-3 of them at the last order, far less below)
        assert np.all(rows.x[k].rad <= 1e-2 * scale)


@pytest.mark.parametrize("seed", range(12))
def test_rounding_bounds_alone_contain_the_exact_coefficients(seed):
    """From x = 0 with b = 0 the tanh is exact (tanh 0 = 0), so every radius is a rounding bound of the float
    recurrence: this fails when the inner products' or the matrix products' rounding term is dropped."""
    rng = np.random.default_rng(100 + seed)
    n, m, p = 2, 16, 12
    W, _, V, d, leak = _case(rng, n, m, 2.0, False)
    b = (np.zeros(m), np.zeros(m))
    x = np.zeros((1, n))
    fast = point_series(_field(Arith("fast"), W, b, V, d, leak), Arith("fast"), x, p)
    arb_ar = Arith("arb", PREC)
    exact = _field(arb_ar, W, b, V, d, float(leak[0])).series(arb_ar.point(x), p, False)
    for k in range(p + 1):
        assert _inside(fast.x[k], exact.x[k]), f"order {k}"


@pytest.mark.parametrize("seed", range(20))
def test_row_dot_contains_the_exact_sum_of_products(seed):
    """Exact inputs (zero radii): the radius is the inner-product rounding bound alone, so this fails when it is
    dropped; with radii, the exact sum at the inputs' vertices."""
    rng = np.random.default_rng(seed)
    q, N, L = 16, 50, 12
    mids = [rng.standard_normal((q, N)) * 10.0 ** rng.integers(-3, 4, (q, N)) for _ in range(2 * L)]
    for with_rad in (False, True):
        rads = [(1e-6 * rng.random((1, N)) if with_rad else np.zeros((1, N))) for _ in range(2 * L)]
        rows = [RowIV(m, r) for m, r in zip(mids, rads, strict=True)]
        out = row_dot([(rows[2 * j], rows[2 * j + 1]) for j in range(L)])
        signs = [1.0, -1.0] if with_rad else [0.0]
        for s in signs:
            with ctx.workprec(4500):
                vertex = np.frompyfunc(lambda m, r, s: arb(float(m)) + s * arb(float(r)), 3, 1)
                vals = [vertex(m, np.broadcast_to(r, m.shape), s) for m, r in zip(mids, rads, strict=True)]
                exact = sum(vals[2 * j] * vals[2 * j + 1] for j in range(L))
                inside = np.frompyfunc(lambda m, r, v: bool(abs(v - arb(float(m))) <= arb(float(r))), 3, 1)(
                    out.mid, np.broadcast_to(out.rad, out.mid.shape), exact)
            assert np.all(inside.astype(bool))
        assert np.all(np.abs(out.mid) <= out.top)
