"""Benchmark: critical points of a trained MLP's input-output map, neurodyn against per-start scipy minimisation.

Network: a 2 -> 64 -> 64 -> 1 tanh MLP fitted (Adam, 600 full-batch steps, seed 0) to
``sin(2 x1) cos(2 x2)`` on [-2, 2]^2, a landscape with many minima, maxima and saddles; analysed in float64
on the box [-2, 2]^2.

A 10-D case: a random (untrained) 10 -> 64 -> 64 -> 1 tanh MLP (seed 1, weights N(0, 9 / fan_in), biases
N(0, 0.25)) on [-2, 2]^10.

Ours: :func:`neurodyn.critical_points` with ``n_starts=4096`` (waves of 4096 uniform starts until a wave finds
nothing new, at most 4 waves; batched trust-region Newton on the confined gradient field with the
Hessian as Jacobian, deflation, deduplication); ``--one-wave`` limits it to the first 4096 starts.

Reference, the obvious approach: ``scipy.optimize.minimize`` (BFGS) of ``|grad f|^2`` from each start, one
start at a time, with its gradient ``2 H grad f`` by PyTorch autograd (double backward); a final point with
``|grad f| <= 1e-6`` inside the box counts as critical; points are deduplicated at distance 1e-4. Running it
from all 4096 starts would take minutes on the machine this was measured on, so it runs from the first
``--ref-starts`` of the same starts and its time is scaled to 4096 (per-start cost is independent of the
start). Recall of the points found by either: the fraction of the union of both sets of distinct points
(matched within 1e-4) that each method found. With ``--ref-starts`` below 4096 the reference's recall is that of
its subset of starts; ``--ref-starts 4096`` runs it in full.

    python bench/critical_points.py                 # both cases, 4096 starts, reference from 256
    python bench/critical_points.py --ref-starts 512 --cases 2
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


def random_mlp(n: int, seed: int = 1) -> nn.Sequential:
    gen = torch.Generator().manual_seed(seed)
    layers = []
    for a, b in ((n, 64), (64, 64), (64, 1)):
        lin = nn.Linear(a, b).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=gen, dtype=torch.float64) * 3.0 / a**0.5)
            lin.bias.copy_(torch.randn(b, generator=gen, dtype=torch.float64) * 0.5)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers[:-1]).requires_grad_(False)


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
    return np.array(found).reshape(-1, starts.shape[1]), time.perf_counter() - t0


def distinct(points: np.ndarray, radius: float = 1e-4) -> np.ndarray:
    keep = []
    for p in points:
        if all(np.linalg.norm(p - q) > radius for q in keep):
            keep.append(p)
    return np.array(keep).reshape(-1, points.shape[1])


def matched(a: np.ndarray, b: np.ndarray, radius: float = 1e-4) -> int:
    """How many points of ``a`` have a point of ``b`` within ``radius``."""
    if len(a) == 0 or len(b) == 0:
        return 0
    return int((np.linalg.norm(a[:, None] - b[None], axis=-1).min(1) <= radius).sum())


def union_recall(ours: np.ndarray, ref: np.ndarray, radius: float = 1e-4) -> tuple[int, int, int]:
    """Size of the union of two point sets (points within ``radius`` are one) and how many of it each found."""
    union = distinct(np.concatenate([ours, ref]), radius)
    return len(union), matched(union, ours, radius), matched(union, ref, radius)


def case(name: str, net: nn.Module, n: int, args):
    print(f"--- {name}")
    print(nd.architecture_class(net))
    nd.critical_points(net, (-BOX, BOX), n_starts=8)  # first call: one-time imports and warm-up, not timed
    t0 = time.perf_counter()
    ours = nd.critical_points(net, (-BOX, BOX), n_starts=STARTS, max_starts=STARTS if args.one_wave else None)
    t_ours = time.perf_counter() - t0
    idx = ours.morse_index.numpy()
    counts = ", ".join(f"{int((idx == k).sum())} of index {k}" for k in sorted(set(idx.tolist())))
    used = sum(ours.starts.values())
    print(f"ours: {len(ours)} critical points ({counts or 'none'}; {int(ours.degenerate.sum())} degenerate) from "
          f"{used} starts ({used // STARTS} wave(s) of {STARTS}) in {t_ours:.2f} s; status {ours.status.value!r}; "
          f"{ours.flat} flat points dropped")
    starts = (torch.rand(args.ref_starts, n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
              * 2 - 1).numpy() * BOX
    ref_points, t_ref = reference(net, starts)
    ref = distinct(ref_points)
    t_ref_full = t_ref * STARTS / args.ref_starts
    ours_np = ours.points.numpy()
    print(f"reference (BFGS on |grad f|^2, one start at a time): {len(ref)} distinct critical points from "
          f"{args.ref_starts} starts in {t_ref:.2f} s -> {t_ref_full:.1f} s for {STARTS} starts")
    print(f"speed-up: {t_ref_full / t_ours:.1f}x")
    total, by_ours, by_ref = union_recall(ours_np, ref)
    print(f"recall of the {total} points found by either: ours {by_ours}/{total} = {by_ours / max(total, 1):.2f}, "
          f"reference {by_ref}/{total} = {by_ref / max(total, 1):.2f} (from its {args.ref_starts} starts); "
          f"the reference's points found by ours: {matched(ref, ours_np)}/{len(ref)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref-starts", type=int, default=256)
    parser.add_argument("--cases", type=int, nargs="+", default=[2, 10], help="input dimensions to run (2, 10)")
    parser.add_argument("--one-wave", action="store_true", help="ours from the first 4096 starts only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    if 2 in args.cases:
        case("2 -> 64 -> 64 -> 1, trained on sin(2 x1) cos(2 x2)", trained_mlp(), 2, args)
    if 10 in args.cases:
        case("10 -> 64 -> 64 -> 1, random", random_mlp(10), 10, args)


if __name__ == "__main__":
    main()
