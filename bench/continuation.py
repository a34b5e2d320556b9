"""Benchmark: all Hopf points of dx/dt = tanh((A + alpha I) x) in an alpha-interval, in dimension 100 and 400.

Ours: ``find_hopf_points(flow, param="alpha", start=mid, interval=...)`` — Newton on the extended Hopf system
seeded from every complex eigenpair at the interval's midpoint — and ``continue_equilibria`` along the x = 0
branch over the interval. Reference (the approach of classic continuation tools): a fixed-step scan in alpha
of the Hopf test function psi(alpha) = prod Re(mu_k) over the complex pairs of the Jacobian (its sign
changes when an odd number of pairs cross the imaginary axis within a step), each sign change located by
bisection to 1e-10. Truth: alpha = -Re(lambda_k(A)) for every complex pair of A with that value in the interval.
A point counts as found when one located point lies within 1e-6 of it. Same run, float64.

    python bench/continuation.py
"""

from __future__ import annotations

import math
import platform
import time

import torch

import neurodyn as nd

F64 = torch.float64


def network(n: int, seed: int = 0):
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=F64) / math.sqrt(n)
    # tanh((A + alpha I) x) written as tanh(A x + alpha x): the same field, without a parameter-dependent matrix
    flow = nd.Flow(lambda t, x, p: torch.tanh(x @ A.T + p["alpha"] * x), n,
                   params={"alpha": 0.0})
    return A, flow


def psi_sign(A: torch.Tensor, alpha: float) -> int:
    mu = torch.linalg.eigvals(A + alpha * torch.eye(len(A), dtype=F64))
    return int(torch.prod(torch.sign(mu[mu.imag > 1e-10].real)).item())


def reference(A: torch.Tensor, lo: float, hi: float, steps: int) -> list[float]:
    grid = torch.linspace(lo, hi, steps + 1, dtype=F64).tolist()
    found, prev = [], psi_sign(A, grid[0])
    for a, b in zip(grid[:-1], grid[1:], strict=True):
        cur = psi_sign(A, b)
        if cur != prev:
            left, right, s_left = a, b, prev
            while right - left > 1e-10:
                mid = 0.5 * (left + right)
                if psi_sign(A, mid) == s_left:
                    left = mid
                else:
                    right = mid
            found.append(0.5 * (left + right))
        prev = cur
    return found


def recall(found: list[float], truth: list[float]) -> int:
    return sum(1 for t in truth if any(abs(t - f) <= 1e-6 for f in found))


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}")
    head = (f"{'n':>4} {'Hopf in interval':>16} | {'find_hopf s':>11} {'found':>6} | {'continuation s':>14} "
            f"{'found':>6} | {'scan steps':>10} {'scan s':>7} {'found':>6}")
    print(head)
    print("-" * len(head))
    for n, (lo, hi) in ((100, (-0.35, 0.35)), (400, (-0.12, 0.12))):  # 20 and 27 pairs inside
        A, flow = network(n)
        ev = torch.linalg.eigvals(A)
        truth = sorted(-float(e.real) for e in ev if e.imag > 1e-10 and lo <= -float(e.real) <= hi)
        t0 = time.perf_counter()
        ours = nd.find_hopf_points(flow, param="alpha", start=0.5 * (lo + hi), interval=(lo, hi))
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        branch = nd.continue_equilibria(flow.with_params(alpha=lo), param="alpha", start=lo, stop=hi)
        t_branch = time.perf_counter() - t0
        on_branch = [s.value for s in branch.special if s.kind == "hopf"]
        for steps in (50, 200):
            t0 = time.perf_counter()
            ref = reference(A, lo, hi, steps)
            t_ref = time.perf_counter() - t0
            print(f"{n:>4} {len(truth):>16} | {t_ours:>11.2f} {recall([h.value for h in ours], truth):>6} | "
                  f"{t_branch:>14.2f} {recall(on_branch, truth):>6} | {steps:>10} {t_ref:>7.2f} "
                  f"{recall(ref, truth):>6}")


if __name__ == "__main__":
    main()
