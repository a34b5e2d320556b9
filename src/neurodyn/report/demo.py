"""``neurodyn demo``: train small seeded models on embedded tasks, run every analysis on them, write a report.

Everything is computed here, from seeds, in a few minutes on two CPU cores: a GRU trained on the 3-bit
flip-flop task (its memories as stable fixed points, its Lyapunov spectrum), random tanh networks across
the order-to-chaos transition against mean-field theory, the bifurcations of -x + tanh(g W x) in the gain
with every Hopf point proven by interval arithmetic, the FTLE map of a two-moons neural-ODE classifier,
full-batch GD on digits at the edge of stability, and the Lorenz system against published values.

Each section has a budget (its expected share of the run); one progress bar shows the section running and
the time left, and the wall and CPU time of every section go into the report and ``timings.json``.

The demo's models are small (tens of units, hundreds of examples), so it runs torch on one intra-op thread:
with more, every small operation pays for waking and synchronising threads, and on a machine with other load
the waiting threads burn the CPU (measured with ``bench/demo.py`` on a shared 2-core machine: the whole demo
took 31 s of CPU on one thread and more than 300 s on two). The ``neurodyn demo`` command therefore sets one
thread for its process; :func:`run_demo` itself leaves torch's settings alone. (It cannot set and restore them:
with this torch build, any ``torch.set_num_threads`` call that leaves more than one thread makes later batched
LU solves fail with "Pivots given to lu_solve must all be greater or equal to 1".)
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import neurodyn as nd
from neurodyn.report.demo_delay import delay_section
from neurodyn.report.demo_iomaps import iomaps_section
from neurodyn.report.demo_networks import flip_flop_sections, lorenz_section, random_rnn_section
from neurodyn.report.demo_rigorous import rigorous_section
from neurodyn.report.demo_training import bifurcation_section, eos_section, ftle_section
from neurodyn.report.html import render, report_outputs, write_report


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the demo's runs; :meth:`quick` shrinks them (every section still runs)."""

    hidden: int = 24
    train_iterations: int = 400
    n_starts: int = 512
    gru_steps: int = 600
    rnn_n: int = 300
    rnn_steps: int = 1500
    lorenz_steps: int = 20_000
    ftle_grid: int = 150
    ftle_epochs: int = 400
    ftle_link_points: int | None = None  # all 1000 test inputs
    pgd_steps: int = 20
    radius_bisections: int = 12
    ftle_lyapunov_time: float = 50.0
    eos_steps: int = 1200
    eos_every: int = 25
    bif_n: int = 20
    bif_cycles: int = 20
    dde_taus: tuple = (0.1, 0.5, 1.0)
    dde_iterations: int = 80
    dde_lr: float = 0.05
    iomaps_epochs: int = 400
    iomaps_starts: int = 256
    annuli_epochs: int = 200
    rigorous_grid: int = 12
    rigorous_offset: float = 0.01
    rigorous_n: int = 20  # the gain family of the orbit when the bifurcation section's has no stable cycles
    seed: int = 0
    quick_mode: bool = False

    @classmethod
    def quick(cls, seed: int = 0) -> DemoSettings:
        return cls(hidden=12, train_iterations=150, n_starts=64, gru_steps=100, rnn_n=60, rnn_steps=200,
                   lorenz_steps=2000, ftle_grid=30, ftle_epochs=100, ftle_link_points=100, pgd_steps=5,
                   radius_bisections=6, ftle_lyapunov_time=10.0, eos_steps=60, eos_every=20, bif_n=8, bif_cycles=5,
                   dde_taus=(0.1, 1.0), dde_iterations=40, dde_lr=0.1, iomaps_epochs=100, iomaps_starts=64,
                   annuli_epochs=40, rigorous_grid=6, rigorous_n=10, seed=seed, quick_mode=True)


@dataclass
class DemoRun:
    """What the sections add to as they run: ``results`` (name -> result, one JSON each), the key numbers,
    the log, whether this is the quick run, and objects later sections reuse."""

    quick: bool
    log: object = print
    results: dict = field(default_factory=dict)
    key: list = field(default_factory=list)
    shared: dict = field(default_factory=dict)  # objects later sections reuse (e.g. the trained classifier)


@dataclass(frozen=True)
class SectionTiming:
    """Wall and CPU seconds of one section (``cpu``: the whole process, all threads; ``thread``: the calling
    thread only)."""

    name: str
    wall: float
    cpu: float
    thread: float


