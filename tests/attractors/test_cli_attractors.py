"""`neurodyn attractors`: a neural-ODE model given as module:factory, its JSON and PNG, and one-line errors."""

import json

from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
SHORT = ["--count", "6", "--box=-3,3", "--transient", "15", "--window", "10", "--lyapunov-time", "20", "--dt", "0.02"]


def test_model_limit_cycle_written_as_json_and_png(tmp_path):
    res = runner.invoke(app, ["attractors", "attractor_systems:tanh_cycle", *SHORT, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "attractors.json").read_text())
    assert data["status"] == "converged" and data["settings"]["count"] == 6
    (a,) = data["attractors"]
    assert a["kind"] == "limit cycle" and a["basin_fraction"] == 1.0 and a["orbit"]["status"] == "converged"
    assert (tmp_path / "attractors.png").stat().st_size > 10_000
    assert "limit cycle" in res.output and "attractors.json" in res.output
    # the files exist now: a second run refuses to replace them before computing anything
    again = runner.invoke(app, ["attractors", "attractor_systems:tanh_cycle", *SHORT, "--out", str(tmp_path)])
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_bad_input_is_one_error_line(tmp_path):
    res = runner.invoke(app, ["attractors", "henon", "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "Map" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists()
    res = runner.invoke(app, ["attractors", "lorenz", "--box", "1", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "--box" in res.output


def test_help_lists_overwrite_and_progress():
    res = runner.invoke(app, ["attractors", "--help"], terminal_width=200)
    assert res.exit_code == 0 and "--overwrite" in res.output and "--progress" in res.output
    assert "attractors" in runner.invoke(app, ["--help"], terminal_width=200).output
