"""Benchmark: critical points of a trained MLP's input-output map, neurodyn against per-start scipy minimisation.

Network: a 2 -> 64 -> 64 -> 1 tanh MLP fitted (Adam, 600 full-batch steps, seed 0) to
``sin(2 x1) cos(2 x2)`` on [-2, 2]^2, a landscape with many minima, maxima and saddles; analysed in float64
on the box [-2, 2]^2.

Ours: :func:`neurodyn.critical_points` from 4096 uniform starts (batched trust-region Newton on the gradient
field with the Hessian as Jacobian, deflation, deduplication).

Reference, the obvious approach: ``scipy.optimize.minimize`` (BFGS) of ``|grad f|^2`` from each start, one
start at a time, with its gradient ``2 H grad f`` by PyTorch autograd (double backward); a final point with
``|grad f| <= 1e-6`` inside the box counts as critical; points are deduplicated at distance 1e-4. Running it
from all 4096 starts would take minutes on the machine this was measured on, so it runs from the first
``--ref-starts`` of the same starts and its time is scaled to 4096 (per-start cost is independent of the
start). Recall: the fraction of the reference's distinct points with one of ours within 1e-4, and the reverse
(ours confirmed by the reference from its subset, a lower bound for it).

    python bench/critical_points.py                 # 4096 starts, reference from 256
    python bench/critical_points.py --ref-starts 512
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import scipy.optimize
import torch
from torch import nn

import neurodyn as nd

STARTS = 4096
BOX = 2.0


def trained_mlp(seed: int = 0) -> nn.Sequential:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).double()
        X = (torch.rand(2000, 2, dtype=torch.float64) * 2 - 1) * BOX
    y = torch.sin(2 * X[:, :1]) * torch.cos(2 * X[:, 1:])
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(600):
        loss = ((net(X) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.requires_grad_(False)


def reference(net: nn.Module, starts: np.ndarray) -> tuple[np.ndarray, float]:
    """BFGS on |grad f|^2 from each start; returns the critical points reached and the seconds taken."""

    def fun(x):
        z = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(net(z[None])[0, 0], z, create_graph=True)
        q = (g * g).sum()
        (dq,) = torch.autograd.grad(q, z)
        return float(q.detach()), dq.numpy()

    found = []
    t0 = time.perf_counter()
    for x0 in starts:
        res = scipy.optimize.minimize(fun, x0, jac=True, method="BFGS", options=dict(gtol=1e-14, maxiter=500))
        if res.fun <= 1e-12 and np.all(np.abs(res.x) <= BOX):
            found.append(res.x)
    return np.array(found).reshape(-1, 2), time.perf_counter() - t0


def distinct(points: np.ndarray, radius: float = 1e-4) -> np.ndarray:
    keep = []
    for p in points:
        if all(np.linalg.norm(p - q) > radius for q in keep):
            keep.append(p)
    return np.array(keep).reshape(-1, 2)


def matched(a: np.ndarray, b: np.ndarray, radius: float = 1e-4) -> int:
    """How many points of ``a`` have a point of ``b`` within ``radius``."""
    if len(a) == 0 or len(b) == 0:
        return 0
    return int((np.linalg.norm(a[:, None] - b[None], axis=-1).min(1) <= radius).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref-starts", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    net = trained_mlp()
    print(nd.architecture_class(net))
    t0 = time.perf_counter()
    ours = nd.critical_points(net, (-BOX, BOX), n_starts=STARTS)
    t_ours = time.perf_counter() - t0
    idx = ours.morse_index.numpy()
    print(f"ours: {len(ours)} critical points ({(idx == 0).sum()} minima, {(idx == 1).sum()} saddles, "
          f"{(idx == 2).sum()} maxima, {int(ours.degenerate.sum())} degenerate) from {STARTS} starts in "
          f"{t_ours:.2f} s; {ours.flat} flat points dropped")
    starts = (torch.rand(args.ref_starts, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
              * 2 - 1).numpy() * BOX
    ref_points, t_ref = reference(net, starts)
    ref = distinct(ref_points)
    t_ref_full = t_ref * STARTS / args.ref_starts
    ours_np = ours.points.numpy()
    print(f"reference (BFGS on |grad f|^2, one start at a time): {len(ref)} distinct critical points from "
          f"{args.ref_starts} starts in {t_ref:.2f} s -> {t_ref_full:.1f} s for {STARTS} starts")
    print(f"speed-up: {t_ref_full / t_ours:.1f}x")
    print(f"recall of the reference's points by ours: {matched(ref, ours_np)}/{len(ref)}; "
          f"ours confirmed by the reference's subset: {matched(ours_np, ref)}/{len(ours)}")


if __name__ == "__main__":
    main()
