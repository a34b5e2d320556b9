"""Benchmark: one 32-network sweep (digits read row by row; RNN and GRU, 32 units, 1000 Adam steps, gains 0.5-4,
two seeds) run three ways in the same process: a plain sequential loop (``sweep.run(..., workers=0)``: train,
score, spectrum and store write per network, in this process; the reference), and ``sweep.run`` on an embedded
Dask ``LocalCluster`` with 1 worker and with 2 workers (one process and one thread each). Each run writes a fresh
store. Reports wall time and throughput, the 2-over-1-worker scaling and Dask's overhead over the plain loop, with
and without the cluster's start-up. The loop runs first and last and its mean is the reference; each process, the
loop's included, first trains one tiny network to pay for imports and first calls.

    python bench/sweep.py            # --quick: 8 smaller networks
"""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

from neurodyn import sweep


def _warm() -> None:
    """One tiny network: imports (torch, scikit-learn, neurodyn) and first-call costs, paid once per process."""
    sweep.train_and_measure(sweep.SweepConfig(task="digits", hidden=4, iterations=2, spectrum_steps=8))


def _compute(result) -> float:
    return sum(r["train_seconds"] + r["lyapunov_seconds"] for r in result.rows)


def configs(quick: bool):
    if quick:
        return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 2.0, 3.0], task="digits", hidden=12, iterations=100)
    return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], seed=[0, 1],
                      task="digits", hidden=32, iterations=1000)


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(1)  # the plain loop trains with one thread, as each Dask worker does
    cfgs = configs(quick)
    print(f"# {platform.machine()}, torch {torch.__version__}, {len(cfgs)} networks")
    root = Path(tempfile.mkdtemp())
    try:
        _warm()
        t0 = time.perf_counter()
        plain = sweep.run(cfgs, root / "store0", workers=0, progress=False)  # a plain loop, writing the same store
        t_loop = time.perf_counter() - t0
        busy = {"loop": (t_loop, _compute(plain))}
        assert plain.failed == 0 and plain.executor == "sequential"
        from dask.distributed import Client

        from neurodyn.sweep.run import local_cluster

        times = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            with local_cluster(workers) as c, Client(c) as client:
                client.wait_for_workers(workers)
                client.run(_warm)  # part of starting a worker, as for the loop's process above
                t_start = time.perf_counter() - t0
                t1 = time.perf_counter()
                res = sweep.run(cfgs, root / f"store{workers}", client=client, progress=False)
                t_run = time.perf_counter() - t1
            assert res.failed == 0 and res.ran == len(cfgs)
            times[workers] = (t_start, t_run)
            busy[f"dask, {workers} worker(s)"] = (t_run * workers, _compute(res))
        # the loop again, after the clusters: the machine's speed drifts by several per cent over minutes
        t0 = time.perf_counter()
        assert sweep.run(cfgs, root / "store3", workers=0, progress=False).failed == 0
        t_again = time.perf_counter() - t0
        print(f"{'executor':>22} {'wall s':>8} {'networks/min':>13}")
        print(f"{'plain loop':>22} {t_loop:8.1f} {60 * len(cfgs) / t_loop:13.1f}   (first)")
        print(f"{'plain loop':>22} {t_again:8.1f} {60 * len(cfgs) / t_again:13.1f}   (last)")
        t_loop = 0.5 * (t_loop + t_again)
        for w, (t_start, t_run) in times.items():
            print(f"{f'dask, {w} worker(s)':>22} {t_start + t_run:8.1f} {60 * len(cfgs) / (t_start + t_run):13.1f}"
                  f"   (cluster start {t_start:.1f} s, sweep {t_run:.1f} s)")
        # drift-free: the share of worker time spent outside the networks' own training and spectra
        for name, (available, compute) in busy.items():
            print(f"{name:>22}: {100 * (1 - compute / available):5.1f}% of worker time outside the networks "
                  f"({available:.1f} s available, {compute:.1f} s training + spectra)")
        s1, s2 = times[1], times[2]
        print(f"scaling 2 vs 1 worker: {sum(s1) / sum(s2):.2f}x with start-up, {s1[1] / s2[1]:.2f}x without")
        print(f"Dask overhead over the plain loop (1 worker, against the mean of the two loops): "
              f"{100 * (sum(s1) / t_loop - 1):+.1f}% with start-up, "
              f"{100 * (s1[1] / t_loop - 1):+.1f}% without")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
