"""Benchmark: full Lyapunov spectrum of GRUs and LSTMs, neurodyn's fast path against two references.

Reference 1 ("autograd") is what generic RNN Lyapunov code does: at every step, the Jacobian of PyTorch's
own cell step by autodiff, one row per backward pass, then ``Q <- qr(J @ Q)``. Reference 2 ("published")
is the algorithm of the AeLLE authors' ``calc_LEs_an`` (Vogt et al.), corrected to push ``J Q`` (the code
multiplies by ``J^T``): the cell's Jacobian written analytically as dense matrices (each gate derivative a
``diag_embed`` matrix multiplied into the weights), ``Z = J Q``, a QR every step with the signs of ``R``'s
diagonal moved into ``Q``, the diagonals stored for every step, no autograd graph kept. It is written here
for the full state (LSTM: ``(h, c)``, as neurodyn measures it). All run in float64 on the same modules,
initial states and input sequences (a batch of 16), in this one process. The references are timed on the
first ``--ref-steps`` steps; ratios compare time per step. They agree with neurodyn on the volume growth
rate (the sum of the exponents) over the shared steps, printed as a check.

Our path is timed twice: re-orthonormalising every step (``qr_every=1``, the reference's schedule) and
with ``qr_every="auto"`` (the default: the longest interval whose predicted rounding loss stays below 1e-4 per
step); the largest difference between the two spectra is printed.

Throughput (for ``qr_every=1``): the floating-point work per step is counted as the structured ``J @ Q``
(GRU: ``2 B N^3``; LSTM, whose ``dc/dc`` and ``dh/dc`` blocks are diagonal: ``8 B N^3``) plus
``(7/3) B n^3`` for the re-orthonormalisation of the ``n x n`` frame (Householder ``geqrf``, ``4/3 n^3``, and
the triangular solve ``Q = A R^-1``, ``n^3``), and compared with this
machine's dense float64 matmul peak (2048 x 2048), measured in the same run.

    python bench/lyapunov.py                # N = 64, 128, 256
    python bench/lyapunov.py --sizes 128    # one size
    python bench/lyapunov.py --threads 1 2  # each thread count in its own process (OMP_NUM_THREADS)

Thread counts other than one are set through ``OMP_NUM_THREADS`` in a fresh process, never by
``torch.set_num_threads`` inside one (in some torch builds that breaks later batched LU solves).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import subprocess
import sys
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


def _gates(module: nn.Module, x: torch.Tensor, u: torch.Tensor):
    """Pre-activations ``W u + U h + b`` of a one-layer cell, its weights ``U`` and hidden size."""
    N = module.hidden_size
    W, U = module.weight_ih_l0.detach().double(), module.weight_hh_l0.detach().double()
    bi, bh = module.bias_ih_l0.detach().double(), module.bias_hh_l0.detach().double()
    return u @ W.T + bi, x[:, :N] @ U.T + bh, U, N


def published_jacobian(module: nn.Module, x: torch.Tensor, u: torch.Tensor):
    """``(next state, dense J)`` as the published analytic code forms it (dense ``diag_embed`` products)."""
    gi, gh, U, N = _gates(module, x, u)
    D, sig = torch.diag_embed, torch.sigmoid
    h = x[:, :N]
    if isinstance(module, nn.GRU):
        r, z = sig(gi[:, :N] + gh[:, :N]), sig(gi[:, N:2 * N] + gh[:, N:2 * N])
        n = torch.tanh(gi[:, 2 * N:] + r * gh[:, 2 * N:])
        dn = D(1 - n * n) @ (D(r * (1 - r)) @ D(gh[:, 2 * N:]) @ U[:N] + D(r) @ U[2 * N:])
        J = D(1 - z) @ dn + D(h - n) @ D(z * (1 - z)) @ U[N:2 * N] + D(z)
        return (1 - z) * n + z * h, J
    c = x[:, N:]
    y = gi + gh
    i, f, g, o = sig(y[:, :N]), sig(y[:, N:2 * N]), torch.tanh(y[:, 2 * N:3 * N]), sig(y[:, 3 * N:])
    c1 = f * c + i * g
    t = torch.tanh(c1)
    dc_dh = (D(c * f * (1 - f)) @ U[N:2 * N] + D(g * i * (1 - i)) @ U[:N] + D(i * (1 - g * g)) @ U[2 * N:3 * N])
    dh_dh = D(o * (1 - o) * t) @ U[3 * N:] + D(o * (1 - t * t)) @ dc_dh
    dh_dc = D(o * (1 - t * t)) @ D(f)
    J = torch.cat((torch.cat((dh_dh, dh_dc), -1), torch.cat((dc_dh, D(f)), -1)), -2)
    return torch.cat((o * t, c1), -1), J


def published_spectrum(module: nn.Module, x0: torch.Tensor, inputs: torch.Tensor, steps: int):
    """The corrected published algorithm; returns (sum of exponents per sample, seconds)."""
    x, n = x0.clone(), x0.shape[1]
    Q = torch.eye(n, dtype=torch.float64).expand(x.shape[0], n, n).contiguous()
    rvals = torch.zeros(x.shape[0], steps, n, dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.no_grad():
        for t in range(steps):
            x_next, J = published_jacobian(module, x, inputs[:, t])
            q, r = torch.linalg.qr(J @ Q)
            s = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
            Q, rvals[:, t] = q * s.unsqueeze(-2), torch.diagonal(r, dim1=-2, dim2=-1) * s
            x = x_next
    return torch.log(rvals).sum((1, 2)) / steps, time.perf_counter() - t0


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
    pub_sum, pub_time = published_spectrum(module, x0, inputs, ref_steps)
    pub = pub_time / ref_steps
    push, qr = (2 if cell == "GRU" else 8) * N**3 * B, 7 / 3 * n**3 * B
    flops = push + qr
    ours, auto = timed[1, "s"], timed["auto", "s"]
    auto_flops = push + qr * timed["auto"].settings["qr_events"] / steps
    return dict(cell=cell, N=N, n=n, ours_ms=1e3 * ours, auto_ms=1e3 * auto, ref_ms=1e3 * ref,
                speedup=ref / ours, speedup_auto=ref / auto, pub_ms=1e3 * pub, vs_pub=pub / ours,
                vs_pub_auto=pub / auto, pub_sum_diff=float((short.per_sample.sum(1) - pub_sum).abs().max()),
                gflops=flops / ours / 1e9, frac=flops / ours / 1e9 / peak,
                auto_gflops=auto_flops / auto / 1e9, auto_frac=auto_flops / auto / 1e9 / peak,
                qr_per_step=timed["auto"].settings["qr_events"] / steps,
                auto_diff=float((timed["auto"].exponents - timed[1].exponents).abs().max()),
                sum_diff=float((short.per_sample.sum(1) - ref_sum).abs().max()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--ref-steps", type=int, default=30)
    p.add_argument("--threads", type=int, nargs="+", default=None,
                   help="run the table once per thread count, each in a fresh process with OMP_NUM_THREADS set")
    a = p.parse_args()
    if a.threads:
        for n in a.threads:
            argv = [sys.executable, __file__, "--sizes", *map(str, a.sizes), "--steps", str(a.steps),
                    "--ref-steps", str(a.ref_steps)]
            subprocess.run(argv, env={**os.environ, "OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n)}, check=True)
            print()
        return
    warnings.simplefilter("ignore", nd.ConvergenceWarning)  # short reference-length runs are expected to drift
    peak = measured_peak_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print(f"measured dense float64 matmul peak: {peak:.1f} GFLOP/s; batch {B}, {a.steps} steps "
          f"(references timed on {a.ref_steps})\n")
    head = (f"{'cell':5} {'N':>4} {'n':>4} {'autograd':>9} {'published':>9} | {'q=1 ms':>7} {'x autog':>7} "
            f"{'x publ':>6} {'of peak':>7} | {'auto ms':>7} {'x autog':>7} {'x publ':>6} {'QR/step':>7} "
            f"{'|Δλ| auto':>9} | {'|Δ sum| autog':>13} {'publ':>7}")
    print(head)
    print("-" * len(head))
    for cell in ("GRU", "LSTM"):
        for N in a.sizes:
            r = run(cell, N, a.steps, a.ref_steps, peak)
            print(f"{r['cell']:5} {r['N']:>4} {r['n']:>4} {r['ref_ms']:>9.2f} {r['pub_ms']:>9.2f} | "
                  f"{r['ours_ms']:>7.2f} {r['speedup']:>6.1f}x {r['vs_pub']:>5.1f}x {r['frac']:>7.0%} | "
                  f"{r['auto_ms']:>7.2f} {r['speedup_auto']:>6.1f}x {r['vs_pub_auto']:>5.1f}x {r['qr_per_step']:>7.2f} "
                  f"{r['auto_diff']:>9.1e} | {r['sum_diff']:>13.1e} {r['pub_sum_diff']:>7.1e}", flush=True)


if __name__ == "__main__":
    main()
