"""Benchmark: full Lyapunov spectrum of GRUs and LSTMs, neurodyn's fast path against the reference.

The reference is what published RNN Lyapunov code does: at every step, the Jacobian of PyTorch's own
cell step by autodiff, one row per backward pass, then ``Q <- qr(J @ Q)``. Both run in float64 on the
same modules, initial states and input sequences (a batch of 16), in this one process. The reference is
timed on the first ``--ref-steps`` steps (it is slow); ratios compare time per step. The two agree on
the volume growth rate (the sum of the exponents) over the shared steps, printed as a check.

Our path is timed twice: re-orthonormalising every step (``qr_every=1``, the reference's schedule) and
with ``qr_every="auto"`` (the interval adapts so the frame's condition number stays below 1e6); the
largest difference between the two spectra is printed.

Throughput (for ``qr_every=1``): the floating-point work per step is counted as the structured ``J @ Q``
(GRU: ``2 B N^3``; LSTM, whose ``dc/dc`` and ``dh/dc`` blocks are diagonal: ``8 B N^3``) plus
``(8/3) B n^3`` for the Householder QR (geqrf + orgqr) of the ``n x n`` frame, and compared with this
machine's dense float64 matmul peak (2048 x 2048), measured in the same run.

    python bench/lyapunov.py                # N = 64, 128, 256
    python bench/lyapunov.py --sizes 128    # one size
"""

from __future__ import annotations

import argparse
import copy
import platform
import time
import warnings

import torch
from torch import nn

import neurodyn as nd

B = 16


def measured_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    a = torch.randn(n, n, dtype=torch.float64)
    b = torch.randn(n, n, dtype=torch.float64)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def reference_spectrum(module: nn.Module, x0: torch.Tensor, inputs: torch.Tensor, steps: int):
    """Per-step autodiff Jacobian (one row per backward pass) and QR every step; returns (sum of
    exponents per sample, seconds)."""
    m = copy.deepcopy(module).double()
    n = x0.shape[1]

    def step(x, u):
        _, hidden = m(u.unsqueeze(1), nd.systems.state_to_torch(m, x))
        return nd.systems.state_from_torch(m, hidden)

    x = x0.clone()
    Q = torch.eye(n, dtype=torch.float64).expand(x.shape[0], n, n).contiguous()
    acc = torch.zeros(x.shape[0], n, dtype=torch.float64)
    t0 = time.perf_counter()
    for t in range(steps):
        xr = x.detach().requires_grad_(True)
        y = step(xr, inputs[:, t])
        rows = [torch.autograd.grad(y[:, i].sum(), xr, retain_graph=i < n - 1)[0] for i in range(n)]
        J = torch.stack(rows, dim=1)
        Q, R = torch.linalg.qr(J @ Q)
        acc += torch.log(torch.diagonal(R, dim1=-2, dim2=-1).abs())
        x = y.detach()
    return acc.sum(1) / steps, time.perf_counter() - t0


def run(cell: str, N: int, steps: int, ref_steps: int, peak: float) -> dict:
    torch.manual_seed(0)
    module = (nn.GRU if cell == "GRU" else nn.LSTM)(8, N, batch_first=True)
    system = nd.from_torch(module)
    gen = torch.Generator().manual_seed(1)
    inputs = torch.randn(B, steps, 8, generator=gen, dtype=torch.float64)
    x0 = 0.1 * torch.randn(B, system.dim, generator=gen, dtype=torch.float64)
    n = system.dim

    nd.lyapunov_spectrum(system, x0=x0, inputs=inputs[:, :5], strict=False)  # warm-up (too short to judge: no matter)
    timed = {}
    for q in (1, "auto"):
        t = time.perf_counter()
        timed[q] = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs, qr_every=q)
        timed[q, "s"] = (time.perf_counter() - t) / steps
    short = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs[:, :ref_steps], strict=False)  # only its sum is used
    ref_sum, ref_time = reference_spectrum(module, x0, inputs, ref_steps)
    ref = ref_time / ref_steps
    push, qr = (2 if cell == "GRU" else 8) * N**3 * B, 8 / 3 * n**3 * B
    flops = push + qr
    ours, auto = timed[1, "s"], timed["auto", "s"]
    auto_flops = push + qr * timed["auto"].settings["qr_events"] / steps
    return dict(cell=cell, N=N, n=n, ours_ms=1e3 * ours, auto_ms=1e3 * auto, ref_ms=1e3 * ref,
                speedup=ref / ours, speedup_auto=ref / auto, gflops=flops / ours / 1e9, frac=flops / ours / 1e9 / peak,
                auto_gflops=auto_flops / auto / 1e9, auto_frac=auto_flops / auto / 1e9 / peak,
                qr_per_step=timed["auto"].settings["qr_events"] / steps,
                auto_diff=float((timed["auto"].exponents - timed[1].exponents).abs().max()),
                sum_diff=float((short.per_sample.sum(1) - ref_sum).abs().max()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--ref-steps", type=int, default=30)
    a = p.parse_args()
    warnings.simplefilter("ignore", nd.ConvergenceWarning)  # short reference-length runs are expected to drift
    peak = measured_peak_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print(f"measured dense float64 matmul peak: {peak:.1f} GFLOP/s; batch {B}, {a.steps} steps "
          f"(reference timed on {a.ref_steps})\n")
    head = (f"{'cell':5} {'N':>4} {'n':>4} {'ref ms/step':>12} | {'q=1 ms':>7} {'speed-up':>8} {'GFLOP/s':>8} "
            f"{'of peak':>7} | {'auto ms':>7} {'speed-up':>8} {'GFLOP/s':>8} {'of peak':>7} {'QR/step':>7} "
            f"{'|Δλ| auto':>9} | {'|Δ sum| ref':>11}")
    print(head)
    print("-" * len(head))
    for cell in ("GRU", "LSTM"):
        for N in a.sizes:
            r = run(cell, N, a.steps, a.ref_steps, peak)
            print(f"{r['cell']:5} {r['N']:>4} {r['n']:>4} {r['ref_ms']:>12.2f} | {r['ours_ms']:>7.2f} "
                  f"{r['speedup']:>7.1f}x {r['gflops']:>8.2f} {r['frac']:>7.0%} | {r['auto_ms']:>7.2f} "
                  f"{r['speedup_auto']:>7.1f}x {r['auto_gflops']:>8.2f} {r['auto_frac']:>7.0%} "
                  f"{r['qr_per_step']:>7.2f} {r['auto_diff']:>9.1e} | {r['sum_diff']:>11.1e}", flush=True)


if __name__ == "__main__":
    main()
