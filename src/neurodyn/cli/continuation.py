"""``neurodyn bifurcation``: the bifurcation diagram of a reference family or of a user's vector-field model in
one parameter (equilibria, their folds, branch and Hopf points, and the periodic orbits born at the Hopf points)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

import neurodyn
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
    status_text,
    write_result,
    wrote,
)
from neurodyn.continuation.branch import LABELS
from neurodyn.continuation.cycles import CYCLE_LABELS
from neurodyn.errors import InvalidInputError, NeurodynError
from neurodyn.systems.reference import leaky_rotation, random_tanh_family

FAMILIES = ("tanh", "leaky-rotation")


def build_family(family: str, *, n: int, seed: int, omega: float):
    """The reference family and a JSON-safe description of it (the matrix included, so answers can be checked).

    ``tanh``: ``dx/dt = tanh((A + alpha I) x)`` with ``A = randn(n, n) / sqrt(n)`` from ``torch.Generator`` seeded
    with ``seed`` (float64): Hopf points at ``alpha = -Re lambda`` for each complex pair of ``A``.
    ``leaky-rotation``: ``dx/dt = -x + tanh(((1 + alpha) I + omega J) x)`` in the plane, ``J`` the rotation by
    90 degrees: a supercritical Hopf point at ``alpha = 0`` with frequency ``omega``.
    """
    if family == "tanh":
        if n < 1:
            raise InvalidInputError(f"--n must be at least 1, got {n}")
        system = random_tanh_family(n, seed)
        return system, dict(family=family, law="dx/dt = tanh((A + alpha I) x)", n=n, seed=seed,
                            A=system.tanh_form.W)
    if family == "leaky-rotation":
        system = leaky_rotation(omega)
        return system, dict(family=family, law="dx/dt = -x + tanh(((1 + alpha) I + omega J) x)", omega=omega)
    raise InvalidInputError(f"unknown family {family!r}: use one of {', '.join(FAMILIES)}, or --model "
                            "'package.module:factory' for your own vector field")


def build_model(spec: str, weights: Path | None, parameter: str):
    from neurodyn.io import load_model

    system = neurodyn.from_torch(load_model(spec, weights), params=[parameter], name=spec)
    if not isinstance(system, neurodyn.Flow):
        raise InvalidInputError(f"{spec} is not a vector field: bifurcation needs a module with forward(t, x)")
    return system, dict(model=spec, weights=None if weights is None else str(weights))


def bifurcation(
    family: str = typer.Option(None, help="reference family: 'tanh' (tanh((A + alpha I) x), A = randn(n, n)/sqrt(n), "
                                          "seeded) or 'leaky-rotation' (-x + tanh(((1 + alpha) I + omega J) x)); "
                                          "default tanh"),
    model: str = typer.Option(None, help="your vector field instead: 'package.module:factory' returning a module "
                                         "with forward(t, x) and a one-element parameter or buffer --parameter"),
    weights: Path = WEIGHTS_OPT,
    parameter: str = typer.Option("alpha", help="the parameter to vary (a model's: its name in the state dict)"),
    start: float = typer.Option(-1.5, help="parameter value where the equilibrium branch starts"),
    stop: float = typer.Option(1.5, help="parameter value where it stops"),
    x0: str = typer.Option(None, help="the equilibrium at --start, comma-separated (default: the origin)"),
    n: int = typer.Option(6, help="tanh family: state dimension"),
    seed: int = typer.Option(0, help="tanh family: seed of A"),
    omega: float = typer.Option(1.0, help="leaky-rotation family: the rotation frequency (radians per unit time)"),
    cycles: bool = typer.Option(True, help="continue the periodic orbits born at each Hopf point"),
    cycle_points: int = typer.Option(25, help="most periodic orbits per cycle branch"),
    orbit_steps: int = typer.Option(400, help="RK4 steps per period when shooting (relative errors of the orbits "
                                              "and multipliers ~ (2 pi / steps)^4)"),
    step: float = typer.Option(0.05, help="arclength step of the continuations"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for bifurcation.json and bifurcation.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Bifurcation diagram in one parameter: the equilibrium branch with its folds (LP), branch points (BP) and
    Hopf points (H), and the periodic orbits born at each Hopf point with their folds (LPC), period doublings (PD)
    and Neimark–Sacker points (NS); writes JSON and a PNG."""
    outputs = outputs_for(out, "bifurcation", overwrite=overwrite)
    with handled(debug, outputs):
        outputs.check()
        if model is not None and family is not None:
            raise InvalidInputError("give either --family or --model, not both")
        if model is None and weights is not None:
            raise InvalidInputError("--weights applies to a --model, not to a reference family")
        if model is not None:
            system, about = build_model(model, weights, parameter)
        else:
            system, about = build_family(family or "tanh", n=n, seed=seed, omega=omega)
        about["parameter"] = parameter
        if parameter in (system.params or {}):
            system = system.with_params(**{parameter: start})
        start_state = None
        if x0 is not None:
            try:
                start_state = [float(v) for v in x0.split(",")]
            except ValueError:
                raise InvalidInputError(f"--x0 {x0!r} must be comma-separated numbers") from None
        with status(progress, "equilibrium branch"):
            branch = neurodyn.continue_equilibria(system, param=parameter, start=start, stop=stop, x0=start_state,
                                                  step=step)
        orbits, failures = [], []
        for sp in (s for s in branch.special if s.kind == "hopf" and cycles):
            h = sp.hopf
            if h.kind == "degenerate":
                failures.append(dict(hopf=h.value, error="degenerate Hopf point (l1 = 0)"))
                continue
            end = max(start, stop) if -h.crossing / h.l1 > 0 else min(start, stop)
            if end == h.value:
                continue
            with status(progress, f"periodic orbits from the Hopf point at {parameter} = {h.value:.6g}"):
                try:
                    orbits.append(neurodyn.continue_periodic_orbits(
                        system, h, stop=end, step=step, max_points=cycle_points, steps_per_period=orbit_steps))
                except NeurodynError as exc:
                    failures.append(dict(hopf=h.value, error=str(exc)))
        data = dict(system=about, branch=branch, cycles=orbits, cycle_failures=failures)
        write_result(outputs, "bifurcation", data, lambda ax: branch.plot(ax=ax, orbits=orbits), size=(7.5, 5.5))
    _print_diagram(branch, orbits, failures, parameter, sorted((start, stop)))
    wrote(outputs, "bifurcation.json", "bifurcation.png")


