"""The ``neurodyn`` command: a thin layer that parses, calls the library, prints and saves (typer).

The commands live by subject in ``systems`` (lyapunov, fixed-points), ``continuation`` (bifurcation),
``attractors`` (attractors), ``validated`` (prove), ``classifier`` (ftle), ``slowfast`` (slowfast), ``training``
(sharpness, eos), ``sweep`` (sweep), ``kuramoto`` (kuramoto) and ``reports`` (demo, report), and are registered
here in the order ``--help`` lists them.
"""

from __future__ import annotations

import sys

import typer

import neurodyn
from neurodyn.cli import (
    attractors,
    classifier,
    continuation,
    kuramoto,
    reports,
    slowfast,
    sweep,
    systems,
    training,
    validated,
)
from neurodyn.cli._common import app, console

__all__ = ["app"]

app.command()(systems.lyapunov)
app.command("fixed-points")(systems.fixed_points)
app.command()(continuation.bifurcation)
app.command()(attractors.attractors)
app.command()(validated.prove)
app.command()(classifier.ftle)
app.command()(slowfast.slowfast)
app.command()(training.sharpness)
app.command()(training.eos)
app.command()(sweep.sweep)
app.command()(kuramoto.kuramoto)
app.command()(reports.demo)
app.command()(reports.report)


@app.callback(invoke_without_command=True)
def main(version: bool = typer.Option(False, "--version", help="print the version and exit")):
    if version:
        console.print(f"neurodyn {neurodyn.__version__}")
        raise typer.Exit()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
