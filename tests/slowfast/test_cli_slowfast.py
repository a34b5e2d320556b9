"""`neurodyn slowfast`: JSON + PNG for a reference system, no silent overwrite, bad input."""

import json

from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def test_slowfast_command_writes_json_and_png(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["slowfast", "davis-skodje", "--param", "gamma=40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "slowfast.json").read_text())
    assert data["split"]["n_fast"] == 1 and data["split"]["status"] == "ok"
    assert data["time_scales"]["status"] == "ok"
    eps = data["time_scales"]["eps"]
    assert all(abs(e - 1 / 40) < 1e-12 for e in eps)
    assert data["error"]["predicted_rate"] == 40.0
    assert (out / "slowfast.png").stat().st_size > 10_000
    before = (out / "slowfast.json").read_bytes()
    again = runner.invoke(app, ["slowfast", "davis-skodje", "--out", str(out)])
    assert again.exit_code != 0 and "--overwrite" in again.output
    assert (out / "slowfast.json").read_bytes() == before
    forced = runner.invoke(app, ["slowfast", "davis-skodje", "--out", str(out), "--overwrite"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "slowfast.json").read_text())["time_scales"]["eps"][0] == 1 / 20


def test_slowfast_command_bad_input(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    res = runner.invoke(app, ["slowfast", "davis-skodje", "--out", str(blocker)])
    assert res.exit_code != 0 and "is a file" in res.output
    res = runner.invoke(app, ["slowfast", "lorenz", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "unknown system" in res.output
    res = runner.invoke(app, ["slowfast", "davis-skodje", "--param", "rho=1", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "no parameter" in res.output
    res = runner.invoke(app, ["slowfast", "davis-skodje", "--order", "3", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "order" in res.output
    assert not (tmp_path / "o" / "slowfast.json").exists()
