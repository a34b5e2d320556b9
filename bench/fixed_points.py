"""Benchmark: fixed points of trained GRUs, neurodyn's finder against the published q-minimisation.

The reference is the algorithm of Sussillo & Barak (2013) as implemented in FixedPointFinder (Golub &
Sussillo 2018, JOSS 3, 1003): Adam on the mean over all starts of ``q(x) = |F(x)|^2 / 2`` with
``F(x) = step(x, 0) - x``, learning rate 1.0 multiplied by 0.95 whenever the mean ``q`` fails to improve
(down to 1e-3), stopping once the mean ``q`` is below 1e-12 or after 5000 iterations; the final points with
``q < 1e-12`` are its fixed points, deduplicated at distance 1e-3. Its step is PyTorch's own ``nn.GRU``
cell, differentiated by autograd.

Both run in float64 on the same trained GRU (3-bit flip-flop task, trained here with a fixed seed) from
the same 1024 starts (states of trajectories driven by task inputs), in this one process. Our time is the
median of three runs (one run is ~1.2-1.5 s at N = 128, and this machine's timings move by 20% between
runs; the reference's 5000 iterations average that out). Recall: a
reference fixed point (its final points with q < 1e-12, deduplicated at 1e-3) counts as found when one
of our fixed points lies within 1e-3 of it; "recall q<1e-6" does the same for the reference's final
points with q < 1e-6 (fixed and slow) against our fixed and slow points; "ours near ref" counts our
fixed points that some reference final point reached within 1e-3.

    python bench/fixed_points.py                 # N = 128 and 256
    python bench/fixed_points.py --sizes 128
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import time

import torch

import neurodyn as nd
from neurodyn.data import flip_flop
from neurodyn.models import train_flip_flop

STARTS = 1024
REPEATS = 3  # our time is the median of this many runs; the reference runs once


def distinct(points: torch.Tensor, q: torch.Tensor, radius: float = 1e-3) -> torch.Tensor:
    """Greedy deduplication in order of increasing q (FixedPointFinder's ``tol_unique``)."""
    keep = []
    for i in torch.argsort(q).tolist():
        if all(float(torch.linalg.vector_norm(points[i] - points[j])) > radius for j in keep):
            keep.append(i)
    return points[keep]


def reference_fixed_points(gru: torch.nn.GRU, x0: torch.Tensor, *, max_iters=5000, tol_q=1e-12):
    """Adam on mean q with a plateau-decayed learning rate; returns (final points, their q, iterations,
    seconds)."""
    m = copy.deepcopy(gru).double()
    for p in m.parameters():
        p.requires_grad_(False)
    zero = torch.zeros(x0.shape[0], 1, m.input_size, dtype=torch.float64)
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=1.0)
    lr, best = 1.0, float("inf")
    t0 = time.perf_counter()
    iterations = 0
    while iterations < max_iters:
        iterations += 1
        _, h = m(zero, x.unsqueeze(0))
        q = 0.5 * ((h[0] - x) ** 2).sum(-1)
        loss = q.mean()
        if loss.item() < tol_q:
            break
        if loss.item() >= best:
            lr = max(lr * 0.95, 1e-3)
            for g in opt.param_groups:
                g["lr"] = lr
        best = min(best, loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        _, h = m(zero, x.unsqueeze(0))
        q = 0.5 * ((h[0] - x) ** 2).sum(-1)
    return x.detach(), q, iterations, seconds


def starts_for(gru: torch.nn.GRU, seed: int = 0) -> torch.Tensor:
    """1024 states from 32 trajectories of 100 steps driven by flip-flop inputs."""
    gen = torch.Generator().manual_seed(seed)
    inputs, _ = flip_flop(3, batch=32, steps=100, generator=gen)
    with torch.no_grad():
        states, _ = copy.deepcopy(gru).double()(inputs.double())
    flat = states.reshape(-1, gru.hidden_size)
    return flat[torch.randint(len(flat), (STARTS,), generator=gen)]


def run(N: int) -> dict:
    t0 = time.perf_counter()
    trained = train_flip_flop(3, N, iterations=300, seed=0)
    train_s = time.perf_counter() - t0
    gru = trained.model.rnn
    x0 = starts_for(gru)
    system = nd.from_torch(gru)

    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        ours = nd.find_fixed_points(system, starts=x0, box=(-1.0, 1.0))
        times.append(time.perf_counter() - t0)
    ours_s = statistics.median(times)

    ref_x, ref_q, ref_iters, ref_s = reference_fixed_points(gru, x0)

    def recall(points, pool):
        if len(points) == 0:
            return 0
        if len(pool) == 0:
            return 0
        return int((torch.cdist(points, pool).min(1).values <= 1e-3).sum())

    ref_fixed = distinct(ref_x[ref_q < 1e-12], ref_q[ref_q < 1e-12])
    ref_slow = distinct(ref_x[ref_q < 1e-6], ref_q[ref_q < 1e-6])
    ours_all = torch.cat([ours.fixed.points, ours.slow.points])
    return dict(N=N, acc=trained.accuracy, train_s=train_s, ours_s=ours_s, times=times, ref_s=ref_s,
                ref_iters=ref_iters,
                n_ours=len(ours.fixed), n_stable=len(ours.fixed.stable), n_slow=len(ours.slow),
                ours_res=float(ours.fixed.residual.max()) if len(ours.fixed) else float("nan"),
                n_ref=len(ref_fixed), ref_min_q=float(ref_q.min()), n_ref_slow=len(ref_slow),
                recalled=recall(ref_fixed, ours.fixed.points), recalled_slow=recall(ref_slow, ours_all),
                ref_near_ours=recall(ours.fixed.points, ref_x), iterations=ours.settings["iterations"],
                jacobians=sum(ours.settings["jacobians"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}; {STARTS} starts")
    header = (f"{'N':>4} {'acc':>6} | {'ours s':>6} {'fixed':>5} {'stable':>6} {'slow':>4} {'max |F|':>7} "
              f"{'Jacs':>5} | {'ref s':>6} {'iters':>5} {'min q':>7} {'q<1e-12':>7} {'q<1e-6':>6} | "
              f"{'speed-up':>8} {'recall':>7} {'recall q<1e-6':>13} {'ours near ref':>13}")
    print(header)
    print("-" * len(header))
    runs = []
    for N in args.sizes:
        r = run(N)
        print(f"{r['N']:>4} {r['acc']:>6.4f} | {r['ours_s']:>6.2f} {r['n_ours']:>5} {r['n_stable']:>6} "
              f"{r['n_slow']:>4} {r['ours_res']:>7.0e} {r['jacobians']:>5} | {r['ref_s']:>6.1f} {r['ref_iters']:>5} "
              f"{r['ref_min_q']:>7.0e} {r['n_ref']:>7} {r['n_ref_slow']:>6} | {r['ref_s'] / r['ours_s']:>7.1f}x "
              f"{r['recalled']:>3}/{r['n_ref']:<3} {r['recalled_slow']:>7}/{r['n_ref_slow']:<5} "
              f"{r['ref_near_ours']:>7}/{r['n_ours']:<5}", flush=True)
        runs.append(f"N = {N}: " + ", ".join(f"{t:.2f}" for t in r["times"]) + " s")
    print("our runs (the median is in the table):", "; ".join(runs))


if __name__ == "__main__":
    main()
