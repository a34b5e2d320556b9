"""Benchmark: a user's own system (no ``jacobian=``) against the same system with its analytic Jacobian.

Most users bring their own field, so the generic path matters. Three systems, each written twice, run on
the same initial states in this one process (float64, one thread): the Lorenz flow (RK4, dt = 0.01), the
Hénon map, Rössler's towel map, and a neural-ODE field ``dx/dt = W2 tanh(W1 x + b1) + b2`` (n = 16, hidden 64; as an
``nn.Module`` against :func:`neurodyn.tanh_field`). Each run is timed three times, interleaved, and the
best CPU time per step is kept; the two spectra must agree to 1e-12.

    python bench/lyapunov_generic.py
"""

from __future__ import annotations

import time
import warnings

import torch
from torch import nn

import neurodyn as nd


def towel_step(x, u):
    X, Y, Z = x.unbind(-1)
    s = (Y + 0.35) * (1 - 2 * Z)
    return torch.stack((3.8 * X * (1 - X) - 0.05 * s, 0.1 * (s - 1) * (1 - 1.9 * X), 3.78 * Z * (1 - Z) + 0.2 * Y), -1)


def towel_jacobian(x, u):
    X, Y, Z = x.unbind(-1)
    s, zero = (Y + 0.35) * (1 - 2 * Z), torch.zeros_like(X)
    return torch.stack((
        torch.stack((3.8 * (1 - 2 * X), -0.05 * (1 - 2 * Z), 0.1 * (Y + 0.35) + zero), -1),
        torch.stack((-0.19 * (s - 1), 0.1 * (1 - 2 * Z) * (1 - 1.9 * X), -0.2 * (Y + 0.35) * (1 - 1.9 * X)), -1),
        torch.stack((zero, 0.2 + zero, 3.78 * (1 - 2 * Z)), -1)), -2)


def systems():
    lorenz, henon = nd.lorenz(), nd.henon()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 16)).double()

    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, t, x):
            return self.net(x)

    analytic_node = nd.tanh_field(net[0].weight.detach(), net[0].bias.detach(), W_out=net[2].weight.detach(),
                                  b_out=net[2].bias.detach())
    return {
        "Lorenz (flow, n = 3)": (lorenz, nd.Flow(lorenz.fn, 3, params=lorenz.params),
                                 dict(steps=1000, dt=0.01, x0=torch.tensor([[1.0, 1.0, 20.0]], dtype=torch.float64))),
        "Hénon (map, n = 2)": (henon, nd.Map(henon.fn, 2, params=henon.params),
                               dict(steps=5000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64))),
        "towel (map, n = 3)": (nd.Map(towel_step, 3, jacobian=towel_jacobian), nd.Map(towel_step, 3),
                               dict(steps=5000, x0=torch.tensor([[0.085, -0.121, 0.075]], dtype=torch.float64))),
        "neural ODE (flow, n = 16)": (analytic_node, nd.from_torch(Field()),
                                      dict(steps=300, dt=0.05, x0=torch.full((2, 16), 0.1, dtype=torch.float64))),
    }


def best_ms_per_step(system, kw, repeats=3):
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.process_time()
        result = nd.lyapunov_spectrum(system, strict=False, **kw)
        best = min(best, (time.process_time() - t0) / kw["steps"] * 1e3)
    return best, result


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", nd.ConvergenceWarning)
    print(f"{'system':28s} {'analytic ms/step':>17s} {'generic ms/step':>16s} {'ratio':>6s} {'max |diff|':>11s}")
    for name, (analytic, generic, kw) in systems().items():
        t_a, r_a = best_ms_per_step(analytic, kw)
        t_g, r_g = best_ms_per_step(generic, kw)
        diff = float((r_a.per_sample - r_g.per_sample).abs().max())
        print(f"{name:28s} {t_a:17.3f} {t_g:16.3f} {t_g / t_a:6.2f} {diff:11.1e}")


if __name__ == "__main__":
    main()
