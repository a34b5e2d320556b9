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


def test_slowfast_command_on_a_user_vector_field(tmp_path, monkeypatch):
    import sys
    import textwrap

    (tmp_path / "stiffmodels.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn

        class Stiff(nn.Module):
            def __init__(self):
                super().__init__()
                A = torch.tensor([[-1.0, 0.0, 0.0], [0.5, -100.0, 0.0], [0.2, 0.3, -200.0]])
                self.register_buffer("A", A)
                self.dim = 3

            def forward(self, t, x):
                return x @ self.A.T + 0.1 * torch.tanh(x)

        def make():
            return Stiff()

        def make_rnn():
            return nn.GRU(2, 3)
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        out = tmp_path / "out"
        res = runner.invoke(app, ["slowfast", "stiffmodels:make", "--out", str(out)])
        assert res.exit_code == 0, res.output
        data = json.loads((out / "slowfast.json").read_text())
        assert data["split"]["n_fast"] == 2 and data["split"]["status"] == "ok"
        # rates near 1 - 0.1 s and 100, 200 (s = 1 - tanh^2 <= 1): eps near 1/100
        assert all(0.008 < e < 0.0102 for e in data["time_scales"]["eps"])
        res = runner.invoke(app, ["slowfast", "stiffmodels:make_rnn", "--out", str(tmp_path / "rnn")])
        assert res.exit_code != 0 and "not a recurrent map" in res.output.replace("\n", " ")
    finally:
        sys.modules.pop("stiffmodels", None)


def test_slowfast_command_progress_option(tmp_path, monkeypatch):
    """The spinners run with the default --progress and not with --no-progress; the files are the same."""
    from neurodyn.cli import _common

    shown = []
    real = _common.console.status
    monkeypatch.setattr(_common.console, "status", lambda text, **kw: shown.append(str(text)) or real(text, **kw))
    quiet = runner.invoke(app, ["slowfast", "davis-skodje", "--out", str(tmp_path / "q"), "--no-progress"])
    assert quiet.exit_code == 0, quiet.output
    assert shown == []
    loud = runner.invoke(app, ["slowfast", "davis-skodje", "--out", str(tmp_path / "l")])
    assert loud.exit_code == 0, loud.output
    assert shown == ["trajectories, time scales and the split", "reduced against full trajectories"]
    assert (tmp_path / "q" / "slowfast.json").read_text() == (tmp_path / "l" / "slowfast.json").read_text()
