"""Benchmark: the FTLE map of a trained two-moons neural ODE on a 256 x 256 grid, batched against point by point.

Ours: ``model.ftle(grid)`` — the state and the variational matrix (restricted to the 2 input directions)
integrated together for all 65 536 points at once with forward-mode products, then a batched SVD.
Reference (the per-point method of published FTLE code): for each point the autodiff Jacobian of the
classifier's own flow map (``torch.autograd.functional.jacobian`` through the torchdiffeq solve), then its
SVD. Same model, same scheme (torchdiffeq's RK4, 10 steps over T = 1), float64, this one process. The
reference is timed on a random subset of the grid (``--ref-points``) and its rate extrapolated to the
grid; the two agree to 1e-10 on that subset.

    python bench/ftle.py                  # hidden 16 and 64, 256 x 256 grid
    python bench/ftle.py --hidden 16 --grid 128
"""

from __future__ import annotations

import argparse
import copy
import platform
import time

import torch

from neurodyn.models import train_moons_classifier


def grid_points(n: int) -> torch.Tensor:
    xs = torch.linspace(-1.5, 2.5, n, dtype=torch.float64)
    ys = torch.linspace(-1.0, 1.5, n, dtype=torch.float64)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)


def reference_ftle(model, points: torch.Tensor) -> torch.Tensor:
    """Largest FTLE point by point: autodiff Jacobian of the flow map, then SVD."""
    ref = copy.deepcopy(model).double()
    out = []
    for p in points:
        J = torch.autograd.functional.jacobian(lambda x: ref.transport(x[None])[0], p)
        out.append(torch.log(torch.linalg.svdvals(J)[0]) / ref.t)
    return torch.stack(out)


def run(hidden: int, n: int, ref_points: int) -> dict:
    trained = train_moons_classifier(hidden=hidden, seed=0)
    model = trained.model
    grid = grid_points(n)
    model.ftle(grid[:64])  # warm-up
    t0 = time.perf_counter()
    ours = model.ftle(grid)
    ours_s = time.perf_counter() - t0
    pick = torch.randperm(len(grid), generator=torch.Generator().manual_seed(0))[:ref_points]
    t0 = time.perf_counter()
    ref = reference_ftle(model, grid[pick])
    ref_s = (time.perf_counter() - t0) * len(grid) / ref_points
    err = float((ours.maximal[pick] - ref).abs().max())
    return dict(hidden=hidden, acc=trained.accuracy, points=len(grid), ours_s=ours_s, ref_s=ref_s,
                ours_rate=len(grid) / ours_s, ref_rate=len(grid) / ref_s, err=err)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--grid", type=int, default=256)
    ap.add_argument("--ref-points", type=int, default=1024)
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}; "
          f"{args.grid}x{args.grid} grid, reference timed on {args.ref_points} points")
    head = (f"{'hidden':>6} {'acc':>6} | {'ours s':>7} {'points/s':>9} | {'ref s (extrap.)':>15} {'points/s':>9} | "
            f"{'speed-up':>8} {'max |diff|':>10}")
    print(head)
    print("-" * len(head))
    for h in args.hidden:
        r = run(h, args.grid, args.ref_points)
        print(f"{r['hidden']:>6} {r['acc']:>6.3f} | {r['ours_s']:>7.2f} {r['ours_rate']:>9.0f} | "
              f"{r['ref_s']:>15.1f} {r['ref_rate']:>9.0f} | {r['ref_s'] / r['ours_s']:>7.0f}x {r['err']:>10.1e}")


if __name__ == "__main__":
    main()
