"""Benchmark: fixed points of trained GRUs, neurodyn's finder against the published q-minimisation.

The reference is the algorithm of Sussillo & Barak (2013) as implemented in FixedPointFinder (Golub &
Sussillo 2018, JOSS 3, 1003): Adam on the mean over all starts of ``q(x) = |F(x)|^2 / 2`` with
``F(x) = step(x, 0) - x``, learning rate 1.0 multiplied by 0.95 whenever the mean ``q`` fails to improve
(down to 1e-3), stopping once the mean ``q`` is below 1e-12 or after 5000 iterations; the final points with
``q < 1e-12`` are its fixed points, deduplicated at distance 1e-3. Its step is PyTorch's own ``nn.GRU``
cell, differentiated by autograd.

Both run in float64 on the same trained GRU (3-bit flip-flop task, trained here with a fixed seed) from
the same 1024 starts (states of trajectories driven by task inputs), in this one process. Recall: a
reference point counts as found when one of our fixed or slow points lies within 1e-3 of it.

    python bench/fixed_points.py                 # N = 128 and 256
    python bench/fixed_points.py --sizes 128
"""

from __future__ import annotations

import argparse
import copy
import platform
import time

import torch

import neurodyn as nd
from neurodyn.data import flip_flop
from neurodyn.models import train_flip_flop

STARTS = 1024


def reference_fixed_points(gru: torch.nn.GRU, x0: torch.Tensor, *, max_iters=5000, tol_q=1e-12, unique=1e-3):
    """Adam on mean q with a plateau-decayed learning rate; returns (points with q < tol_q deduplicated,
    their q, iterations, seconds)."""
    m = copy.deepcopy(gru).double()
    for p in m.parameters():
        p.requires_grad_(False)
    zero = torch.zeros(x0.shape[0], 1, m.input_size, dtype=torch.float64)
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=1.0)
    lr, best = 1.0, float("inf")
    t0 = time.perf_counter()
    it = 0
    for it in range(1, max_iters + 1):
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
    pts, qs = x.detach()[q < tol_q], q[q < tol_q]
    keep = []
    for i in torch.argsort(qs).tolist():
        if all(float(torch.linalg.vector_norm(pts[i] - pts[j])) > unique for j in keep):
            keep.append(i)
    return pts[keep], qs[keep], it, seconds


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

    t0 = time.perf_counter()
    ours = nd.find_fixed_points(system, starts=x0, box=(-1.0, 1.0))
    ours_s = time.perf_counter() - t0

    ref_pts, ref_q, ref_iters, ref_s = reference_fixed_points(gru, x0)
    found = torch.cat([ours.fixed.points, ours.slow.points])
    if len(ref_pts):
        d = torch.cdist(ref_pts, found).min(1).values if len(found) else torch.full((len(ref_pts),), float("inf"))
        recalled = int((d <= 1e-3).sum())
    else:
        recalled = 0
    return dict(N=N, acc=trained.accuracy, train_s=train_s, ours_s=ours_s, ref_s=ref_s, ref_iters=ref_iters,
                n_ours=len(ours.fixed), n_stable=len(ours.fixed.stable), n_slow=len(ours.slow),
                ours_res=float(ours.fixed.residual.max()) if len(ours.fixed) else float("nan"),
                n_ref=len(ref_pts), ref_res=float((2 * ref_q).sqrt().max()) if len(ref_q) else float("nan"),
                recalled=recalled, iterations=ours.settings["iterations"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}; {STARTS} starts")
    header = (f"{'N':>4} {'train acc':>9} | {'ours s':>7} {'fixed':>5} {'stable':>6} {'slow':>4} {'max |F|':>8} | "
              f"{'ref s':>7} {'iters':>5} {'fixed':>5} {'max |F|':>8} | {'speed-up':>8} {'recall':>7}")
    print(header)
    print("-" * len(header))
    for N in args.sizes:
        r = run(N)
        print(f"{r['N']:>4} {r['acc']:>9.4f} | {r['ours_s']:>7.2f} {r['n_ours']:>5} {r['n_stable']:>6} "
              f"{r['n_slow']:>4} {r['ours_res']:>8.1e} | {r['ref_s']:>7.2f} {r['ref_iters']:>5} {r['n_ref']:>5} "
              f"{r['ref_res']:>8.1e} | {r['ref_s'] / r['ours_s']:>7.1f}x {r['recalled']:>3}/{r['n_ref']:<3}"
              f"   (solver iterations per round: {r['iterations']})", flush=True)


if __name__ == "__main__":
    main()
