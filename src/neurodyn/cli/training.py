"""``neurodyn sharpness`` and ``neurodyn eos``: training as a dynamical system."""

from __future__ import annotations

from pathlib import Path

import torch
import typer
from rich.table import Table

from neurodyn.cli._common import (
    DEBUG_OPT,
    OVERWRITE_OPT,
    PROGRESS_OPT,
    WEIGHTS_OPT,
    console,
    handled,
    number_column,
    outputs_for,
    show,
    status,
    write_result,
    wrote,
)
from neurodyn.errors import InvalidInputError


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
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Top Hessian eigenvalues of a model's full-batch loss (Lanczos), optionally trace and spectral density."""
    from neurodyn.data import digits
    from neurodyn.training import half_mse
    from neurodyn.training import sharpness as top_eigenvalues

    outputs = outputs_for(out, "sharpness", overwrite=overwrite)
    with handled(debug, outputs):
        if loss not in ("mse", "cross-entropy"):
            raise InvalidInputError(f"--loss must be 'mse' or 'cross-entropy', got {loss!r}")
        if lr is not None and not lr > 0:
            raise InvalidInputError(f"--lr must be a positive learning rate, got {lr}")
        outputs.check()
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

            tensors = read_state_dict(data, what="--data file")
            if not {"inputs", "targets"} <= set(tensors):
                raise InvalidInputError(f"{data!r} must hold tensors named 'inputs' and 'targets'")
            X, y = tensors["inputs"], tensors["targets"]
        loss_fn = half_mse if loss == "mse" else torch.nn.functional.cross_entropy
        with status(progress, "Lanczos on Hessian-vector products"):
            res = top_eigenvalues(net, loss_fn, (X, y), k=k, trace=trace, density=density, chunk_size=chunk_size)
        write_result(outputs, "sharpness", res, lambda ax: res.plot(ax=ax), size=(6.5, 4))
    console.print(f"top {k} Hessian eigenvalues: " + ", ".join(f"{v:.6g}" for v in res.eigenvalues.tolist())
                  + f"  ({res.hvps} Hessian-vector products, {res.settings['parameters']} parameters, "
                  f"{res.settings['examples']} examples, loss {res.loss:.4g})")
    if lr is not None:
        verdict = "below" if res.max < 2 / lr else "above"
        console.print(f"sharpness {res.max:.5g} is {verdict} 2/lr = {2 / lr:.5g}: full-batch GD at lr={lr:g} is "
                      f"{'stable' if verdict == 'below' else 'unstable'} near here")
    if trace:
        console.print(f"trace {res.trace:.6g} ± {res.trace_stderr:.2g}")
    wrote(outputs, "sharpness.json", "sharpness.png")


def eos(
    lr: list[float] = typer.Option([0.2, 0.1], "--lr", help="learning rates (repeatable)"),
    steps: int = typer.Option(1500, help="full-batch GD steps per learning rate"),
    n: int = typer.Option(500, help="number of digits"),
    every: int = typer.Option(25, help="steps between sharpness measurements"),
    seed: int = typer.Option(0, help="seed of the initialisation"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for eos.json and eos.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """The edge-of-stability example: full-batch GD on digits at each learning rate, sharpness against 2/lr."""
    from neurodyn.training import eos_digits

    outputs = outputs_for(out, "eos", overwrite=overwrite)
    with handled(debug, outputs):
        if not lr or any(not rate > 0 for rate in lr) or len(set(lr)) != len(lr):
            raise InvalidInputError(f"--lr must be distinct positive learning rates, got {list(lr)}")
        outputs.check()
        runs = eos_digits(tuple(lr), steps=steps, n=n, every=every, seed=seed, progress=progress)

        def draw(axes):
            for i, (rate, run) in enumerate(runs.items()):
                run.plot(ax=axes[0], label=f"lr={rate:g}", color=f"C{i}", show_loss=False)
                axes[1].semilogy(run.steps, run.loss, color=f"C{i}", label=f"lr={rate:g}")
            axes[0].set_title("Edge of stability: full-batch GD on digits", fontsize=10)
            axes[1].set_xlabel("step")
            axes[1].set_ylabel("training loss")
            axes[1].legend(fontsize=8)

        write_result(outputs, "eos", {str(k): v.to_dict() for k, v in runs.items()}, draw, ncols=2, size=(12, 4.5))
    table = Table(title="Edge of stability (sharpness / (2/lr))")
    for col in ("lr", "2/lr", "first reached", "last 1/3: min ratio", "max ratio", "final loss"):
        number_column(table, col)
    for rate, run in runs.items():
        ratio = run.ratio()
        hit = next((s for s, r in zip(run.sharpness_steps, ratio.tolist(), strict=True) if r >= 0.9), None)
        tail = ratio[len(ratio) * 2 // 3:]
        table.add_row(f"{rate:g}", f"{2 / rate:.4g}", "never" if hit is None else f"step {hit}",
                      f"{float(tail.min()):.3f}", f"{float(tail.max()):.3f}", f"{run.loss[-1]:.4g}")
    show(table)
    wrote(outputs, "eos.json", "eos.png")
