"""Time ``neurodyn demo`` section by section: wall time, process CPU time (all threads) and the main thread's CPU
time, against the budgets (full run under 180 s of wall time on two idle cores, ``--quick`` under 30 s).

    python bench/demo.py --quick            # the quick run
    python bench/demo.py                    # the full run (a few minutes)
    python bench/demo.py --threads 2        # torch's intra-op threads during the run (the demo's default: 1)

Run it on an otherwise idle machine for wall times that mean anything: on a shared machine the wall time grows
with the other load while the CPU times stay close to what the run needs. The table goes to stdout; the
``timings.json`` the demo writes holds the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

BUDGET = {False: 180.0, True: 30.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t_start, c_start = time.perf_counter(), time.process_time()
    import torch  # its import time is part of the run

    torch.set_num_threads(args.threads)  # as the neurodyn demo command does (one thread by default)

    from neurodyn.report import DemoSettings, run_demo

    settings = DemoSettings.quick(args.seed) if args.quick else DemoSettings(seed=args.seed)
    import_wall, import_cpu = time.perf_counter() - t_start, time.process_time() - c_start
    with tempfile.TemporaryDirectory() as tmp:
        run_demo(Path(tmp) / "demo", settings=settings, log=lambda msg: None)
        timings = json.loads((Path(tmp) / "demo" / "timings.json").read_text())
    total_wall, total_cpu = time.perf_counter() - t_start, time.process_time() - c_start
    print(f"neurodyn demo{' --quick' if args.quick else ''}: torch threads {args.threads}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"| {'section':<26} | wall (s) | CPU (s) | thread CPU (s) |")
    print(f"| {'-' * 26} | -------: | ------: | -------------: |")
    print(f"| {'imports':<26} | {import_wall:8.1f} | {import_cpu:7.1f} | {'':>14} |")
    for t in timings:
        print(f"| {t['name']:<26} | {t['wall']:8.1f} | {t['cpu']:7.1f} | {t['thread']:14.1f} |")
    print(f"| {'total (incl. writing)':<26} | {total_wall:8.1f} | {total_cpu:7.1f} | {'':>14} |")
    budget = BUDGET[args.quick]
    print(f"budget {budget:.0f} s of wall time: {'met' if total_wall <= budget else 'NOT met'} "
          f"({total_wall:.1f} s wall, {total_cpu:.1f} s CPU)")


if __name__ == "__main__":
    main()