# (name, builder, share of the full run's time, share of the quick run's time): the measured shares of the CPU
# time (bench/demo.py) drive the progress bar and its ETA
SECTIONS = (
    ("flip-flop GRU", flip_flop_sections, 0.18, 0.26),
    ("order to chaos", random_rnn_section, 0.08, 0.06),
    ("bifurcations and proofs", bifurcation_section, 0.09, 0.05),
    ("FTLE of a neural ODE", ftle_section, 0.19, 0.15),
    ("edge of stability", eos_section, 0.08, 0.03),
    ("Lorenz check", lorenz_section, 0.11, 0.09),
    ("neural DDE memory", delay_section, 0.03, 0.06),
    ("input-output maps", iomaps_section, 0.06, 0.08),
    ("rigorous integration", rigorous_section, 0.09, 0.15),
)
DEMO_RESULTS = ("gru_fixed_points", "gru_lyapunov", "random_rnn", "bifurcation", "moons_ftle", "edge_of_stability",
                "lorenz_lyapunov", "lorenz_equilibria", "delay_memory", "iomaps", "rigorous")


def run_demo(out: Path, *, settings: DemoSettings | None = None, log=print, progress: bool = False,
             overwrite: bool = False, overwrite_flag: str = "overwrite=True") -> Path:
    """Run the demo and write ``out/report.html``, one JSON per result and ``timings.json`` (wall and CPU
    seconds per section); returns the report's path.

    The folder is checked first (writable; none of the report's files there unless ``overwrite``, where
    ``overwrite_flag`` is how the caller's user asks for it). Nothing is written until every analysis has
    finished, so a failed run leaves no partial report. ``progress`` shows one bar over all sections with the
    running section's name and the time left. Torch's thread settings are the caller's (see the module
    docstring).
    """
    s = settings or DemoSettings()
    outputs = report_outputs(out, (*DEMO_RESULTS, "timings"), overwrite=overwrite, flag=overwrite_flag)
    try:
        page, results, timings = _demo_page(s, log, progress)
    except BaseException:
        outputs.discard()
        raise
    report = write_report(outputs, page, results)
    outputs.write("timings.json", json.dumps([asdict(t) for t in timings], indent=1))
    log(f"wrote {report}")
    return report


def _demo_page(s: DemoSettings, log, progress: bool) -> tuple[str, dict, list[SectionTiming]]:
    run = DemoRun(quick=s.quick_mode, log=log)
    sections, timings = [], []
    total = sum(quick if s.quick_mode else full for _, _, full, quick in SECTIONS)  # the bar's shares sum to 1
    t0 = time.perf_counter()
    with _bar(progress, s.quick_mode) as step, warnings.catch_warnings():
        warnings.simplefilter("ignore", nd.ConvergenceWarning)  # each note is shown next to its number instead
        for name, build, full, quick in SECTIONS:
            step(name, None)
            wall, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
            made = build(s, run)
            sections.extend(made if isinstance(made, list) else [made])
            timings.append(SectionTiming(name, time.perf_counter() - wall, time.process_time() - cpu,
                                         time.thread_time() - thread))
            step(name, (quick if s.quick_mode else full) / total)
    elapsed = time.perf_counter() - t0
    settings_table = {f.name: getattr(s, f.name) for f in fields(s)}
    settings_table["wall time (s)"] = f"{elapsed:.1f}"
    for t in timings:
        settings_table[f"time of '{t.name}' (s)"] = f"{t.wall:.1f} wall, {t.cpu:.1f} CPU"
    banner = ("Quick mode: every section ran at small sizes (seconds instead of minutes). Checks that need the full "
              "sizes are marked 'not evaluated in quick mode' or relaxed to what the small run can deliver; run "
              "neurodyn demo without --quick for the real numbers.") if s.quick_mode else None
    title = "neurodyn demo report" + (" (quick mode)" if s.quick_mode else "")
    page = render(title, "Small seeded models trained here on embedded tasks, analysed as dynamical systems: fixed "
                  "points, Lyapunov spectra, chaos, bifurcations with proofs, FTLE maps, the edge of stability, "
                  "checked against theory and published values.", sections,
                  [k.row(s.quick_mode) for k in run.key], settings_table, banner=banner)
    log(f"demo finished in {elapsed:.0f} s")
    return page, run.results, timings


class _bar:
    """One progress bar over the demo's sections: ``step(name, None)`` when a section starts, ``step(name,
    share)`` when it ends (shares sum to 1)."""

    def __init__(self, enabled: bool, quick: bool):
        self.enabled = enabled
        self.progress = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("demo: {task.description:<24}"), BarColumn(), TextColumn("elapsed"),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=True)
            self.progress.__enter__()
            self.task = self.progress.add_task("starting", total=1.0)
        return self.step

    def step(self, name: str, share: float | None) -> None:
        if self.progress is None:
            return
        if share is None:
            self.progress.update(self.task, description=name)
        else:
            self.progress.advance(self.task, share)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)
        return False
