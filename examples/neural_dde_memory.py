"""Neural delay differential equations: the memory capacity K tau decides what a non-augmented 1-D network can
fit (Kuehn & Kuntz 2025). Trains one network per delay on x -> x^2 and plots the final loss against K tau.

    python examples/neural_dde_memory.py [--iterations 80]
"""

import argparse
import math

from neurodyn.delay.experiment import SweepSettings, memory_sweep

p = argparse.ArgumentParser()
p.add_argument("--iterations", type=int, default=80)
p.add_argument("--out", default="neural_dde_memory.png")
a = p.parse_args()

sweep = memory_sweep(SweepSettings(iterations=a.iterations))
for tau, kt, loss in zip(sweep.taus.tolist(), sweep.K_tau.tolist(), sweep.loss.tolist(), strict=True):
    regime = "ODE-like (K tau e < 1)" if kt * math.e < 1 else "memory"
    print(f"tau = {tau:4.2f}   K tau = {kt:5.3f}   final loss {loss:.4f}   {regime}")
print(f"best constant fit: {sweep.baseline:.4f}")
sweep.plot().figure.savefig(a.out, dpi=120)
print(f"loss against K tau: {a.out}")
