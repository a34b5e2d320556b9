"""What the ``neurodyn`` commands share: the app, the console, option declarations, model building, errors.

User strings (paths, model specs, parameter values) reach the terminal only as plain text: the console parses
no Rich markup, and styled words are built as :class:`rich.text.Text`.
"""

from __future__ import annotations

import inspect
import re
from contextlib import contextmanager

import torch
import typer
from rich.console import Console
from rich.measure import Measurement
from rich.text import Text

import neurodyn
from neurodyn.errors import InvalidInputError, NeurodynError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Neural networks as dynamical systems: Lyapunov spectra, fixed points and more.")
console = Console(markup=False)

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
OVERWRITE_OPT = typer.Option(False, "--overwrite", help="replace output files that exist already (without it, an "
                                                        "existing file is an error and nothing is run)")


def plain(text: str) -> Text:
    """``text`` as plain terminal text (never parsed as markup)."""
    return Text(str(text))


def status_text(status) -> Text:
    """A result's status in colour: green when it can be trusted, bold red when it cannot (``Status.ok``)."""
    from neurodyn.results import Status

    st = Status(status)
    return Text(st.value, style="green" if st.ok else "bold red")


def _as_flags(message: str) -> str:
    """Replace the library's keyword names (``steps=``) by the running command's flags (``--steps=``)."""
    ctx = _click_context()
    if ctx is None:
        return message
    for param in ctx.command.params:
        flags = [o for o in param.opts if o.startswith("--")]
        if param.name and flags:
            message = re.sub(rf"(?<![\w-]){re.escape(param.name)}=", f"{flags[0]}=", message)
    # the commands have no --strict: they write what a result says, so the library's hint about it is dropped
    return re.sub(r",? or pass strict=False (to get|for) the partial result", "", message)


def _click_context():
    """The running command's click context (typer's bundled click, or click), or None."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        try:
            from click import get_current_context
        except ImportError:
            return None
    return get_current_context(silent=True)


def fail(exc: Exception, debug: bool) -> None:
    """Print ``error: <message>`` on one line (the library's keywords named as this command's flags), exit 2."""
    if debug:
        raise exc
    message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    console.print(Text("error: ", style="bold red") + Text(_as_flags(message)), highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def handled(debug: bool, outputs=None):
    """Run a command's work: a :class:`~neurodyn.NeurodynError` becomes a one-line error with exit code 2, and
    any failure removes the output folder again if this command created it and it is still empty."""
    try:
        yield
    except NeurodynError as exc:
        if outputs is not None:
            outputs.discard()
        fail(exc, debug)
    except BaseException:
        if outputs is not None:
            outputs.discard()
        raise


def show(table) -> None:
    """Print a table wide enough that no cell is cut: numbers are never shortened (wider than the terminal,
    the terminal wraps the lines instead)."""
    need = Measurement.get(console, console.options.update(width=100_000), table).minimum
    console.print(table, width=max(console.width, need))


def number_column(table, name: str, **kwargs) -> None:
    """A right-aligned column whose cells are never wrapped nor cut."""
    table.add_column(name, justify="right", no_wrap=True, overflow="fold", **kwargs)


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


def build_system(system: str, weights, params: dict, lstm_state: str, device: torch.device | None = None):
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


def driving_inputs(sys_obj, batch: int, steps: int, input_std: float, seed: int) -> torch.Tensor:
    """Gaussian input sequences ``(batch, steps, input_dim)`` for a recurrent model (seeded)."""
    gen = torch.Generator().manual_seed(seed + 1)
    return input_std * torch.randn(batch, steps, sys_obj.input_dim, generator=gen, dtype=torch.float64)


def load_weights(model, path) -> None:
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


OUT_WHAT = "the --out folder"


def outputs_for(out, *names: str, overwrite: bool):
    """The output folder of a command that writes ``name.json`` and ``name.png`` for each of ``names`` (a name
    with a suffix is one file); call ``.check()`` on it before the analysis."""
    from neurodyn.report.output import OutputFolder

    files = tuple(f for n in names for f in ((n,) if "." in n else (f"{n}.json", f"{n}.png")))
    return OutputFolder(out, files, overwrite=overwrite, flag="--overwrite", what=OUT_WHAT)


def write_result(outputs, name: str, data, draw, *, ncols: int = 1, size=(6, 5)) -> None:
    """Write ``name.json`` (a result's ``to_dict()``, or JSON-safe data) and ``name.png`` drawn by ``draw(axes)``
    into the checked ``outputs``; the figure is rendered before either file is written, each file whole."""
    from neurodyn.report.figures import figure_png

    png = figure_png(draw, size=size, ncols=ncols, dpi=120)
    outputs.write_json(f"{name}.json", data)
    outputs.write(f"{name}.png", png)


def wrote(outputs, *names: str) -> None:
    """``wrote a, b and c`` for the files ``names`` of ``outputs`` (plain text)."""
    paths = [str(outputs.path(n)) for n in names]
    console.print(plain("wrote " + (", ".join(paths[:-1]) + " and " + paths[-1] if len(paths) > 1 else paths[0])),
                  highlight=False, soft_wrap=True)


@contextmanager
def status(enabled: bool, message: str):
    """A spinner with ``message`` (plain text) while the block runs, or nothing when ``enabled`` is False."""
    if not enabled:
        yield
        return
    with console.status(plain(message)):
        yield
