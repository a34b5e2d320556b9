"""``neurodyn report MODEL``: the demo's analyses on a user's model, with defaults for each kind of model."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import torch

import neurodyn as nd
from neurodyn.report.html import (
    FIXED_POINT_HEADER,
    Section,
    figure_png,
    fixed_point_rows,
    render,
    report_outputs,
    write_report,
)
from neurodyn.report.notes import KeyNumber, convergence_note

ANALYSES = ("fixed-points", "lyapunov")


def model_report(system, out: Path, *, analyses=ANALYSES, seed: int = 0, input_std: float = 1.0,
                 steps: int = 1000, n_starts: int = 256, log=print, overwrite: bool = False,
                 overwrite_flag: str = "overwrite=True") -> Path:
    """Analyse ``system`` (a :class:`~neurodyn.Map`/:class:`~neurodyn.Flow`) and write ``out/report.html`` plus
    one JSON file per result; nothing is written unless every analysis finishes. The folder is checked first
    (writable, and no file of the report there unless ``overwrite``; ``overwrite_flag`` is how the caller's user
    asks for that, quoted in the error), so a run never ends in a file error.

    Recurrent models are driven by seeded Gaussian inputs of standard deviation ``input_std`` (their fixed
    points are sought at zero input); flows are integrated with RK4 steps of 0.01 time units.
    """
    unknown = set(analyses) - set(ANALYSES)
    if unknown or not analyses:
        raise nd.InvalidInputError(f"analyses must be a non-empty subset of {ANALYSES}, got {sorted(analyses)}")
    outputs = report_outputs(out, [a.replace("-", "_") for a in analyses], overwrite=overwrite, flag=overwrite_flag)
    try:
        page, results = _model_page(system, analyses, seed=seed, input_std=input_std, steps=steps,
                                    n_starts=n_starts, log=log)
    except BaseException:
        outputs.discard()
        raise
    return write_report(outputs, page, results)


def _model_page(system, analyses, *, seed, input_std, steps, n_starts, log) -> tuple[str, dict]:
    t0 = time.perf_counter()
    inputs = None
    if system.input_dim:
        gen = torch.Generator().manual_seed(seed + 1)
        inputs = input_std * torch.randn(8, steps + 200, system.input_dim, generator=gen, dtype=torch.float64)
    sections, key, results = [], [], {}
    if "fixed-points" in analyses:
        sections.append(_fixed_point_section(system, inputs, n_starts, seed, results, key, log))
    if "lyapunov" in analyses:
        sections.append(_lyapunov_section(system, inputs, steps, seed, results, key, log))
    settings = dict(model=system.name, analyses=", ".join(analyses), seed=seed, input_std=input_std, steps=steps,
                    n_starts=n_starts)
    settings["wall time (s)"] = f"{time.perf_counter() - t0:.1f}"
    page = render(f"neurodyn report: {system.name}", f"{type(system).__name__} with state dimension {system.dim}"
                  + (f" and input dimension {system.input_dim}" if system.input_dim else "") + ".",
                  sections, [k.row(False) for k in key], settings)
    return page, results


def _fixed_point_section(system, inputs, n_starts, seed, results, key, log) -> Section:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", nd.ConvergenceWarning)
        fp = nd.find_fixed_points(system, inputs=None if inputs is None else inputs[:, :200], n_starts=n_starts,
                                  seed=seed)
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, nd.ConvergenceWarning)))
    results["fixed_points"] = fp
    log(f"fixed points: {fp}")
    what = "equilibria" if isinstance(system, nd.Flow) else "fixed points"
    key.append(KeyNumber(what, str(len(fp.fixed)), f"{len(fp.fixed.stable)} stable, {len(fp.slow)} slow points",
                         note="; ".join(notes)))
    return Section(
        f"{what.capitalize()} and slow points",
        f"{n_starts} starts (half on sampled trajectories, half inside their hull and bounding box) solved "
        "by a batched trust-region Newton method; every point listed has residual |F(x)| <= 1e-10. "
        + ("Fixed points at zero input." if system.input_dim else ""),
        figures=[("Points (colour: stability) and sampled trajectories",
                  figure_png(lambda ax: fp.plot(ax=ax), size=(7, 5.5)))],
        header=FIXED_POINT_HEADER[fp.kind], rows=fixed_point_rows(fp), notes=notes,
    )


def _lyapunov_section(system, inputs, steps, seed, results, key, log) -> Section:
    is_flow = isinstance(system, nd.Flow)
    run = dict(steps=steps, transient=100, tangent_transient=100, seed=seed)
    if is_flow:
        run.update(dt=0.01, batch=4)
    elif inputs is not None:
        run.update(inputs=inputs, layout="batch_first")
    else:
        run["batch"] = 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nd.ConvergenceWarning)  # the note is derived from the result below
        spec = nd.lyapunov_spectrum(system, qr_every="auto" if not is_flow else 1, **run)
    results["lyapunov"] = spec
    log(f"Lyapunov spectrum: {spec}")
    note = convergence_note(spec, raise_what="--steps")
    key.append(KeyNumber("largest Lyapunov exponent", f"{spec.maximal:+.4f} ± {float(spec.stderr[0]):.4f} {spec.units}",
                         "> 0: chaotic" if spec.maximal > 3 * float(spec.stderr[0]) else "not chaotic", note=note))
    key.append(KeyNumber("Kaplan–Yorke dimension", f"{spec.kaplan_yorke_dimension():.3f}", ""))
    return Section(
        "Lyapunov spectrum",
        f"All {len(spec.exponents)} exponents by the QR method over {steps} steps"
        + (" driven by Gaussian input sequences" if inputs is not None else "")
        + f", mean ± standard error; status: {spec.status}.",
        figures=[("Lyapunov spectrum", figure_png(lambda ax: spec.plot(ax=ax, kind="spectrum")))],
        notes=[f"largest exponent: {note}"] if note else [],
    )
