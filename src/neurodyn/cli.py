"""The ``neurodyn`` command: a thin layer that parses, calls the library, prints and saves."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import torch
import typer
from rich.console import Console
from rich.table import Table

import neurodyn
from neurodyn.errors import InvalidInputError, NeurodynError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Neural networks as dynamical systems: Lyapunov spectra and more.")
console = Console()

# Run settings per reference system that reach the published values; the systems' parameters and their
# defaults are read from the factories themselves (random-tanh-rnn's n and g have none there).
REFERENCE_RUNS = {
    "logistic": dict(steps=20_000, transient=100, batch=4),
    "henon": dict(steps=20_000, transient=200, tangent_transient=200, batch=8),
    "lorenz": dict(steps=20_000, transient=1000, tangent_transient=500, batch=8, dt=0.01, qr_every=5),
    "random-tanh-rnn": dict(steps=2000, transient=200, tangent_transient=100, batch=4),
}
REFERENCE_PARAMS = {"random-tanh-rnn": {"n": 200, "g": 2.0}}
MODEL_DEFAULTS = dict(steps=1000, transient=100, tangent_transient=100, batch=8)


def _fail(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _parse_params(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise InvalidInputError(f"--param {item!r} must look like name=number, e.g. --param rho=28") from None
    return out


def _build(system: str, weights: Path | None, params: dict, lstm_state: str):
    from neurodyn.io import load_model
    from neurodyn.systems.reference import REFERENCE_SYSTEMS

    if system in REFERENCE_SYSTEMS:
        if weights is not None:
            raise InvalidInputError(f"--weights applies to a user's model, not to the reference system {system!r}")
        factory = REFERENCE_SYSTEMS[system]
        names = set(inspect.signature(factory).parameters)
        unknown = set(params) - names
        if unknown:
            raise InvalidInputError(f"{system} has no parameter(s) {sorted(unknown)}; it takes {sorted(names)}")
        return factory(**{**REFERENCE_PARAMS.get(system, {}), **params}), dict(REFERENCE_RUNS[system])
    if ":" not in system:
        raise InvalidInputError(
            f"unknown system {system!r}: give a reference system ({', '.join(REFERENCE_SYSTEMS)}) "
            "or a model as 'package.module:factory'"
        )
    if params:
        raise InvalidInputError("--param applies to reference systems only")
    model = load_model(system, weights)
    return neurodyn.from_torch(model, lstm_state=lstm_state, name=system), dict(MODEL_DEFAULTS)


@app.command()
def lyapunov(
    system: str = typer.Argument(..., help="reference system (logistic, henon, lorenz, random-tanh-rnn) "
                                           "or a model 'package.module:factory'"),
    weights: Path = typer.Option(None, help="weights for the model: .safetensors or a torch state-dict checkpoint"),
    steps: int = typer.Option(None, help="measured steps (default depends on the system)"),
    transient: int = typer.Option(None, help="state transient steps"),
    tangent_transient: int = typer.Option(None, help="frame-alignment steps (growth discarded)"),
    k: int = typer.Option(None, help="number of leading exponents (default all)"),
    dt: float = typer.Option(None, help="time step for flows (time units)"),
    batch: int = typer.Option(None, help="trajectories / input sequences to average over"),
    qr_every: int = typer.Option(None, help="steps between re-orthonormalisations"),
    input_std: float = typer.Option(1.0, help="std of the Gaussian input sequences driving a recurrent model"),
    param: list[str] = typer.Option([], "--param", help="reference-system parameter, name=value (repeatable)"),
    lstm_state: str = typer.Option("full", help="LSTM state: 'full' (h, c) or 'h'"),
    base: str = typer.Option("e", help="'e' (nats) or '2' (bits)"),
    seed: int = typer.Option(0, help="seed of initial states, frame and inputs"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for lyapunov.json and lyapunov.png"),
    progress: bool = typer.Option(True, help="show a progress bar"),
    debug: bool = typer.Option(False, help="show tracebacks"),
):
    """Lyapunov spectrum (QR method) of a reference system or a model; writes JSON and a PNG plot."""
    try:
        sys_obj, run = _build(system, weights, _parse_params(param), lstm_state)
        for name, value in dict(steps=steps, transient=transient, tangent_transient=tangent_transient, dt=dt,
                                batch=batch, qr_every=qr_every).items():
            if value is not None:
                run[name] = value
        if isinstance(sys_obj, neurodyn.Flow):
            run.setdefault("dt", 0.01)
        if sys_obj.input_dim:
            gen = torch.Generator().manual_seed(seed + 1)
            total = run["transient"] + run.get("tangent_transient", 0) + run["steps"]
            run["inputs"] = input_std * torch.randn(run.pop("batch"), total, sys_obj.input_dim, generator=gen,
                                                    dtype=torch.float64)
        res = neurodyn.lyapunov_spectrum(sys_obj, k=k, seed=seed, base=2 if base == "2" else base,
                                         progress=progress, **run)
        out.mkdir(parents=True, exist_ok=True)
        res.save_json(out / "lyapunov.json")
        _save_plot(res, out / "lyapunov.png")
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    table = Table(title=f"Lyapunov spectrum of {res.system}")
    table.add_column("i", justify="right")
    table.add_column(f"λ_i ({res.units})", justify="right")
    table.add_column("std. error", justify="right")
    shown = min(len(res.exponents), 12)
    for i in range(shown):
        table.add_row(str(i + 1), f"{res.exponents[i]:.5f}", f"{res.stderr[i]:.1e}")
    if len(res.exponents) > shown:
        table.add_row("...", f"({len(res.exponents) - shown} more in the JSON)", "")
    console.print(table)
    console.print(f"sum {res.sum:.5f}  Kaplan–Yorke dimension {res.kaplan_yorke_dimension():.3f}  "
                  f"status {res.status}")
    console.print(f"wrote {out / 'lyapunov.json'} and {out / 'lyapunov.png'}")


def _save_plot(res, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    res.plot(ax=axes[0], kind="convergence" if len(res.exponents) <= 10 else "spectrum")
    res.plot(ax=axes[1], kind="spectrum")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


@app.callback(invoke_without_command=True)
def main(version: bool = typer.Option(False, "--version", help="print the version and exit")):
    if version:
        console.print(f"neurodyn {neurodyn.__version__}")
        raise typer.Exit()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
