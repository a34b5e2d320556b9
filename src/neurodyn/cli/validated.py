"""``neurodyn prove``: computer-assisted proofs for every Hopf point of a family, or for every equilibrium of a
network, with a table of what was proven and the proofs as JSON (bounds as outward-rounded decimals)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import typer
from rich.progress import track
from rich.table import Table

import neurodyn
from neurodyn.cli._common import (
    DEBUG_OPT,
    OVERWRITE_OPT,
    PROGRESS_OPT,
    console,
    handled,
    number_column,
    outputs_for,
    show,
    status,
    write_result,
    wrote,
)
from neurodyn.cli.continuation import build_family
from neurodyn.errors import InvalidInputError
from neurodyn.systems.reference import random_tanh_field
from neurodyn.validated.proof import decimal_down, decimal_up

TARGETS = ("hopf", "equilibria")
FAMILIES = ("tanh", "leaky-rotation", "network")


def _network(n: int, seed: int, gain: float, bias: float):
    """:func:`~neurodyn.systems.random_tanh_field` and a JSON-safe description of it (its ``W`` and ``b``)."""
    system = random_tanh_field(n, gain=gain, bias=bias, seed=seed)
    return system, dict(family="network", law="dx/dt = -x + tanh(W x + b)", n=n, seed=seed, gain=gain, bias=bias,
                        W=system.tanh_form.W, b=system.tanh_form.b)


def _interval(proof, name: str) -> str:
    """``mid ± half-width`` for the table (the rigorous decimal bounds are in the JSON)."""
    if name not in proof.bounds:
        return ""
    lo, hi = proof.bounds[name]
    return f"{0.5 * (lo + hi):.8g} ± {_short(0.5 * (hi - lo))}"


def _short(x: float, down: bool = False) -> str:
    """Three significant digits, rounded outward (up, or down with ``down``)."""
    return f"{Decimal(decimal_down(x, 3) if down else decimal_up(x, 3)):.3g}"


def prove(
    target: str = typer.Argument("hopf", help="'hopf' (every Hopf point of a one-parameter family) or 'equilibria' "
                                              "(every equilibrium found, with its stability)"),
    family: str = typer.Option("tanh", help="'tanh' (tanh((A + alpha I) x), A = randn(n, n)/sqrt(n)), "
                                            "'leaky-rotation' (-x + tanh(((1 + alpha) I + omega J) x)) or 'network' "
                                            "(-x + tanh(W x + b), equilibria only)"),
    n: int = typer.Option(6, help="state dimension (tanh, network)"),
    seed: int = typer.Option(0, help="seed of the random matrices"),
    omega: float = typer.Option(1.0, help="leaky-rotation: the rotation frequency (radians per unit time)"),
    gain: float = typer.Option(2.0, help="network: gain g of W = g randn(n, n)/sqrt(n) (g > 1: several equilibria)"),
    bias: float = typer.Option(0.3, help="network: std of the bias b"),
    at: float = typer.Option(0.0, help="parameter value where the Hopf search starts, or where equilibria are taken"),
    start: float = typer.Option(None, help="hopf: keep points with alpha >= start"),
    stop: float = typer.Option(None, help="hopf: keep points with alpha <= stop"),
    starts: int = typer.Option(64, help="equilibria: random starts of the float search"),
    backend: str = typer.Option("fast", help="'fast' (float64 balls, any n) or 'arb' / 'arb:<bits>' (Arb balls)"),
    out: Path = typer.Option(Path("neurodyn-out"), help="folder for prove.json and prove.png"),
    progress: bool = PROGRESS_OPT,
    overwrite: bool = OVERWRITE_OPT,
    debug: bool = DEBUG_OPT,
):
    """Prove Hopf bifurcations (existence, a simple critical pair, transversality, the sign of l1) or equilibria
    (existence, uniqueness, stability) rigorously with interval arithmetic; prints what was proven and writes every
    proof to prove.json (bounds as outward-rounded decimals) and a picture to prove.png.

    Columns of the Hopf table: alpha, omega, l1 as midpoint ± half-width of the proven interval (l1: first
    Lyapunov coefficient; negative: supercritical, a stable cycle is born); radius: distance (max norm) from the
    float solution within which the zero of the extended Hopf system (x, alpha, eigenvector, omega) is proven to
    lie; seconds: time the proof took. Columns of the equilibria table: |x|_inf: largest coordinate of the
    equilibrium; r_min: radius of the ball proven to hold it; r_max: radius of the ball in which it is proven
    unique; max Re λ ≤: proven upper bound of the Jacobian's spectral abscissa (below 0: stable). The exact
    decimal bounds are in prove.json.
    """
    outputs = outputs_for(out, "prove", overwrite=overwrite)
    with handled(debug, outputs):
        outputs.check()
        if target not in TARGETS:
            raise InvalidInputError(f"unknown target {target!r}: use 'hopf' or 'equilibria'")
        if family not in FAMILIES:
            raise InvalidInputError(f"unknown family {family!r}: use one of {', '.join(FAMILIES)}")
        neurodyn.validated.get_backend(backend)  # a bad name fails before any work
        if family == "network":
            if target == "hopf":
                raise InvalidInputError("the 'network' family has no parameter: use --family tanh or leaky-rotation "
                                        "for Hopf points")
            if n < 1:
                raise InvalidInputError(f"--n must be at least 1, got {n}")
            system, about = _network(n, seed, gain, bias)
        else:
            system, about = build_family(family, n=n, seed=seed, omega=omega)
            system = system.with_params(alpha=at)
        about.update(target=target, backend=backend, at=at)
        if target == "hopf":
            rows, proofs, picture = _hopf(system, at, start, stop, backend, progress)
        else:
            rows, proofs, picture = _equilibria(system, starts, seed, backend, progress)
        write_result(outputs, "prove", dict(system=about, proofs=proofs), picture, size=(7, 5))
    table = Table(title=f"{'Hopf points' if target == 'hopf' else 'Equilibria'} of {system.name}: proofs "
                        f"({backend} backend)")
    for col in rows[0]:
        if col in ("proved", "conclusion", "reason"):
            table.add_column(col, overflow="fold")
        else:
            number_column(table, col)
    for row in rows[1:]:
        table.add_row(*row)
    show(table)
    what = [p for p in proofs if p.kind != "stability"]
    noun = "Hopf points" if target == "hopf" else "equilibria"
    summary = f"proved {sum(p.proved for p in what)} of {len(what)} {noun}"
    if target != "hopf":
        summary += f" (stability decided for {sum(p.proved for p in proofs if p.kind == 'stability')})"
    console.print(summary, highlight=False)
    wrote(outputs, "prove.json", "prove.png")


def _hopf(system, at, start, stop, backend, progress):
    interval = None if start is None and stop is None else (-math.inf if start is None else start,
                                                            math.inf if stop is None else stop)
    with status(progress, "float Hopf points"):
        points = neurodyn.find_hopf_points(system, param="alpha", start=at, interval=interval)
    if not points:
        raise InvalidInputError(f"no Hopf point found from the equilibrium at alpha = {at:g} (the origin's branch): "
                                "widen --start/--stop or change --at")
    proofs = list(neurodyn.prove_hopf_points(system, points, backend=backend, progress=progress))
    rows = [("#", "alpha", "omega", "l1", "conclusion", "radius", "seconds")]
    for i, p in enumerate(proofs):
        rows.append((str(i), _interval(p, "alpha"), _interval(p, "omega"), _interval(p, "l1"),
                     p.conclusion if p.proved else f"not proved: {p.reason}", _short(p.radius), f"{p.seconds:.2f}"))

    def picture(ax):
        colours = {"supercritical": "C0", "subcritical": "C3", "undecided": "0.6"}
        for kind, colour in colours.items():
            sel = [(p.bounds.get("alpha", (h.value,) * 2)[0], h.omega) for p, h in zip(proofs, points, strict=True)
                   if p.conclusion == kind]
            if sel:
                ax.plot(*zip(*sel, strict=True), "o", color=colour, ms=5,
                        label=f"{kind} ({len(sel)})" if kind != "undecided" else f"not proved ({len(sel)})")
        ax.set_xlabel("alpha (Hopf point)")
        ax.set_ylabel("omega (radians per unit time)")
        ax.set_title("Proven Hopf bifurcations")
        ax.legend()

    return rows, proofs, picture


def _equilibria(system, starts, seed, backend, progress):
    with status(progress, "float equilibria"):
        found = neurodyn.find_fixed_points(system, n_starts=starts, seed=seed)
    if not len(found.points):
        raise InvalidInputError("no equilibrium found: raise --starts")
    proofs = []
    points = track(found.points, description="proving", console=console, transient=True) if progress else found.points
    for x in points:
        eq = neurodyn.prove_equilibrium(system, x, backend=backend)
        proofs.append(eq)
        if eq.proved:
            proofs.append(neurodyn.prove_stability(system, eq))
    rows = [("#", "|x|_inf", "r_min", "r_max", "proved", "conclusion", "max Re λ ≤")]
    k = 0
    for p in proofs:
        if p.kind == "equilibrium":
            rows.append((str(k), f"{float(p.center.abs().max()):.4g}", _short(p.radius),
                         _short(p.uniqueness_radius, down=True), "yes" if p.proved else "no",
                         p.reason if not p.proved else "", ""))
            k += 1
        else:
            row = list(rows[-1])
            row[5] = p.conclusion if p.proved else f"stability undecided: {p.reason}"
            row[6] = _short(p.bounds["spectral_abscissa"][1]) if "spectral_abscissa" in p.bounds else ""
            rows[-1] = tuple(row)

    def picture(ax):
        stab = [p for p in proofs if p.kind == "stability"]
        if stab:
            stab[0].plot(ax=ax)
            ax.set_title(f"Gershgorin discs of equilibrium 0: {stab[0].conclusion}")

    return rows, proofs, picture
