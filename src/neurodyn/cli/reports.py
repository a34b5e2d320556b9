"""``neurodyn demo`` and ``neurodyn report``: HTML reports."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from neurodyn.cli._common import (
    DEBUG_OPT,
    INPUT_STD_OPT,
    LSTM_STATE_OPT,
    OVERWRITE_OPT,
    PARAM_OPT,
    PROGRESS_OPT,
    SYSTEM_ARG,
    WEIGHTS_OPT,
    build_system,
    console,
    handled,
    parse_device,
    parse_params,
    plain,
    status,
)


def demo(
    out: Path = typer.Option(Path("neurodyn-demo"), help="folder for report.html and the JSON results"),
    quick: bool = typer.Option(False, help="small sizes (seconds instead of minutes; for trying things out)"),
    seed: int = typer.Option(0, help="seed of every model, start and input"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Train small seeded models, analyse them (fixed points, Lyapunov spectra, chaos, FTLE, edge of stability)
    and write a report."""
    import torch

    from neurodyn.report import DemoSettings, run_demo

    settings = DemoSettings.quick(seed) if quick else DemoSettings(seed=seed)
    # One intra-op thread for this command's process: the demo's tensors are small (see neurodyn.report.demo).
    # Not restored afterwards: a later set_num_threads(>1) breaks batched LU solves in this torch build.
    torch.set_num_threads(1)
    with handled(debug):
        report = run_demo(out, settings=settings, log=_log, progress=progress, overwrite=overwrite,
                          overwrite_flag="--overwrite")
    console.print(Text("report: ", style="bold") + plain(report.resolve()), soft_wrap=True)


def _log(msg: str) -> None:
    console.print(plain(f"· {msg}"), highlight=False)


def report(
    system: str = SYSTEM_ARG,
    weights: Path = WEIGHTS_OPT,
    fixed_points: bool = typer.Option(True, "--fixed-points/--no-fixed-points", help="fixed points / equilibria"),
    lyapunov: bool = typer.Option(True, "--lyapunov/--no-lyapunov", help="Lyapunov spectrum"),
    steps: int = typer.Option(1000, help="measured steps of the Lyapunov spectrum"),
    n_starts: int = typer.Option(256, help="starts of the fixed-point search"),
    input_std: float = INPUT_STD_OPT,
    param: list[str] = PARAM_OPT,
    lstm_state: str = LSTM_STATE_OPT,
    device: str = typer.Option("cpu", help="device to analyse on, e.g. 'cpu' or 'cuda'"),
    seed: int = typer.Option(0, help="seed of every start and input"),
    out: Path = typer.Option(Path("neurodyn-report"), help="folder for report.html and the JSON results"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """The HTML report (fixed points, Lyapunov spectrum) for a reference system or a user's model."""
    from neurodyn.report import model_report

    with handled(debug):
        dev = parse_device(device)
        sys_obj, _ = build_system(system, weights, parse_params(param), lstm_state, device=dev)
        analyses = [name for name, on in (("fixed-points", fixed_points), ("lyapunov", lyapunov)) if on]
        with status(progress, "analysing"):
            path = model_report(sys_obj, out, analyses=analyses, seed=seed, input_std=input_std, steps=steps,
                                n_starts=n_starts, log=_log, overwrite=overwrite, overwrite_flag="--overwrite")
    console.print(Text("report: ", style="bold") + plain(path.resolve()), soft_wrap=True)
