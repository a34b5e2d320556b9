"""``neurodyn slowfast``: time scales, slow/fast split, reduced system and its error; writes JSON and a PNG."""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
import typer
from rich.table import Table

from neurodyn.cli._common import DEBUG_OPT, PARAM_OPT, PROGRESS_OPT, WEIGHTS_OPT, console, fail, parse_params, status
from neurodyn.errors import InvalidInputError, NeurodynError

# reference systems of the command: factory name, default parameters, default transient (time units)
SLOWFAST_SYSTEMS = {
    "davis-skodje": ("davis_skodje", {"gamma": 20.0}, 0.0),
    "planted-tanh": ("planted_tanh", {"n": 50, "n_slow": 5, "eps": 0.01}, 6.0),
}
MODEL_TRANSIENT = 1.0


def _build(system: str, weights: Path | None, params: dict):
    """The flow and its default transient for a reference name or a 'package.module:factory' model."""
    import inspect

    import neurodyn
    from neurodyn.io import load_model

    if system in SLOWFAST_SYSTEMS:
        if weights is not None:
            raise InvalidInputError(f"--weights applies to a user's model, not to the reference system {system!r}")
        name, defaults, transient = SLOWFAST_SYSTEMS[system]
        factory = getattr(neurodyn, name)
        allowed = set(inspect.signature(factory).parameters)
        unknown = set(params) - allowed
        if unknown:
            raise InvalidInputError(f"{system} has no parameter(s) {sorted(unknown)}; it takes {sorted(allowed)}")
        return factory(**{**defaults, **params}), transient
    if ":" not in system:
        raise InvalidInputError(f"unknown system {system!r}: give a reference system "
                                f"({', '.join(SLOWFAST_SYSTEMS)}) or a vector-field model as 'package.module:factory'")
    if params:
        raise InvalidInputError("--param applies to reference systems only")
    flow = neurodyn.from_torch(load_model(system, weights), name=system)
    if not isinstance(flow, neurodyn.Flow):
        raise InvalidInputError(f"{system!r} is a {type(flow).__name__}: slowfast needs a vector field (an nn.Module "
                                "with forward(t, x)), not a recurrent map")
    return flow, MODEL_TRANSIENT


def _figure_png(ts, split, err) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(27, 4.6))
    try:
        ts.plot(axes[0])
        split.plot(axes[1])
        err.plot(axes[2:])
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    return buf.getvalue()


def slowfast(
    system: str = typer.Argument(..., help="reference system (davis-skodje, planted-tanh) or a vector-field model "
                                           "'package.module:factory' (an nn.Module with forward(t, x))"),
    weights: Path = WEIGHTS_OPT,
    param: list[str] = PARAM_OPT,
    batch: int = typer.Option(4, help="number of sampled initial states"),
    transient: float = typer.Option(None, help="time each sampled state runs before the split (default: 0 for "
                                               "davis-skodje, 6 for planted-tanh, 1 for models)"),
    horizon: float = typer.Option(2.0, help="time over which the reduced system is compared with the full one"),
    n_fast: int = typer.Option(None, help="number of fast modes (default: the largest spectral gap)"),
    order: int = typer.Option(1, help="slow-manifold order: 0 (fixed basis) or 1 (CSP-refined basis)"),
    max_eps: float = typer.Option(0.1, help="largest time-scale ratio that counts as a separation"),
    seed: int = typer.Option(0, help="seed of the sampled initial states"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for slowfast.json and slowfast.png"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace slowfast.json/png if they exist"),
    progress: bool = PROGRESS_OPT,
    debug: bool = DEBUG_OPT,
):
    """Slow-fast structure of a flow: time scales along the first sampled trajectory (over transient + horizon),
    the slow/fast split near the sampled states after the transient, the reduced slow system and its error
    against the full one over the horizon; writes JSON and a PNG."""
    from neurodyn._files import atomic_write, check_new_file, check_output_dir
    from neurodyn.results import to_jsonable
    from neurodyn.slowfast import slow_fast, time_scales
    from neurodyn.slowfast.error import trajectory

    try:
        folder = check_output_dir(out)
        json_path, png_path = folder / "slowfast.json", folder / "slowfast.png"
        for path in (json_path, png_path):
            check_new_file(path, overwrite=overwrite, flag="--overwrite")
        if batch < 1:
            raise InvalidInputError(f"--batch must be at least 1, got {batch}")
        if transient is not None and transient < 0:
            raise InvalidInputError(f"--transient must be >= 0, got {transient}")
        flow, default_transient = _build(system, weights, parse_params(param))
        transient = default_transient if transient is None else transient
        x0 = flow.sample_state(batch, torch.Generator().manual_seed(seed))
        with status(progress, "trajectories, time scales and the split"):
            ts = time_scales(flow, trajectory(flow, x0[:1], transient + horizon, 50, rtol=1e-8, atol=1e-10)[:, 0],
                             n_fast=n_fast, max_eps=max_eps)
            start = trajectory(flow, x0, transient, 1, rtol=1e-8, atol=1e-10)[-1] if transient > 0 else x0
            split = slow_fast(flow, start, n_fast=n_fast, order=order, max_eps=max_eps)
        with status(progress, "reduced against full trajectories"):
            err = split.error(horizon, steps=50)
        data = {"system": flow.name, "time_scales": ts.to_dict(), "split": split.to_dict(), "error": err.to_dict()}
        png = _figure_png(ts, split, err)
        atomic_write(json_path, json.dumps(to_jsonable(data), indent=1), overwrite=overwrite, flag="--overwrite")
        atomic_write(png_path, png, overwrite=overwrite, flag="--overwrite")
    except NeurodynError as exc:
        fail(exc, debug)
        return
    table = Table(title=f"slow-fast structure of {flow.name}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [("time scales along the first trajectory", f"{ts.status.value}, {ts.n_fast} fast"),
            ("eps along it (min .. max)", f"{float(ts.eps.min()):.3g} .. {float(ts.eps.max()):.3g}"),
            ("split", f"{split.n_slow} slow + {split.n_fast} fast, order {split.order}, {split.status.value}"),
            ("slowest fast rate (1/time)", f"{split.fast_rate:.4g}"),
            (f"reduced vs full, max distance after t = {err.layer:.3g}", f"{err.max_error:.3g}"),
            ("approach rate to the slow manifold (median)", f"{float(err.approach_rate.nanmedian()):.4g}")]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"wrote {json_path} and {png_path}")
