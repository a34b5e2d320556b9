"""Benchmark: proven FTLE bounds against float FTLEs, and a proven periodic orbit in dimension 50.

1. The demo's two-moons neural ODE (``train_moons_classifier(hidden=16, epochs=400, seed=0)``, field
   ``W2 tanh(W1 z + b1) + b2``, T = 1) on a 64 x 64 grid over the data's bounding box widened by 0.3.
   Ours: ``nd.prove_ftle(model.flow(), grid, t=1, k=2, order=12, tol=1.2e-10, float_dt=None)`` — C^1 Lohner
   enclosures of D phi_T for all points at once, each point with its own steps (Taylor order 12, step remainder
   1.2e-10: widths below 1e-6), Weyl bounds on the singular values. Float references in the same run: the classifier's
   own FTLE map ``model.ftle(grid, k=2)`` (RK4, 10 steps, what the demo draws) and ``nd.ftle(flow, grid, t=1,
   k=2, dt=0.01)`` (RK4, 100 steps). Printed: times, ratios, the largest width, and how many float values lie
   inside the proven intervals.
2. ``nd.prove_periodic_orbit`` of the orbit of ``tanh_family(A)``, ``A = randn(50, 50) / sqrt(50)`` (seed 0),
   0.005 beyond the first Hopf point (by alpha) whose float orbit ``nd.periodic_orbit`` finds, on the side where
   the orbit exists.

    python bench/rigorous.py              # 64 x 64 grid
    python bench/rigorous.py --grid 32
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

import neurodyn as nd
from neurodyn.models import train_moons_classifier


def grid_points(X: torch.Tensor, n: int, pad: float = 0.3) -> torch.Tensor:
    lo, hi = X.min(0).values - pad, X.max(0).values + pad
    axes = [torch.linspace(float(lo[i]), float(hi[i]), n, dtype=torch.float64) for i in range(2)]
    return torch.stack(torch.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)


def timed(fn, repeat: int = 1):
    """The result and the best CPU time (``time.process_time``: on a shared machine, wall time measures the
    load)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return out, best


def ftle_part(n: int) -> None:
    trained = train_moons_classifier(hidden=16, epochs=400, seed=0)
    model, flow = trained.model, trained.model.flow()
    grid = grid_points(trained.X_test.double(), n)
    model.ftle(grid[:16])  # warm-up
    demo_map, demo_s = timed(lambda: model.ftle(grid, k=2), repeat=3)
    fine_map, fine_s = timed(lambda: nd.ftle(flow, grid, t=model.t, k=2, dt=0.01), repeat=3)
    bounds, proven_s = timed(lambda: nd.prove_ftle(flow, grid, t=model.t, k=2, order=12, tol=1.2e-10, float_dt=None))
    width = float(bounds.width.max())
    print(f"two-moons classifier, {n}x{n} grid, T = {model.t:g}, k = 2: {bounds.status.value}, "
          f"{int(bounds.proved.sum())}/{len(grid)} points proved")
    print(f"  proven (prove_ftle)          {proven_s:8.2f} s CPU   max width {width:.2e}")
    for name, fmap, secs in (("model.ftle (RK4, 10 steps)", demo_map, demo_s),
                             ("nd.ftle (RK4, dt = 0.01)", fine_map, fine_s)):
        e = fmap.exponents
        inside = ((e >= bounds.lower) & (e <= bounds.upper)).all(-1)
        dist = torch.maximum(bounds.lower - e, e - bounds.upper).clamp_min(0).max()
        print(f"  float {name:27s} {secs:8.3f} s CPU   proven/float = {proven_s / secs:7.1f}x   "
              f"inside the bounds: {int(inside.sum())}/{len(grid)}, largest distance {float(dist):.1e}")


def orbit_part(n: int = 50) -> None:
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / n**0.5
    system = nd.tanh_family(A)
    for h in sorted(nd.find_hopf_points(system, param="alpha", start=0.0), key=lambda h: h.value):
        side = 1.0 if h.l1 < 0 else -1.0  # where the orbit exists: above a supercritical point, below a subcritical
        try:
            orbit, float_s = timed(lambda h=h, side=side: nd.periodic_orbit(system, h, at=h.value + side * 0.005))
        except nd.NeurodynError as exc:  # the float orbit did not converge: the next Hopf point
            print(f"  Hopf point alpha* = {h.value:.6f} (l1 = {h.l1:.2g}): no float orbit ({str(exc)[:60]}...)")
            continue
        proof, proof_s = timed(lambda orbit=orbit: nd.prove_periodic_orbit(system, orbit))
        print(f"orbit of tanh_family(randn({n},{n})/sqrt({n})) 0.005 beyond alpha* = {h.value:.6f} (l1 = {h.l1:.3g}), "
              f"period {orbit.period:.6g}: float orbit {float_s:.2f} s, proof {proof_s:.2f} s (CPU)")
        print(f"  {proof.conclusion}, proved={proof.proved} {proof.reason}")
        print(f"  period in {proof.bounds.get('period')}; |mu_1| in {proof.bounds.get('|mu_1|')}, float "
              f"{float(orbit.multipliers[1:].abs().max()):.6f}")
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=64)
    parser.add_argument("--skip-orbit", action="store_true")
    parser.add_argument("--skip-ftle", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}")
    if not args.skip_ftle:
        ftle_part(args.grid)
    if not args.skip_orbit:
        orbit_part()


if __name__ == "__main__":
    main()
