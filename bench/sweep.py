"""Benchmark: one 32-network sweep (digits read row by row; RNN and GRU, 24 units, gains 0.5-4, two seeds) run three
ways in the same process: a plain sequential loop over ``train_and_measure`` (the reference), ``sweep.run`` on
an embedded Dask ``LocalCluster`` with 1 worker, and with 2 workers (one process and one thread each). Each run
writes to a fresh store. Reports wall time and throughput, the 2-over-1-worker scaling and Dask's overhead over
the plain loop, with and without the cluster's start-up.

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
    import neurodyn.sweep.worker  # noqa: F401


def configs(quick: bool):
    if quick:
        return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 2.0, 3.0], task="digits", hidden=12, iterations=100)
    return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], seed=[0, 1],
                      task="digits", hidden=24, iterations=300)


def main() -> None:
    quick = "--quick" in sys.argv
    cfgs = configs(quick)
    print(f"# {platform.machine()}, torch {torch.__version__}, {len(cfgs)} networks")
    root = Path(tempfile.mkdtemp())
    try:
        t0 = time.perf_counter()
        rows = [sweep.train_and_measure(c) for c in cfgs]
        t_loop = time.perf_counter() - t0
        assert all(r["status"] == "ok" for r in rows)
        from dask.distributed import Client, LocalCluster

        times = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
                    Client(c) as client:
                client.wait_for_workers(workers)
                client.run(_warm)  # each worker imports torch and neurodyn once: part of starting it
                t_start = time.perf_counter() - t0
                t1 = time.perf_counter()
                res = sweep.run(cfgs, root / f"store{workers}", client=client, progress=False)
                t_run = time.perf_counter() - t1
            assert res.failed == 0 and res.ran == len(cfgs)
            times[workers] = (t_start, t_run)
        print(f"{'executor':>22} {'wall s':>8} {'networks/min':>13}")
        print(f"{'plain loop':>22} {t_loop:8.1f} {60 * len(cfgs) / t_loop:13.1f}")
        for w, (t_start, t_run) in times.items():
            print(f"{f'dask, {w} worker(s)':>22} {t_start + t_run:8.1f} {60 * len(cfgs) / (t_start + t_run):13.1f}"
                  f"   (cluster start {t_start:.1f} s, sweep {t_run:.1f} s)")
        s1, s2 = times[1], times[2]
        print(f"scaling 2 vs 1 worker: {sum(s1) / sum(s2):.2f}x with start-up, {s1[1] / s2[1]:.2f}x without")
        print(f"Dask overhead over the plain loop (1 worker): {100 * (sum(s1) / t_loop - 1):+.1f}% with start-up, "
              f"{100 * (s1[1] / t_loop - 1):+.1f}% without")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
