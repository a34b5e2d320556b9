"""Benchmark: Kuramoto networks per RK4 step, all-to-all up to N = 10^6 and sparse with 10^7 edges.

1. All-to-all Kuramoto through the order parameter (``CompleteGraph``, O(N) per field evaluation): wall time of
   one classical RK4 step at N = 10^4 .. 10^6; the fitted exponent of time against N (target: 1, linear); and
   the ratio to the time to stream the state through memory four times (one read + write of ``N`` float64 per
   stage), with the copy bandwidth measured in the same run (target: within 3x); and the ratio to the time of
   the one cos and one sin per node and stage that the sine coupling needs on the phases. The same step on
   unit phasors (``simulate_phasors``: Lawson RK4 on ``z_i = e^{i x_i}``, no trigonometry per stage, in place)
   is timed beside it, with its own exponent and ratio to the memory bound, and the same step fused by
   ``torch.compile`` (``simulate_phasors(compile=True)``: two loops over the nodes per step), whose compile time
   (the first run's time less a compiled run's, per N) is printed apart from the step time.
2. A sparse graph with 10^7 edges (N = 10^6 nodes, 10 random in-neighbours each, seed 0): time per RK4 step.
3. The ``kuramoto`` PyPI package (dense O(N^2) numpy field, all-ones adjacency, integrated by scipy's odeint)
   at N = 2000, if installed: the time of four of its field evaluations (the field work of one RK4 step; its own
   adaptive odeint makes a different number) against one RK4 step here; the two fields are checked equal first.

Each timing is the median of ``--repeats`` runs after one warm-up; torch limited to ``--threads`` threads.

    python bench/networks.py                 # CPU, 1 thread
    python bench/networks.py --device cuda   # the same on a GPU
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time

import numpy as np
import torch

import neurodyn as nd
from neurodyn import networks as nw
from neurodyn.integrate import RK4, rk_step


def timed(fn, repeats: int, device: torch.device) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after one warm-up (synchronising on CUDA)."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rk4_step_time(net, x: torch.Tensor, repeats: int) -> float:
    def rhs(t, y):
        return (net.field(t, y[0]),)

    return timed(lambda: rk_step(RK4, rhs, 0.0, (x,), 0.01), repeats, x.device)


def bandwidth(device: torch.device, repeats: int) -> float:
    """Copy bandwidth in bytes/s (read + write) of a 10^7-element float64 tensor."""
    a = torch.rand(10_000_000, dtype=torch.float64, device=device)
    b = torch.empty_like(a)
    t = timed(lambda: b.copy_(a), repeats, device)
    return 2 * a.numel() * 8 / t


def phasor_step_time(net, x: torch.Tensor, repeats: int, compile: bool = False, steps: int = 10) -> float:
    """Time of one Lawson RK4 step of ``simulate_phasors`` (the run of ``steps + 1`` steps less the run of 1, over
    ``steps``: the set-up, about 20 ms at N = 10^6, cancels)."""
    def run(k):
        return lambda: nw.simulate_phasors(net, x, t_end=k * 0.01, dt=0.01, every=k, compile=compile)

    return (timed(run(steps + 1), repeats, x.device) - timed(run(1), repeats, x.device)) / steps


def compile_time(net, x: torch.Tensor) -> float:
    """Wall time of the first compiled run of one step less that of a second one: the compilation."""
    def run():
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        nw.simulate_phasors(net, x, t_end=0.01, dt=0.01, compile=True)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    first = run()
    return first - run()


def all_to_all(device, repeats, bw, sizes):
    times, phasor_times, fused_times = [], [], []
    for n in sizes:
        omega = nw.Lorentzian(0.5).quantiles(n).to(device)
        net = nw.kuramoto(nw.CompleteGraph(n), omega, K=2.0)
        x = 2 * math.pi * torch.rand(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device)
        times.append(rk4_step_time(net, x, repeats))
        phasor_times.append(phasor_step_time(net, x, repeats))
        compiling = compile_time(net, x)
        fused_times.append(phasor_step_time(net, x, repeats, compile=True, steps=100))  # ~10x faster: more steps
        stream = 4 * 2 * n * 8 / bw
        trig = 4 * timed(lambda x=x: (torch.cos(x), torch.sin(x)), repeats, device)
        print(f"all-to-all N = {n:>9,}: phases {times[-1] * 1e3:9.3f} ms per RK4 step (ratio to 4x state stream "
              f"{times[-1] / stream:6.1f}x, to 4x (cos, sin) {times[-1] / trig:4.1f}x); phasors "
              f"{phasor_times[-1] * 1e3:9.3f} ms (ratio to 4x state stream {phasor_times[-1] / stream:5.1f}x); "
              f"4x state stream {stream * 1e3:7.3f} ms")
        print(f"    fused phasors (compile=True) {fused_times[-1] * 1e3:9.3f} ms per RK4 step (ratio to 4x state "
              f"stream {fused_times[-1] / stream:5.2f}x); compile time {compiling:5.1f} s (apart)")
    for name, t in (("phases", times), ("phasors", phasor_times), ("fused phasors", fused_times)):
        if len(sizes) < 2:
            break
        slope = np.polyfit(np.log(sizes), np.log(t), 1)[0]
        print(f"fitted exponent of time per step against N (1e4 .. 1e6), {name}: {slope:.3f}")


def sparse_graph(device, repeats):
    n, k = 1_000_000, 10
    g = torch.Generator().manual_seed(0)
    rows = torch.arange(n).repeat_interleave(k)
    cols = torch.randint(0, n, (n * k,), generator=g)
    A = torch.sparse_coo_tensor(torch.stack((rows, cols)), torch.ones(n * k, dtype=torch.float64), (n, n),
                                check_invariants=True)
    graph = nw.SparseGraph(A.to(device))
    omega = nw.Lorentzian(0.5).quantiles(n).to(device)
    net = nw.kuramoto(graph, omega, K=2.0)
    x = 2 * math.pi * torch.rand(n, generator=g, dtype=torch.float64).to(device)
    t = rk4_step_time(net, x, repeats)
    print(f"sparse N = {n:,}, {graph.edges:,} edges (duplicates summed): {t * 1e3:.1f} ms per RK4 step")


def versus_package(device, repeats):
    try:
        from kuramoto import Kuramoto
    except ImportError:
        print("kuramoto (PyPI) not installed: comparison skipped")
        return
    n = 2000
    omega = nw.Lorentzian(0.5).quantiles(n)
    x = 2 * math.pi * torch.rand(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = Kuramoto(coupling=2.0, n_nodes=n, natfreqs=omega.numpy())
    adj = np.ones((n, n))
    coupling = 2.0 / (adj != 0).sum(axis=0)  # the package's own normalisation, K / in-degree = K / N here
    net = nw.kuramoto(nw.CompleteGraph(n), omega, K=2.0)
    theirs = ref.derivative(x.numpy(), None, adj, coupling)
    diff = float(np.abs(theirs - net.field(0.0, x).numpy()).max())
    t_ref = 4 * timed(lambda: ref.derivative(x.numpy(), None, adj, coupling), repeats, torch.device("cpu"))
    t_ours = rk4_step_time(nw.kuramoto(nw.CompleteGraph(n), omega.to(device), K=2.0), x.to(device), repeats)
    print(f"kuramoto package, N = {n}: 4 field evaluations {t_ref * 1e3:.2f} ms; neurodyn RK4 step "
          f"{t_ours * 1e3:.3f} ms; speed-up {t_ref / t_ours:.0f}x; fields agree to {diff:.1e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--all-to-all-only", action="store_true", help="skip the sparse graph and the package")
    ap.add_argument("--sizes", default="10000,30000,100000,300000,1000000", help="all-to-all sizes N, comma-separated")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"{platform.machine()}, torch {torch.__version__}, neurodyn {nd.__version__}, device {device}, "
          f"{args.threads} thread(s)")
    bw = bandwidth(device, args.repeats)
    print(f"copy bandwidth (read + write): {bw / 1e9:.2f} GB/s")
    all_to_all(device, args.repeats, bw, [int(v) for v in args.sizes.split(",")])
    if not args.all_to_all_only:
        sparse_graph(device, max(1, args.repeats // 2))
        versus_package(device, args.repeats)


if __name__ == "__main__":
    main()
