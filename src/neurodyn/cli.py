"""The ``neurodyn`` command: a thin layer that parses, calls the library, prints and saves."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import torch
import typer
from rich.console import Console
from rich.table import Table

import neurodyn
from neurodyn.errors import InvalidInputError, NeurodynError

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


def _build(system: str, weights: Path | None, params: dict, lstm_state: str, device: torch.device | None = None):
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


@app.command()
def lyapunov(
    system: str = SYSTEM_ARG,
    weights: Path = WEIGHTS_OPT,
    steps: int = typer.Option(None, help="measured steps (default depends on the system)"),
    transient: int = typer.Option(None, help="state transient steps"),
    tangent_transient: int = typer.Option(None, help="frame-alignment steps (growth discarded)"),
    k: int = typer.Option(None, help="number of leading exponents (default all)"),
    dt: float = typer.Option(None, help="time step for flows (time units)"),
    batch: int = typer.Option(None, help="trajectories / input sequences to average over"),
    qr_every: int = typer.Option(None, help="steps between re-orthonormalisations"),
    input_std: float = INPUT_STD_OPT,
    param: list[str] = PARAM_OPT,
    lstm_state: str = LSTM_STATE_OPT,
    base: str = typer.Option("e", help="'e' (nats) or '2' (bits)"),
    seed: int = typer.Option(0, help="seed of initial states, frame and inputs"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for lyapunov.json and lyapunov.png"),
    progress: bool = PROGRESS_OPT,
    debug: bool = DEBUG_OPT,
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
            total = run["transient"] + run.get("tangent_transient", 0) + run["steps"]
            run["inputs"] = _driving_inputs(sys_obj, run.pop("batch"), total, input_std, seed)
        res = neurodyn.lyapunov_spectrum(sys_obj, k=k, seed=seed, base=2 if base == "2" else base,
                                         progress=progress, **run)
        def draw(axes):
            res.plot(ax=axes[0], kind="convergence" if len(res.exponents) <= 10 else "spectrum")
            res.plot(ax=axes[1], kind="spectrum")

        _write(out, "lyapunov", res, draw, ncols=2, size=(11, 4))
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


def _save_figure(draw, path: Path, *, ncols: int = 1, size=(6, 5)) -> None:
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


def _write(out: Path, name: str, data, draw, *, ncols: int = 1, size=(6, 5)) -> None:
    """Write ``out/name.json`` (a result's ``to_dict()``, or JSON-safe data) and ``out/name.png`` drawn by
    ``draw(axes)``, each whole or not at all."""
    from neurodyn.results import to_jsonable

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{name}.json.tmp"
    tmp.write_text(json.dumps(data.to_dict() if hasattr(data, "to_dict") else to_jsonable(data), indent=1))
    tmp.replace(out / f"{name}.json")
    _save_figure(draw, out / f"{name}.png", ncols=ncols, size=size)


def _driving_inputs(sys_obj, batch: int, steps: int, input_std: float, seed: int) -> torch.Tensor:
    """Gaussian input sequences ``(batch, steps, input_dim)`` for a recurrent model (seeded)."""
    gen = torch.Generator().manual_seed(seed + 1)
    return input_std * torch.randn(batch, steps, sys_obj.input_dim, generator=gen, dtype=torch.float64)


@app.command("fixed-points")
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
    debug: bool = DEBUG_OPT,
):
    """Fixed points / equilibria and slow points with their stability; writes JSON and a PNG plot."""
    try:
        sys_obj, _ = _build(system, weights, _parse_params(param), lstm_state)
        kwargs = {}
        if sys_obj.input_dim:
            kwargs["inputs"] = _driving_inputs(sys_obj, 32, 200, input_std, seed)
            if u_star is not None:
                try:
                    kwargs["u_star"] = torch.tensor([float(v) for v in u_star.split(",")], dtype=torch.float64)
                except ValueError:
                    raise InvalidInputError(f"--u-star {u_star!r} must be comma-separated numbers") from None
        elif u_star is not None:
            raise InvalidInputError(f"--u-star applies to recurrent models; {system} takes no input")
        res = neurodyn.find_fixed_points(sys_obj, n_starts=n_starts, starts=starts, tol=tol, slow_q=slow_q,
                                         seed=seed, progress=progress, **kwargs)
        _write(out, "fixed_points", res, lambda ax: res.plot(ax=ax), size=(7, 5.5))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    from neurodyn.report.html import FIXED_POINT_HEADER, fixed_point_rows

    what = "fixed points" if res.kind == "map" else "equilibria"
    table = Table(title=f"{len(res.fixed)} {what} of {res.system}")
    for col in FIXED_POINT_HEADER[res.kind]:
        table.add_column(col, justify="left" if col == "stability" else "right")
    for row in fixed_point_rows(res, limit=20):
        table.add_row(*(str(c) for c in row))
    if len(res.fixed) > 20:
        table.add_row("...", f"({len(res.fixed) - 20} more in the JSON)", "", "", "", "")
    console.print(table)
    console.print(f"{len(res.slow)} slow point(s) with q <= {slow_q:g}; starts: "
                  + ", ".join(f"{k} {v}" for k, v in res.starts.items() if v))
    console.print(f"wrote {out / 'fixed_points.json'} and {out / 'fixed_points.png'}")


@app.command()
def ftle(
    weights: Path = typer.Option(None, help="weights of a NeuralODEClassifier (.safetensors or a state-dict "
                                           "checkpoint) with the --hidden/--augment/--field given; default: train"),
    hidden: int = typer.Option(16, help="hidden units of the vector field"),
    augment: int = typer.Option(0, help="augmentation dimensions of the neural ODE"),
    field: str = typer.Option("mlp", help="vector field: 'mlp' (W2 tanh(W1 z + b1) + b2) or 'tanh' (tanh(W z + b))"),
    epochs: int = typer.Option(400, help="full-batch Adam epochs when training"),
    noise: float = typer.Option(0.1, help="noise of the two-moons data"),
    grid: int = typer.Option(200, help="the FTLE map has grid x grid points"),
    attack: bool = typer.Option(True, help="run the PGD attack for the FTLE/perturbation rank correlation"),
    seed: int = typer.Option(0, help="seed of the data and the training"),
    save_model: Path = typer.Option(None, help="write the (trained) classifier's weights to this .safetensors file"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for ftle.json and ftle.png"),
    debug: bool = DEBUG_OPT,
):
    """FTLE map of a two-moons neural-ODE classifier (trained here, or loaded): FTLE ridges against the decision
    boundary (ROC AUC, PGD rank correlation) and the field's long-time Lyapunov exponents; writes JSON and a PNG."""
    from neurodyn.data import moons
    from neurodyn.models import NeuralODEClassifier, train_moons_classifier
    from neurodyn.report.classifier import classifier_ftle_study

    try:
        if grid < 2:
            raise InvalidInputError(f"--grid must be at least 2, got {grid}")
        with console.status("training the classifier" if weights is None else "loading the classifier"):
            if weights is None:
                trained = train_moons_classifier(hidden=hidden, augment=augment, field=field, epochs=epochs,
                                                 noise=noise, seed=seed)
                model, X_test, y_test = trained.model, trained.X_test, trained.y_test
            else:
                model = NeuralODEClassifier(2, 2, hidden=hidden, augment=augment, field=field)
                _load_weights(model, weights)
                X_test, y_test = moons(1000, noise=noise, seed=seed + 1)
        with console.status("FTLE map, boundary link and long-time exponents"):
            study = classifier_ftle_study(model, X_test, y_test, grid=grid, attack=attack)
        summary = study.summary()
        _write(out, "ftle", summary, lambda axes: study.plot(axes, model=model, data=(X_test, y_test)), ncols=2,
               size=(12, 4.8))
        if save_model is not None:
            from safetensors.torch import save_file

            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(save_model))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    table = Table(title=f"FTLE of a two-moons neural ODE (hidden {hidden}, augment {augment}, {field} field)")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [("test accuracy", f"{summary['accuracy']:.4f}"),
            (f"largest FTLE on the {grid}x{grid} grid ({summary['units']})",
             f"{summary['ftle_min']:.3f} .. {summary['ftle_max']:.3f}"),
            (f"ROC AUC: FTLE vs distance < {summary['boundary_eps']:.3g}", f"{summary['auc']:.3f}"),
            ("Spearman(FTLE, PGD radius)", f"{study.link.spearman:.3f}" if attack else "not run (--no-attack)"),
            (f"long-time Lyapunov exponents ({summary['long_time_units']})",
             ", ".join(f"{v:.2g}" for v in study.long_time.exponents.tolist()))]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"wrote {out / 'ftle.json'} and {out / 'ftle.png'}")


