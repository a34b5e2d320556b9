"""``neurodyn ftle``: the FTLE map of a two-moons neural-ODE classifier."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from neurodyn.cli._common import (
    DEBUG_OPT,
    OVERWRITE_OPT,
    PROGRESS_OPT,
    console,
    handled,
    load_weights,
    outputs_for,
    plain,
    show,
    status,
    write_result,
    wrote,
)
from neurodyn.errors import InvalidInputError


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
    save_model: Path = typer.Option(None, help="write the (trained) classifier's weights to this new .safetensors "
                                               "file (an existing file is replaced only with --overwrite)"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for ftle.json and ftle.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """FTLE map of a two-moons neural-ODE classifier (trained here, or loaded): FTLE ridges against the decision
    boundary (ROC AUC, PGD rank correlation) and the field's long-time Lyapunov exponents; writes JSON and a PNG."""
    from neurodyn.classifier import classifier_ftle_study
    from neurodyn.data import moons
    from neurodyn.models import NeuralODEClassifier, train_moons_classifier

    outputs = outputs_for(out, "ftle", overwrite=overwrite)
    with handled(debug, outputs):
        if grid < 2:
            raise InvalidInputError(f"--grid must be at least 2, got {grid}")
        if save_model is not None and save_model.suffix != ".safetensors":
            raise InvalidInputError(f"--save-model {str(save_model)!r} must end in .safetensors (the weights are "
                                    "written in that format)")
        outputs.check(*(() if save_model is None else (save_model,)))
        if save_model is not None:
            from neurodyn._files import check_output_dir

            check_output_dir(save_model.parent, name="the --save-model folder")
        with status(progress, "training the classifier" if weights is None else "loading the classifier"):
            if weights is None:
                trained = train_moons_classifier(hidden=hidden, augment=augment, field=field, epochs=epochs,
                                                 noise=noise, seed=seed)
                model, X_test, y_test = trained.model, trained.X_test, trained.y_test
            else:
                model = NeuralODEClassifier(2, 2, hidden=hidden, augment=augment, field=field)
                load_weights(model, weights)
                X_test, y_test = moons(1000, noise=noise, seed=seed + 1)
        with status(progress, "FTLE map, boundary link and long-time exponents"):
            study = classifier_ftle_study(model, X_test, y_test, grid=grid, attack=attack)
        summary = study.summary()
        write_result(outputs, "ftle", summary, lambda axes: study.plot(axes, model=model, data=(X_test, y_test)),
                     ncols=2, size=(12, 4.8))
        if save_model is not None:
            from safetensors.torch import save

            from neurodyn._files import atomic_write

            atomic_write(save_model, save({k: v.contiguous() for k, v in model.state_dict().items()}),
                         overwrite=overwrite, flag="--overwrite")
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
    show(table)
    wrote(outputs, "ftle.json", "ftle.png")
    if save_model is not None:
        console.print(plain(f"wrote the classifier's weights to {save_model}"), highlight=False, soft_wrap=True)
