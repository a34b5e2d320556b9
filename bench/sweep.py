"""Benchmark: one 32-network sweep (digits read row by row; RNN and GRU, 32 units, 1000 Adam steps, gains 0.5-4,
two seeds) run three ways in the same process: a plain sequential loop (``sweep.run(..., workers=0)``: train,
score, spectrum and store write per network, in this process; the reference), and ``sweep.run`` on an embedded
Dask ``LocalCluster`` with 1 worker and with 2 workers (one process and one thread each).

The three take turns in rounds (4; 2 with --quick), each round running its share of the networks on each
executor (a fresh cluster per round), so that the machine's drift over minutes falls on all three alike; the
sums over the rounds are the sweep's times, with the mean start-up counted once. Each process, the loop's
included, first trains one tiny network to pay for imports and first calls; for the loop, the start-up is the
time a fresh Python process takes to do that (what a worker's start includes), measured in a subprocess each
round. With start-up, the loop counts one process start and Dask one process start plus its cluster's.
Reports wall time and throughput, the 2-over-1-worker scaling and Dask's overhead over the plain loop, with and
without the start-up.

    python bench/sweep.py            # --quick: 8 smaller networks
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from neurodyn import sweep


def _warm() -> None:
    """One tiny network: imports (torch, scikit-learn, neurodyn) and first-call costs, paid once per process."""
    exec(WARM)


def _compute(result) -> float:
    return sum(r["train_seconds"] + r["lyapunov_seconds"] for r in result.rows)


def configs(quick: bool):
    if quick:
        return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 2.0, 3.0], task="digits", hidden=12, iterations=100)
    return sweep.grid(cell=["rnn", "gru"], gain=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], seed=[0, 1],
                      task="digits", hidden=32, iterations=1000)


WARM = ("from neurodyn import sweep; "
        "sweep.train_and_measure(sweep.SweepConfig(task='digits', hidden=4, iterations=2, spectrum_steps=8))")


def _block(cfgs, store, workers: int):
    """``(start-up s, run s, result)`` of ``cfgs`` in a plain loop (``workers = 0``) or on a fresh local cluster.
    The loop's start-up is what a worker's includes: a new Python process that imports and warms up (timed in a
    subprocess; the loop itself runs in this process, already warm)."""
    if workers == 0:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", WARM], check=True, capture_output=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})  # as a worker starts
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = sweep.run(cfgs, store, workers=0, progress=False)
        return t_start, time.perf_counter() - t0, res
    from dask.distributed import Client

    from neurodyn.sweep.run import local_cluster

    t0 = time.perf_counter()
    with local_cluster(workers) as c, Client(c) as client:
        client.wait_for_workers(workers)
        client.run(_warm)  # part of starting a worker, as for the loop's process
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = sweep.run(cfgs, store, client=client, progress=False)
        return t_start, time.perf_counter() - t1, res


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(1)  # the plain loop trains with one thread, as each Dask worker does
    cfgs = configs(quick)
    rounds = 2 if quick else 4
    print(f"# {platform.machine()}, torch {torch.__version__}, {len(cfgs)} networks in {rounds} interleaved rounds")
    root = Path(tempfile.mkdtemp())
    try:
        _warm()
        # the machine's speed drifts by up to a quarter over minutes: each executor runs the same share of the
        # sweep (every rounds-th network) in turn, round after round, so drift falls on all of them alike
        totals = {w: [0.0, 0.0, 0.0, 0.0] for w in (0, 1, 2)}  # start-up, run, worker time available, compute
        for r in range(rounds):
            for w in (0, 1, 2):
                t_start, t_run, res = _block(cfgs[r::rounds], root / f"store{w}-{r}", w)
                assert res.failed == 0 and res.ran == len(cfgs[r::rounds])
                tot = totals[w]
                tot[0] += t_start / rounds  # one cluster start per sweep: the mean over the rounds
                tot[1] += t_run
                tot[2] += t_run * max(w, 1)
                tot[3] += _compute(res)
        names = {0: "plain loop", 1: "dask, 1 worker", 2: "dask, 2 workers"}
        print(f"{'executor':>16} {'wall s':>8} {'networks/min':>13}")
        for w, (t_start, t_run, _, _) in totals.items():
            what = "cluster start" if w else "process start"
            print(f"{names[w]:>16} {t_start + t_run:8.1f} {60 * len(cfgs) / (t_start + t_run):13.1f}"
                  f"   ({what} {t_start:.1f} s, sweep {t_run:.1f} s)")
        # where the time goes: the share of worker time spent outside the networks' own training and spectra
        for w, (_, _, available, compute) in totals.items():
            print(f"{names[w]:>16}: {100 * (1 - compute / available):5.1f}% of worker time outside the networks "
                  f"({available:.1f} s available, {compute:.1f} s training + spectra)")
        loop, s1, s2 = totals[0], totals[1], totals[2]
        print(f"scaling 2 vs 1 worker: {sum(s1[:2]) / sum(s2[:2]):.2f}x with start-up, {s1[1] / s2[1]:.2f}x without")
        # with start-up: a script running the loop starts one process; a sweep on Dask starts that process and
        # then the cluster
        with_start = (loop[0] + sum(s1[:2])) / sum(loop[:2]) - 1
        print(f"Dask overhead over the plain loop (1 worker): {100 * with_start:+.1f}% with start-up, "
              f"{100 * (s1[1] / loop[1] - 1):+.1f}% without; the networks' own compute: "
              f"{100 * (s1[3] / loop[3] - 1):+.1f}%")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
