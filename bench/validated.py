"""Benchmark: the cost of a computer-assisted proof next to the float computation it certifies.

Equilibria of F(x) = -x + tanh(W x + b), W = g randn(n, n) / sqrt(n), b = 0.5 randn(n), n = 100, 400, 1000:
the float Newton solve that finds the point (numpy: LAPACK solve per step from x = 0 to |F| < 1e-14) against
``prove_equilibrium`` on the fast backend (existence and uniqueness in a ball), and the Arb backend's time
where it is affordable. Hopf points of F(x) = -x + tanh((W + alpha I) x): ``find_hopf_points`` (the float
Hopf solve: Newton on the extended system from every eigenpair; its time per point found) against
``prove_hopf_points`` (one eigen-decomposition serves the points of the list). Finally every Hopf point
of dx/dt = tanh((A + alpha I) x), n = 400 (about 200 of them) proven, with the total time. Same run, float64,
medians of repeats (three for the Hopf timings).

    python bench/validated.py            # add --quick for n = 100 and 400 only and 20 Hopf points
"""

from __future__ import annotations

import math
import platform
import statistics
import sys
import time

import numpy as np
import torch

import neurodyn as nd

F64 = torch.float64


def network(n: int, gain: float, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    W = gain * torch.randn(n, n, generator=gen, dtype=F64) / math.sqrt(n)
    b = 0.5 * torch.randn(n, generator=gen, dtype=F64)
    return W, b


def newton(W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain float Newton for -x + tanh(W x + b) = 0 from x = 0."""
    n = len(b)
    x = np.zeros(n)
    eye = np.eye(n)
    for _ in range(100):
        t = np.tanh(W @ x + b)
        F = t - x
        if np.abs(F).max() < 1e-14:
            return x
        x = x - np.linalg.solve((1 - t * t)[:, None] * W - eye, F)
    raise RuntimeError("Newton did not converge")


def median_time(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def equilibria(sizes, arb_up_to: int):
    print("## Equilibrium proofs, -x + tanh(W x + b), W = 1.2 randn/sqrt(n)")
    print(f"{'n':>5} {'Newton s':>10} {'proof s':>10} {'ratio':>7} {'r_min':>10} {'r_max':>10} {'Arb s':>9}")
    for n in sizes:
        W, b = network(n, 1.2)
        repeats = 7 if n <= 400 else 3
        t_float, x = median_time(lambda W=W, b=b: newton(W.numpy(), b.numpy()), repeats)
        system = nd.tanh_field(W, b, leak=1.0)
        xt = torch.from_numpy(x)
        t_proof, proof = median_time(lambda s=system, x=xt: nd.prove_equilibrium(s, x), repeats)
        assert proof.proved, proof.reason
        arb = ""
        if n <= arb_up_to:
            t0 = time.perf_counter()
            ref = nd.prove_equilibrium(system, xt, backend="arb")
            arb = f"{time.perf_counter() - t0:9.2f}"
            assert ref.proved
        print(f"{n:5d} {t_float:10.4f} {t_proof:10.4f} {t_proof / t_float:7.2f} {proof.radius:10.2e} "
              f"{proof.uniqueness_radius:10.2e} {arb:>9}")


def hopf(sizes, per_size: int, arb_up_to: int):
    print("\n## Hopf proofs, -x + tanh((W + alpha I) x), W = randn/sqrt(n)")
    print(f"{'n':>5} {'points':>6} {'float s/pt':>11} {'proof s/pt':>11} {'ratio':>7} {'proved':>7} {'Arb s/pt':>9}")
    for n in sizes:
        W, _ = network(n, 1.0, seed=1)
        # b = 0: with a bias the equilibrium branch of a random W folds for almost every alpha (W - (1 - alpha) I
        # is nearly singular throughout), so there is no single branch to search; here x = 0 for every alpha and
        # the pairs cross at alpha = 1 - Re lambda(W)
        system = nd.tanh_family(W, leak=1.0)
        # a window of alpha around 1 widened until it holds per_size points; then the search and the proofs of
        # its points are timed as medians of three runs each (this machine's timings drift by 20-30%)
        width = 0.004
        while True:
            points = nd.find_hopf_points(system, param="alpha", start=1.0, interval=(1.0 - width, 1.0 + width))
            if len(points) >= per_size:
                break
            width *= 2
        t_float, points = median_time(lambda w=width, s=system: nd.find_hopf_points(
            s, param="alpha", start=1.0, interval=(1.0 - w, 1.0 + w)), 3)
        t_proof, proofs = median_time(lambda s=system, p=points: nd.prove_hopf_points(s, p), 3)  # fresh eigenbasis
        t_float, t_proof = t_float / max(len(points), 1), t_proof / max(len(points), 1)
        arb = ""
        if n <= arb_up_to:
            t0 = time.perf_counter()
            ref = nd.prove_hopf(system, points[0], backend="arb")
            arb = f"{time.perf_counter() - t0:9.2f}"
            assert ref.proved == proofs[0].proved
        proved = sum(p.proved for p in proofs)
        print(f"{n:5d} {len(points):6d} {t_float:11.3f} {t_proof:11.3f} {t_proof / t_float:7.2f} "
              f"{proved:3d}/{len(points):<3d} {arb:>9}")


def all_hopf(n: int, limit: int | None):
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(0), dtype=F64) / math.sqrt(n)
    system = nd.tanh_family(A)
    t0 = time.perf_counter()
    points = nd.find_hopf_points(system, param="alpha", start=0.0)
    t_find = time.perf_counter() - t0
    if limit is not None:
        points = points[:limit]
    t0 = time.perf_counter()
    proofs = nd.prove_hopf_points(system, points)
    t_prove = time.perf_counter() - t0
    pairs = int((np.linalg.eigvals(A.numpy()).imag > 0).sum())
    proved = sum(p.proved for p in proofs)
    kinds = {k: sum(p.conclusion == k for p in proofs) for k in ("supercritical", "subcritical", "undecided")}
    print(f"\n## Every Hopf point of tanh((A + alpha I) x), n = {n} ({pairs} complex pairs of A)")
    print(f"found {len(points)} in {t_find:.1f} s (float); proved {proved}/{len(points)} in {t_prove:.1f} s "
          f"({t_prove / max(len(points), 1):.3f} s each); {kinds}")
    failures = [p.reason for p in proofs if not p.proved]
    if failures:
        print("not proved:", failures[:5])


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    print(f"# {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, numpy "
          f"{np.__version__}, torch {torch.__version__}")
    equilibria([100, 400] if quick else [100, 400, 1000], arb_up_to=100)
    hopf([100, 400] if quick else [100, 400, 1000], per_size=3 if quick else 5, arb_up_to=0 if quick else 100)
    all_hopf(400, 20 if quick else None)


if __name__ == "__main__":
    main()