def _print_diagram(branch, orbits, failures, parameter: str, interval) -> None:
    """The table of bifurcation points (or "none found"), the cycle branches that could not be continued, and
    the branch's status."""
    lo, hi = interval
    table = Table(title=f"Bifurcations of {branch.system} in {parameter} ∈ [{lo:g}, {hi:g}]")
    table.add_column("point")
    for col in (parameter, "|x|", "ω"):
        number_column(table, col)
    table.add_column("details")
    for s in branch.special:
        details = "" if s.hopf is None else f"l1 = {s.hopf.l1:.3g} ({s.hopf.kind})"
        ob = next((o for o in orbits if s.hopf is not None and o.hopf is s.hopf), None)
        if ob is not None:
            details += (f"; {len(ob.values)} cycles to {parameter} = {float(ob.values[-1]):.4g} "
                        f"({ob.status}), {'stable' if bool(ob.stable[0]) else 'unstable'} at birth")
        table.add_row(LABELS[s.kind], f"{s.value:.8g}", f"{float(s.x.norm()):.3g}",
                      "" if s.hopf is None else f"{s.hopf.omega:.6g}", details)
    for ob in orbits:
        for e in ob.special:
            table.add_row(CYCLE_LABELS[e.kind], f"{e.value:.8g}", f"{e.max_norm:.3g}", "",
                          f"cycle from H at {ob.hopf.value:.6g}, period {e.period:.5g}")
    if branch.special or any(ob.special for ob in orbits):
        show(table)
    else:
        console.print(f"no bifurcation point (fold, branch point or Hopf point) found on the branch for {parameter} "
                      f"in [{lo:g}, {hi:g}]: none found", highlight=False)
    for f in failures:
        console.print(Text(f"cycles from the Hopf point at {f['hopf']:.6g} not continued: ", style="yellow")
                      + Text(f["error"]), highlight=False)
    console.print(Text("branch status ") + status_text(branch.status))
