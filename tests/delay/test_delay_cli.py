"""`neurodyn lyapunov` on delay systems: the reference mackey-glass and a user's module with forward(t, x, x_tau)."""

import json
import textwrap

from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def test_mackey_glass_from_the_command_line(tmp_path):
    res = runner.invoke(app, ["lyapunov", "mackey-glass", "--param", "tau=17", "--steps", "300", "--transient", "50",
                              "--tangent-transient", "50", "--batch", "2", "--no-progress", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "lyapunov.json").read_text())
    assert data["kind"] == "delay" and len(data["exponents"]) == 4 and data["settings"]["dt"] == 1.0
    assert data["settings"]["tangent_dim"] == 2 * 18  # values and slopes at the 18 nodes of [t - 17, t]


def test_user_delay_module_and_bad_step(tmp_path, monkeypatch):
    (tmp_path / "ddemodel.py").write_text(textwrap.dedent("""
        import torch

        class Net(torch.nn.Module):
            tau = 0.5

            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(2, 1)

            def forward(self, t, x, x_tau):
                return -x + torch.tanh(self.lin(torch.cat((x, x_tau), -1)))

        def make():
            torch.manual_seed(0)
            return Net()
    """))
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["lyapunov", "ddemodel:make", "--steps", "100", "--transient", "20",
                              "--tangent-transient", "20", "--k", "2", "--no-progress",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "out" / "lyapunov.json").read_text())
    assert data["kind"] == "delay" and data["exponents"][0] < 0  # -x + a contraction: every direction decays
    res = runner.invoke(app, ["lyapunov", "ddemodel:make", "--dt", "0.3", "--no-progress", "--out",
                              str(tmp_path / "out2")])
    assert res.exit_code != 0 and "dt=0.3 does not divide the delay 0.5" in res.output
