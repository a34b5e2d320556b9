"""``neurodyn attractors``: the attractors of a flow from many starts, their basins and kinds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

import neurodyn
from neurodyn.cli._common import (
    DEBUG_OPT,
    OVERWRITE_OPT,
    PARAM_OPT,
    PROGRESS_OPT,
    WEIGHTS_OPT,
    build_system,
    console,
    handled,
    outputs_for,
    parse_params,
    show,
    status_text,
    write_result,
    wrote,
)
from neurodyn.errors import InvalidInputError

FLOW_ARG = typer.Argument(..., help="reference flow (lorenz) or a neural-ODE model 'package.module:factory' "
                                    "(an nn.Module with forward(t, x))")


def _box(text: str | None):
    if text is None:
        return None
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInputError(f"--box {text!r} must be two comma-separated numbers LOW,HIGH, e.g. "
                                "--box=-3,3") from None
    return (low, high)


def attractors(
    system: str = FLOW_ARG,
    weights: Path = WEIGHTS_OPT,
    count: int = typer.Option(256, help="number of starts"),
    box: str = typer.Option(None, help="draw the starts uniformly in [LOW, HIGH]^n, given as LOW,HIGH (default: the "
                                       "system's own sampler)"),
    transient: float = typer.Option(100.0, help="time integrated before recording (time units)"),
    window: float = typer.Option(50.0, help="time recorded on the omega-limit sets (time units)"),
    lyapunov_time: float = typer.Option(200.0, help="measured time of each attractor's Lyapunov run (time units)"),
    dt: float = typer.Option(0.01, help="integration step (time units)"),
    param: list[str] = PARAM_OPT,
    seed: int = typer.Option(0, help="seed of the starts and the Lyapunov frames"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for attractors.json and attractors.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Attractors of a flow from many starts: basins, kinds from the Lyapunov spectrum (equilibrium, limit cycle,
    torus, chaotic) and each limit cycle's periodic orbit; writes JSON and a PNG plot."""
    outputs = outputs_for(out, "attractors", overwrite=overwrite)
    with handled(debug, outputs):
        outputs.check()
        sys_obj, _ = build_system(system, weights, parse_params(param), "full")
        if sys_obj.dim < 2:
            raise InvalidInputError(f"{system} is one-dimensional: there is no plane to draw its attractors in; "
                                    "the attractors of a 1-D flow are its stable equilibria (use fixed-points)")
        res = neurodyn.attractors(sys_obj, box=_box(box), count=count, seed=seed, transient=transient,
                                  window=window, lyapunov_time=lyapunov_time, dt=dt, progress=progress)
        planes = [(0, 1)] + ([(0, 2)] if sys_obj.dim >= 3 else [])

        def draw(axes):
            for ax, dims in zip(list(axes) if len(planes) > 1 else [axes], planes, strict=True):
                res.plot(ax=ax, dims=dims)

        write_result(outputs, "attractors", res, draw, ncols=len(planes), size=(6 * len(planes), 5.5))
    rows = []
    for a in res:
        lam = f"{float(a.exponents[0]):.5f} ± {float(a.stderr[0]):.2g}" if len(a.exponents) else "-"
        period = f"{a.orbit.period:.6g}" if a.orbit is not None else "-"
        rows.append((a.kind, f"{a.basin_fraction:.3f}", lam, a.signs or "-", period, a.status.value))
    header = ("kind", "basin", "λ_1 ± s.e.", "signs", "period", "status")
    table = Table(title=f"{len(res)} attractor(s) of {res.system} (largest basin first; λ in 1/time, basin "
                        "fractions' standard errors in the JSON)")
    for j, col in enumerate(header):  # every column as wide as its widest cell: nothing is cut
        width = max(len(col), *(len(r[j]) for r in rows)) if rows else len(col)
        table.add_column(col, no_wrap=True, min_width=width, justify="left" if j in (0, 3, 5) else "right")
    for row in rows:
        table.add_row(*row[:-1], status_text(row[-1]))
    show(table)
    console.print(Text(f"escaped {res.escaped_fraction:.3f}  status ") + status_text(res.status))
    wrote(outputs, "attractors.json", "attractors.png")
