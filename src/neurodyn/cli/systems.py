"""``neurodyn lyapunov`` and ``neurodyn fixed-points``: analyses of a reference system or a user's model."""

from __future__ import annotations

from pathlib import Path

import torch
import typer
from rich.table import Table
from rich.text import Text

import neurodyn
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
    driving_inputs,
    handled,
    number_column,
    outputs_for,
    parse_params,
    show,
    status_text,
    write_result,
    wrote,
)
from neurodyn.cli.delay import delay_system
from neurodyn.errors import InvalidInputError


def lyapunov(
    system: str = SYSTEM_ARG,
    weights: Path = WEIGHTS_OPT,
    steps: int = typer.Option(None, help="measured steps (default depends on the system)"),
    transient: int = typer.Option(None, help="state transient steps"),
    tangent_transient: int = typer.Option(None, help="frame-alignment steps (growth discarded)"),
    k: int = typer.Option(None, help="number of leading exponents (default all; 4 for a delay system)"),
    dt: float = typer.Option(None, help="time step for flows (time units)"),
    batch: int = typer.Option(None, help="trajectories / input sequences to average over"),
    qr_every: str = typer.Option(None, help="steps between re-orthonormalisations, or 'auto' (default; lorenz: 5): "
                                 "the longest interval whose predicted rounding loss stays below 1e-4, measured as "
                                 "the run goes"),
    input_std: float = INPUT_STD_OPT,
    param: list[str] = PARAM_OPT,
    lstm_state: str = LSTM_STATE_OPT,
    base: str = typer.Option("e", help="'e' (nats) or '2' (bits)"),
    seed: int = typer.Option(0, help="seed of initial states, frame and inputs"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for lyapunov.json and lyapunov.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Lyapunov spectrum (QR method) of a reference system or a model; writes JSON and a PNG plot."""
    outputs = outputs_for(out, "lyapunov", overwrite=overwrite)
    with handled(debug, outputs):
        outputs.check()
        sys_obj, run = delay_system(system, weights, parse_params(param)) or build_system(
            system, weights, parse_params(param), lstm_state)
        if k is None and sys_obj.kind == "delay":
            k = 4  # the discretised history has hundreds of dimensions: the leading 4 exponents by default
        if qr_every is not None and qr_every != "auto":
            try:
                qr_every = int(qr_every)
            except ValueError:
                raise InvalidInputError(f"--qr-every {qr_every!r} must be a whole number of steps or 'auto'") from None
        for name, value in dict(steps=steps, transient=transient, tangent_transient=tangent_transient, dt=dt,
                                batch=batch, qr_every=qr_every).items():
            if value is not None:
                run[name] = value
        if isinstance(sys_obj, neurodyn.Flow):
            run.setdefault("dt", 0.01)
        if sys_obj.input_dim:
            total = run["transient"] + run.get("tangent_transient", 0) + run["steps"]
            run["inputs"] = driving_inputs(sys_obj, run.pop("batch"), total, input_std, seed)
            run["layout"] = "batch_first"  # driving_inputs lays them out (batch, T, m), whatever the module's own
        res = neurodyn.lyapunov_spectrum(sys_obj, k=k, seed=seed, base=2 if base == "2" else base,
                                         progress=progress, **run)
        def draw(axes):
            res.plot(ax=axes[0], kind="convergence" if len(res.exponents) <= 10 else "spectrum")
            res.plot(ax=axes[1], kind="spectrum")

        write_result(outputs, "lyapunov", res, draw, ncols=2, size=(11, 4))
    table = Table(title=f"Lyapunov spectrum of {res.system}")
    number_column(table, "i")
    number_column(table, f"λ_i ({res.units})")
    number_column(table, "std. error")
    shown = min(len(res.exponents), 12)
    for i in range(shown):
        table.add_row(str(i + 1), f"{res.exponents[i]:.5f}", f"{res.stderr[i]:.1e}")
    if len(res.exponents) > shown:
        table.add_row("...", f"({len(res.exponents) - shown} more in the JSON)", "")
    show(table)
    console.print(Text(f"sum {res.sum:.5f}  Kaplan–Yorke dimension {res.kaplan_yorke_dimension():.3f}  status ")
                  + status_text(res.status))
    wrote(outputs, "lyapunov.json", "lyapunov.png")


def fixed_points(
    system: str = SYSTEM_ARG,
    weights: Path = WEIGHTS_OPT,
    n_starts: int = typer.Option(256, help="number of starts"),
    starts: str = typer.Option("mixed", help="'trajectories' (states the system visits), 'box' (uniform in their "
                                             "bounding box) or 'mixed' (both, and points inside the hull)"),
    tol: float = typer.Option(1e-10, help="residual |F(x)| below which a point is a fixed point"),
    slow_q: float = typer.Option(1e-6, help="largest q = |F|^2/2 of a reported slow point"),
    u_star: str = typer.Option(None, help="constant input of a recurrent model, comma-separated (default zeros)"),
    input_std: float = INPUT_STD_OPT,
    param: list[str] = PARAM_OPT,
    lstm_state: str = LSTM_STATE_OPT,
    seed: int = typer.Option(0, help="seed of the starts and inputs"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for fixed_points.json and fixed_points.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Fixed points / equilibria and slow points with their stability; writes JSON and a PNG plot."""
    outputs = outputs_for(out, "fixed_points", overwrite=overwrite)
    with handled(debug, outputs):
        outputs.check()
        sys_obj, _ = build_system(system, weights, parse_params(param), lstm_state)
        kwargs = {}
        if sys_obj.input_dim:
            kwargs["inputs"] = driving_inputs(sys_obj, 32, 200, input_std, seed)
            if u_star is not None:
                try:
                    kwargs["u_star"] = torch.tensor([float(v) for v in u_star.split(",")], dtype=torch.float64)
                except ValueError:
                    raise InvalidInputError(f"--u-star {u_star!r} must be comma-separated numbers") from None
        elif u_star is not None:
            raise InvalidInputError(f"--u-star applies to recurrent models; {system} takes no input")
        res = neurodyn.find_fixed_points(sys_obj, n_starts=n_starts, starts=starts, tol=tol, slow_q=slow_q,
                                         seed=seed, progress=progress, **kwargs)
        write_result(outputs, "fixed_points", res, lambda ax: res.plot(ax=ax), size=(7, 5.5))
    from neurodyn.report.html import FIXED_POINT_HEADER, fixed_point_rows

    what = "fixed points" if res.kind == "map" else "equilibria"
    table = Table(title=f"{len(res.fixed)} {what} of {res.system}")
    for col in FIXED_POINT_HEADER[res.kind]:
        if col == "stability":
            table.add_column(col)
        else:
            number_column(table, col)
    for row in fixed_point_rows(res, limit=20):
        table.add_row(*(str(c) for c in row))
    if len(res.fixed) > 20:
        table.add_row("...", f"({len(res.fixed) - 20} more in the JSON)", "", "", "", "")
    show(table)
    console.print(f"{len(res.slow)} slow point(s) with q <= {slow_q:g}; starts: "
                  + ", ".join(f"{k} {v}" for k, v in res.starts.items() if v))
    console.print(Text("search status ") + status_text(res.status))
    wrote(outputs, "fixed_points.json", "fixed_points.png")