def _load_weights(model, path: Path) -> None:
    """Load a state dict from ``path`` (safely) into ``model``; a clear error when it does not fit."""
    from neurodyn.errors import ModelLoadError
    from neurodyn.io import read_state_dict

    try:
        model.load_state_dict(read_state_dict(path))
    except RuntimeError as exc:
        detail = "; ".join(line.strip() for line in str(exc).splitlines()[1:] if line.strip())
        raise ModelLoadError(f"the weights in {str(path)!r} do not fit a NeuralODEClassifier with these "
                             f"--hidden/--augment/--field settings: {detail or exc}") from exc


@app.command()
def sharpness(
    model: str = typer.Argument(None, help="a model as 'package.module:factory' taking 64 features (default: the "
                                           "built-in digits MLP at its seeded initialisation)"),
    weights: Path = WEIGHTS_OPT,
    data: str = typer.Option("digits", help="'digits' (the first --n handwritten digits) or a .safetensors file "
                                            "with tensors 'inputs' and 'targets'"),
    n: int = typer.Option(500, help="number of digits"),
    loss: str = typer.Option("mse", help="'mse' (half squared error on one-hot targets) or 'cross-entropy'"),
    k: int = typer.Option(5, help="number of top eigenvalues"),
    lr: float = typer.Option(None, help="a learning rate to compare the sharpness with (2/lr)"),
    trace: bool = typer.Option(False, help="estimate the trace (Hutchinson)"),
    density: bool = typer.Option(False, help="estimate the spectral density (stochastic Lanczos quadrature)"),
    chunk_size: int = typer.Option(None, help="examples per Hessian-vector-product chunk (bounds memory)"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for sharpness.json and sharpness.png"),
    debug: bool = DEBUG_OPT,
):
    """Top Hessian eigenvalues of a model's full-batch loss (Lanczos), optionally trace and spectral density."""
    from neurodyn.data import digits
    from neurodyn.training import half_mse
    from neurodyn.training import sharpness as top_eigenvalues

    try:
        if loss not in ("mse", "cross-entropy"):
            raise InvalidInputError(f"--loss must be 'mse' or 'cross-entropy', got {loss!r}")
        if model is None:
            from neurodyn.models import digits_mlp

            if weights is not None:
                raise InvalidInputError("--weights needs a model: give MODEL as 'package.module:factory'")
            net = digits_mlp()
        else:
            from neurodyn.io import load_model

            net = load_model(model, weights)
        if data == "digits":
            X, y = digits(n, onehot=loss == "mse")
        else:
            from neurodyn.io import read_state_dict

            tensors = read_state_dict(data)
            if not {"inputs", "targets"} <= set(tensors):
                raise InvalidInputError(f"{data!r} must hold tensors named 'inputs' and 'targets'")
            X, y = tensors["inputs"], tensors["targets"]
        loss_fn = half_mse if loss == "mse" else torch.nn.functional.cross_entropy
        with console.status("Lanczos on Hessian-vector products"):
            res = top_eigenvalues(net, loss_fn, (X, y), k=k, trace=trace, density=density, chunk_size=chunk_size)
        _write(out, "sharpness", res, lambda ax: res.plot(ax=ax), size=(6.5, 4))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    console.print(f"top {k} Hessian eigenvalues: " + ", ".join(f"{v:.6g}" for v in res.eigenvalues.tolist())
                  + f"  ({res.hvps} Hessian-vector products, {res.settings['parameters']} parameters, "
                  f"{res.settings['examples']} examples, loss {res.loss:.4g})")
    if lr is not None:
        verdict = "below" if res.max < 2 / lr else "above"
        console.print(f"sharpness {res.max:.5g} is {verdict} 2/lr = {2 / lr:.5g}: full-batch GD at lr={lr:g} is "
                      f"{'stable' if verdict == 'below' else 'unstable'} near here")
    if trace:
        console.print(f"trace {res.trace:.6g} ± {res.trace_stderr:.2g}")
    console.print(f"wrote {out / 'sharpness.json'} and {out / 'sharpness.png'}")


@app.command()
def eos(
    lr: list[float] = typer.Option([0.2, 0.1], "--lr", help="learning rates (repeatable)"),
    steps: int = typer.Option(1500, help="full-batch GD steps per learning rate"),
    n: int = typer.Option(500, help="number of digits"),
    every: int = typer.Option(25, help="steps between sharpness measurements"),
    seed: int = typer.Option(0, help="seed of the initialisation"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for eos.json and eos.png"),
    progress: bool = PROGRESS_OPT,
    debug: bool = DEBUG_OPT,
):
    """The edge-of-stability example: full-batch GD on digits at each learning rate, sharpness against 2/lr."""
    from neurodyn.training import eos_digits

    try:
        runs = eos_digits(tuple(lr), steps=steps, n=n, every=every, seed=seed, progress=progress)

        def draw(axes):
            for i, (rate, run) in enumerate(runs.items()):
                run.plot(ax=axes[0], label=f"lr={rate:g}", color=f"C{i}", show_loss=False)
                axes[1].semilogy(run.steps, run.loss, color=f"C{i}", label=f"lr={rate:g}")
            axes[0].set_title("Edge of stability: full-batch GD on digits", fontsize=10)
            axes[1].set_xlabel("step")
            axes[1].set_ylabel("training loss")
            axes[1].legend(fontsize=8)

        _write(out, "eos", {str(k): v.to_dict() for k, v in runs.items()}, draw, ncols=2, size=(12, 4.5))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    table = Table(title="Edge of stability (sharpness / (2/lr))")
    for col in ("lr", "2/lr", "first reached", "last 1/3: min ratio", "max ratio", "final loss"):
        table.add_column(col, justify="right")
    for rate, run in runs.items():
        ratio = run.ratio()
        hit = next((s for s, r in zip(run.sharpness_steps, ratio.tolist(), strict=True) if r >= 0.9), None)
        tail = ratio[len(ratio) * 2 // 3:]
        table.add_row(f"{rate:g}", f"{2 / rate:.4g}", "never" if hit is None else f"step {hit}",
                      f"{float(tail.min()):.3f}", f"{float(tail.max()):.3f}", f"{run.loss[-1]:.4g}")
    console.print(table)
    console.print(f"wrote {out / 'eos.json'} and {out / 'eos.png'}")


@app.command()
def demo(
    out: Path = typer.Option(Path("neurodyn-demo"), help="folder for report.html and the JSON results"),
    quick: bool = typer.Option(False, help="small sizes (seconds instead of minutes; for trying things out)"),
    seed: int = typer.Option(0, help="seed of every model, start and input"),
    debug: bool = DEBUG_OPT,
):
    """Train small seeded models, analyse them (fixed points, Lyapunov spectra, chaos) and write a report."""
    from neurodyn.report import DemoSettings, run_demo

    settings = DemoSettings.quick(seed) if quick else DemoSettings(seed=seed)
    try:
        with console.status("running the demo analyses...") as status:
            report = run_demo(out, settings=settings, log=lambda msg: (status.update(msg),
                                                                        console.print(f"· {msg}", highlight=False)))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    console.print(f"[bold]report:[/] {report.resolve()}")


@app.command()
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
    debug: bool = DEBUG_OPT,
):
    """The HTML report (fixed points, Lyapunov spectrum) for a reference system or a user's model."""
    from neurodyn.report import model_report

    try:
        dev = _device(device)
        sys_obj, _ = _build(system, weights, _parse_params(param), lstm_state, device=dev)
        analyses = [name for name, on in (("fixed-points", fixed_points), ("lyapunov", lyapunov)) if on]
        with console.status("analysing...") as status:
            path = model_report(sys_obj, out, analyses=analyses, seed=seed, input_std=input_std, steps=steps,
                                n_starts=n_starts, log=lambda msg: (status.update(msg),
                                                                    console.print(f"· {msg}", highlight=False)))
    except NeurodynError as exc:
        _fail(exc, debug)
        return
    console.print(f"[bold]report:[/] {path.resolve()}")


def _device(name: str) -> torch.device:
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise InvalidInputError(f"--device {name!r} is not a device name; use 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"--device {name!r}: CUDA is not available on this machine; use --device cpu")
    if dev.type not in ("cpu", "cuda"):
        raise InvalidInputError(f"--device {name!r} is not supported; use 'cpu' or 'cuda'")
    return dev


@app.callback(invoke_without_command=True)
def main(version: bool = typer.Option(False, "--version", help="print the version and exit")):
    if version:
        console.print(f"neurodyn {neurodyn.__version__}")
        raise typer.Exit()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
