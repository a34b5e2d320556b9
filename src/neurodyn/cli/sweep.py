"""``neurodyn sweep``: train many recurrent networks on a task, measure each one's Lyapunov spectrum, keep one row
per network in a Parquet store, and relate spectrum features (and AeLLE's latent space) to performance."""

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
    number_column,
    outputs_for,
    plain,
    show,
    status,
    write_result,
    wrote,
)
from neurodyn.errors import InvalidInputError


def _list(text: str, kind, name: str) -> list:
    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidInputError(f"--{name} {text!r} must be comma-separated values, e.g. --{name} "
                                f"{'0.5,1,2' if kind is float else '8,16'}") from None


def sweep(
    task: str = typer.Option("digits", help="'digits' (8x8 digits row by row), 'memory' (3-bit flip-flop) or "
                                            "'text' (next character of generated text)"),
    cells: str = typer.Option("rnn,gru,lstm", help="cell types, comma-separated"),
    hidden: str = typer.Option("16", help="hidden sizes, comma-separated"),
    gains: str = typer.Option("0.5,1,1.5,2,3", help="initial recurrent gains g (weights N(0, g^2/hidden))"),
    lrs: str = typer.Option("0.01", help="Adam learning rates"),
    seeds: str = typer.Option("0,1", help="network seeds"),
    random: int = typer.Option(0, help="instead of the grid: this many random configurations (log-uniform gain "
                                       "0.3-3 and lr 1e-3-3e-2, hidden 8-32, all cells)"),
    iterations: int = typer.Option(300, help="training iterations per network"),
    spectrum_steps: int = typer.Option(200, help="steps of held-out input sequences for each spectrum"),
    store: Path = typer.Option(Path("neurodyn-sweep"), help="the Parquet result store (a folder; a rerun resumes)"),
    workers: int = typer.Option(2, help="local Dask workers (0: run in this process)"),
    scheduler: str = typer.Option(None, help="address of an existing Dask scheduler, e.g. tcp://host:8786"),
    aelle: bool = typer.Option(True, help="fit AeLLE (autoencoder of the spectra) when at least 8 networks finish"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for sweep.json, sweep.png and sweep-features.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Sweep over recurrent networks: train, score, Lyapunov spectrum per network (Dask, resumable Parquet store),
    then the rank correlation of spectrum features with performance and AeLLE; writes JSON and a PNG.

    A feature whose correlation cannot be computed (too few finished networks, the same value for every network)
    is shown as "n/a" with the reason, and stored as null in sweep.json."""
    from neurodyn import features as ft
    from neurodyn import sweep as sw
    from neurodyn.report.figures import figure_png

    outputs = outputs_for(out, "sweep", "sweep-features.png", overwrite=overwrite)
    with handled(debug, outputs):
        fixed = dict(task=task, iterations=iterations, spectrum_steps=spectrum_steps)
        if random:
            configs = sw.random_configs(random, **fixed)
        else:
            configs = sw.grid(cell=_list(cells, str, "cells"), hidden=_list(hidden, int, "hidden"),
                              gain=_list(gains, float, "gains"), lr=_list(lrs, float, "lrs"),
                              seed=_list(seeds, int, "seeds"), **fixed)
        outputs.check()
        result = sw.run(configs, store, workers=workers, scheduler=scheduler, progress=progress)
        done = result.finished
        summary = dict(store=str(store), networks=len(result.rows), ran=result.ran, skipped=result.skipped,
                       failed=result.failed, busy=result.busy, quarantined=result.quarantined,
                       seconds=result.seconds, executor=result.executor)
        corr, fit = [], None
        if len(done) >= 3:
            corr = sw.correlate_features(result.spectra, result.performance)
            if aelle and len(done) >= 8:
                with status(progress, "AeLLE"):
                    fit = ft.fit_aelle(result.spectra, result.performance, seed=0)
        summary.update(correlations={c.feature: c.rho for c in corr},
                       correlation_notes={c.feature: c.reason for c in corr if c.reason},
                       aelle=None if fit is None else dict(
            f1_latent=fit.f1_latent, f1_best_feature=fit.f1_best_feature, best_feature=fit.best_feature))

        def draw(axes):
            result.plot(ax=axes[0])
            if fit is not None:
                fit.plot(ax=axes[1])
            else:
                axes[1].set_axis_off()

        features_png = None
        if corr:
            features_png = figure_png(lambda axes: ft.plot_feature_scatter(ft.features_table(result.spectra),
                                                                           result.performance, axes=axes),
                                      ncols=len(ft.FEATURES), size=(4 * len(ft.FEATURES), 3.8), dpi=120)
        write_result(outputs, "sweep", dict(summary=summary, rows=result.rows), draw, ncols=2, size=(12, 4.8))
        if features_png is not None:
            outputs.write("sweep-features.png", features_png)
    _print_sweep(result, corr, fit, store)
    wrote(outputs, "sweep.json", "sweep.png", *(("sweep-features.png",) if corr else ()))


def _print_sweep(result, corr, fit, store) -> None:
    """What the sweep did, the feature correlations (n/a with the reason) and AeLLE's F1 scores."""
    done = result.finished
    console.print(f"{len(done)} of {len(result.rows)} networks finished ({result.ran} run now, {result.skipped} "
                  f"from the store, {result.failed} failed) in {result.seconds:.1f} s on {result.executor}",
                  highlight=False)
    if result.busy:
        console.print(f"{result.busy} network(s) are being trained by another sweep on the same store; run again "
                      "later to include them", highlight=False)
    for path in result.quarantined:
        console.print(plain(f"corrupt row file moved to {path}; its network was run again"), soft_wrap=True)
    if corr:
        table = Table(title="Spearman rank correlation of spectrum features with test performance")
        table.add_column("feature")
        number_column(table, "rho")
        number_column(table, "networks")
        table.add_column("note", overflow="fold")
        for c in corr:
            table.add_row(c.feature, "n/a" if c.rho is None else f"{c.rho:+.3f}", str(c.networks), c.reason)
        show(table)
    if fit is not None:
        console.print(f"AeLLE: F1 of the good/bad split (median performance) from the latent PC1 {fit.f1_latent:.3f}"
                      f", from the best single feature ({fit.best_feature}) {fit.f1_best_feature:.3f}")
    console.print(plain(f"store {store}"), highlight=False, soft_wrap=True)

