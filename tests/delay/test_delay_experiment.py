"""The memory-capacity experiment: a certified ODE-like network cannot fit x -> x^2, one with a long delay does better
(Kuehn & Kuntz 2025, Thm. 5.4 and the universal-approximation side)."""

import math

import torch

import neurodyn as nd
from neurodyn.delay.experiment import SweepSettings, memory_sweep


def best_monotone_mse(y: torch.Tensor) -> float:
    """Least-squares error of the best non-decreasing fit of ``y`` (pool adjacent violators); for ``x^2`` on a grid
    symmetric about 0 the best non-increasing fit has the same error."""
    blocks = []  # [mean, count]
    for v in y.tolist():
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, c2), (m1, c1) = blocks.pop(), blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    fit = torch.cat([torch.full((c,), m, dtype=torch.float64) for m, c in blocks])
    return float(((fit - y) ** 2).mean())


def test_memory_sweep_separates_the_regimes():
    sweep = memory_sweep(SweepSettings(taus=(0.1, 1.0), iterations=60, lr=0.1))
    small, large = sweep.K_tau.tolist()
    assert small * math.e < 1 <= large * math.e  # the weight-norm constraint K <= 3 places the two delays
    x = torch.linspace(-1, 1, 32, dtype=torch.float64)
    floor = best_monotone_mse(x**2)  # 0.0636 on this grid (9/160 = 0.05625 in the continuum)
    # an ODE-like 1-D network maps x -> x(T) (nearly) monotonically: it cannot fit the minimum of x^2
    assert sweep.loss[0] > floor
    assert sweep.loss[1] < sweep.loss[0] and sweep.loss[1] < sweep.baseline
    assert sweep.status == nd.Status.OK
