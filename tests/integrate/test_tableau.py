"""Runge–Kutta tableaux: consistency, order conditions (exact rational arithmetic) and measured order."""

import math
from fractions import Fraction as F

import pytest
import torch

from neurodyn.integrate import TABLEAUX, rk_step


def _a(tab, i, j):
    return tab.a[i][j] if j < len(tab.a[i]) else F(0)


def _order_conditions(tab):
    s, b, c = tab.stages, tab.b, tab.c
    A = [[_a(tab, i, j) for j in range(s)] for i in range(s)]
    Ac = [sum(A[i][j] * c[j] for j in range(s)) for i in range(s)]
    conds = {1: [(sum(b), F(1))], 2: [(sum(b[i] * c[i] for i in range(s)), F(1, 2))]}
    conds[3] = [
        (sum(b[i] * c[i] ** 2 for i in range(s)), F(1, 3)),
        (sum(b[i] * Ac[i] for i in range(s)), F(1, 6)),
    ]
    conds[4] = [
        (sum(b[i] * c[i] ** 3 for i in range(s)), F(1, 4)),
        (sum(b[i] * c[i] * Ac[i] for i in range(s)), F(1, 8)),
        (sum(b[i] * A[i][j] * c[j] ** 2 for i in range(s) for j in range(s)), F(1, 12)),
        (sum(b[i] * A[i][j] * Ac[j] for i in range(s) for j in range(s)), F(1, 24)),
    ]
    return conds


@pytest.mark.parametrize("tab", TABLEAUX.values(), ids=lambda t: t.name)
def test_tableau_invariants(tab):
    for i in range(tab.stages):
        assert tab.c[i] == sum(tab.a[i], F(0)), "c_i must equal the row sum of a"
        assert len(tab.a[i]) <= i, "explicit scheme: a must be strictly lower triangular"
    conds = _order_conditions(tab)
    for p in range(1, tab.order + 1):
        for got, want in conds[p]:
            assert got == want, f"order-{p} condition fails for {tab.name}"
    if tab.order < 4:  # the next order's conditions must fail, or the declared order is too low
        assert any(got != want for got, want in conds[tab.order + 1])


@pytest.mark.parametrize("tab", TABLEAUX.values(), ids=lambda t: t.name)
def test_measured_convergence_order_on_tuple_state(tab):
    # y' = -y, z' = y * z (z = exp(1 - exp(-t)) for y(0) = z(0) = 1); both components share the stages.
    def f(t, y):
        return (-y[0], y[0] * y[1])

    def error(n):
        h = 1.0 / n
        y = (torch.tensor(1.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
        for i in range(n):
            y = rk_step(tab, f, i * h, y, h)
        return abs(float(y[1]) - math.exp(1 - math.exp(-1.0)))

    rate = math.log2(error(80) / error(160))
    assert abs(rate - tab.order) < 0.15
