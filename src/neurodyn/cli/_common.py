"""What the ``neurodyn`` commands share: the app, the console, option declarations, model building, output."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import torch
import typer
from rich.console import Console

import neurodyn
from neurodyn.errors import InvalidInputError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Neural networks as dynamical systems: Lyapunov spectra, fixed points and more.")
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

# Options shared by the analysis commands (one definition each).
SYSTEM_ARG = typer.Argument(..., help="reference system (logistic, henon, lorenz, random-tanh-rnn) or a model "
                                      "'package.module:factory'")
WEIGHTS_OPT = typer.Option(None, help="weights for the model: .safetensors or a torch state-dict checkpoint")
INPUT_STD_OPT = typer.Option(1.0, help="std of the Gaussian input sequences driving a recurrent model")
PARAM_OPT = typer.Option([], "--param", help="reference-system parameter, name=value (repeatable)")
LSTM_STATE_OPT = typer.Option("full", help="LSTM state: 'full' (h, c) or 'h'")
PROGRESS_OPT = typer.Option(True, help="show a progress bar")
DEBUG_OPT = typer.Option(False, help="show tracebacks")


def fail(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def parse_params(items: list[str]) -> dict[str, float]:
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


def build_system(system: str, weights: Path | None, params: dict, lstm_state: str, device: torch.device | None = None):
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
    return neurodyn.from_torch(model, lstm_state=lstm_state, name=system, device=device), dict(MODEL_DEFAULTS)


def save_figure(draw, path: Path, *, ncols: int = 1, size=(6, 5)) -> None:
    """Draw with ``draw(axes)`` on a fresh figure and write it to ``path`` whole or not at all."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=size)
    try:
        draw(axes)
        fig.tight_layout()
        tmp = path.with_suffix(".tmp.png")
        fig.savefig(tmp, dpi=120)
        tmp.replace(path)
    finally:
        plt.close(fig)


def write_outputs(out: Path, name: str, data, draw, *, ncols: int = 1, size=(6, 5)) -> None:
    """Write ``out/name.json`` (a result's ``to_dict()``, or JSON-safe data) and ``out/name.png`` drawn by
    ``draw(axes)``, each whole or not at all."""
    from neurodyn.results import to_jsonable

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{name}.json.tmp"
    tmp.write_text(json.dumps(data.to_dict() if hasattr(data, "to_dict") else to_jsonable(data), indent=1))
    tmp.replace(out / f"{name}.json")
    save_figure(draw, out / f"{name}.png", ncols=ncols, size=size)


def driving_inputs(sys_obj, batch: int, steps: int, input_std: float, seed: int) -> torch.Tensor:
    """Gaussian input sequences ``(batch, steps, input_dim)`` for a recurrent model (seeded)."""
    gen = torch.Generator().manual_seed(seed + 1)
    return input_std * torch.randn(batch, steps, sys_obj.input_dim, generator=gen, dtype=torch.float64)


def load_weights(model, path: Path) -> None:
    """Load a state dict from ``path`` (safely) into ``model``; a clear error when it does not fit."""
    from neurodyn.errors import ModelLoadError
    from neurodyn.io import read_state_dict

    try:
        model.load_state_dict(read_state_dict(path))
    except RuntimeError as exc:
        detail = "; ".join(line.strip() for line in str(exc).splitlines()[1:] if line.strip())
        raise ModelLoadError(f"the weights in {str(path)!r} do not fit a NeuralODEClassifier with these "
                             f"--hidden/--augment/--field settings: {detail or exc}") from exc


def parse_device(name: str) -> torch.device:
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise InvalidInputError(f"--device {name!r} is not a device name; use 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"--device {name!r}: CUDA is not available on this machine; use --device cpu")
    if dev.type not in ("cpu", "cuda"):
        raise InvalidInputError(f"--device {name!r} is not supported; use 'cpu' or 'cuda'")
    return dev
