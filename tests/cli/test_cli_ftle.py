"""`neurodyn ftle`: train (or load) a two-moons neural ODE, write the FTLE map and its summary."""

import json

import pytest
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_ftle_command_trains_saves_and_reloads(tmp_path):
    out, saved = tmp_path / "out", tmp_path / "moons.safetensors"
    res = runner.invoke(app, ["ftle", "--grid", "24", "--no-attack", "--out", str(out), "--save-model", str(saved)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "ftle.json").read_text())
    assert summary["accuracy"] > 0.97 and summary["auc"] > 0.8 and summary["grid_points"] == 24 * 24
    assert summary["spearman_ftle_vs_pgd_radius"] is None  # no attack run
    assert (out / "ftle.png").stat().st_size > 10_000 and saved.is_file()
    again = runner.invoke(app, ["ftle", "--weights", str(saved), "--grid", "24", "--no-attack", "--out",
                                str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "again" / "ftle.json").read_text())["auc"] == summary["auc"]
    bad = runner.invoke(app, ["ftle", "--weights", str(saved), "--hidden", "8", "--out", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "do not fit" in bad.output and not (tmp_path / "bad" / "ftle.json").exists()
