"""Nothing a user owns is destroyed, and every failure a user can cause is one line with exit code 2: output
files written whole through unique temporary names, existing files kept unless --overwrite, the output folder
checked before the work, user strings shown literally (no Rich markup, no mathtext)."""

import json
import os
import sys
import textwrap

import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
FAST = ["lyapunov", "henon", "--steps", "200", "--no-progress"]


def one_line_error(res, *words):
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and text.startswith("error:"), res.output
    assert len([ln for ln in res.output.splitlines() if ln.startswith("error:")]) == 1
    for word in words:
        assert word in text, (word, text)


def test_a_planted_tmp_symlink_is_never_followed(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious")
    for name in ("lyapunov.json.tmp", "lyapunov.tmp.png"):  # the names the writer used to open
        os.symlink(victim, out / name)
    res = runner.invoke(app, [*FAST, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert victim.read_text() == "precious"
    assert json.loads((out / "lyapunov.json").read_text())["system"].startswith("henon")
    assert (out / "lyapunov.png").read_bytes()[:4] == b"\x89PNG"


def test_an_existing_output_is_kept_unless_overwrite_and_nothing_runs(tmp_path):
    (tmp_path / "lyapunov.json").write_text("my notes")
    res = runner.invoke(app, ["lyapunov", "lorenz", "--steps", "10000000", "--out", str(tmp_path), "--no-progress"])
    one_line_error(res, "lyapunov.json", "--overwrite")  # refused at once: ten million steps never start
    assert (tmp_path / "lyapunov.json").read_text() == "my notes" and not (tmp_path / "lyapunov.png").exists()
    res = runner.invoke(app, [*FAST, "--out", str(tmp_path), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "lyapunov.json").read_text())["settings"]["steps"] == 200
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.parametrize("name", ["precious.py", "weights.safetensors"])
def test_save_model_never_replaces_a_file(tmp_path, name):
    target = tmp_path / name
    target.write_text("print('my code')")
    res = runner.invoke(app, ["ftle", "--epochs", "1", "--grid", "4", "--no-attack", "--out", str(tmp_path / "o"),
                              "--save-model", str(target), "--no-progress"])
    one_line_error(res, name, ".safetensors" if name.endswith(".py") else "--overwrite")
    assert target.read_text() == "print('my code')" and not (tmp_path / "o").exists()


def test_the_output_folder_is_checked_before_the_analysis(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = runner.invoke(app, ["lyapunov", "lorenz", "--steps", "10000000", "--out", str(afile), "--no-progress"])
    one_line_error(res, "afile", "is a file")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            res = runner.invoke(app, ["lyapunov", "lorenz", "--steps", "10000000", "--out", str(locked / "sub"),
                                      "--no-progress"])
            one_line_error(res, "cannot write into", "locked")
        finally:
            locked.chmod(0o700)


def test_user_strings_are_shown_literally(tmp_path):
    out = tmp_path / "runs[best]" / "gru[v2][/]"
    res = runner.invoke(app, [*FAST, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "runs[best]" in res.output and "gru[v2][/]" in res.output  # printed as given, not read as markup
    assert (out / "lyapunov.json").is_file()


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    (tmp_path / "odd_models.py").write_text(textwrap.dedent("""
        import sys
        import torch
        from torch import nn

        def make_gru():
            torch.manual_seed(0)
            return nn.GRU(64, 8, batch_first=True)

        def quits():
            sys.exit(3)

        def field():
            torch.manual_seed(0)
            return Field()

        class Field(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 2)
            def forward(self, t, x):
                return -x + torch.tanh(self.lin(x))

        globals()["$x^{$"] = field  # a factory name that is not valid mathtext

        class Linear(nn.Module):
            dim = 2

            def __init__(self):
                super().__init__()
                self.a = nn.Parameter(torch.tensor([-1.0]))
            def forward(self, t, x):
                return self.a * x

        def linear():
            return Linear()
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("odd_models", None)


def test_a_dollar_in_a_model_name_is_not_mathtext(user_models):
    res = runner.invoke(app, ["lyapunov", "odd_models:$x^{$", "--steps", "100", "--out", "o", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (user_models / "o" / "lyapunov.png").stat().st_size > 1000


@pytest.mark.parametrize("args, words", [
    (["sharpness", "odd_models:make_gru"], ["GRU returned tuple", "(examples, outputs)"]),
    (["sharpness", "odd_models:quits"], ["sys.exit(3)"]),
    (["lyapunov", "odd_models:field", "--weights", "."], ["is a folder"]),
    (["sharpness", "--data", "bad.safetensors"], ["NaN/inf", "inputs"]),
    (["sharpness", "--data", "wide.safetensors"], ["cannot be evaluated", "(20, 65)", "feature width"]),
    (["lyapunov", "henon", "--k", "5"], ["--k=5 exceeds"]),  # the command's flag, not the library's keyword
])
def test_user_caused_failures_are_one_line_errors(user_models, args, words):
    X = torch.randn(20, 64, generator=torch.Generator().manual_seed(0))
    X[3, 5] = float("nan")
    save_file({"inputs": X, "targets": torch.zeros(20, 10)}, "bad.safetensors")
    save_file({"inputs": torch.zeros(20, 65), "targets": torch.zeros(20, 10)}, "wide.safetensors")
    res = runner.invoke(app, [*args, "--out", "o", "--no-progress"])
    one_line_error(res, *words)
    assert not (user_models / "o").exists()


def test_bifurcation_of_a_model_without_events_says_none_found(user_models):
    res = runner.invoke(app, ["bifurcation", "--model", "odd_models:linear", "--parameter", "a", "--start", "-1",
                              "--stop", "-0.5", "--out", "o", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "none found" in res.output and "┃" not in res.output
    assert json.loads((user_models / "o" / "bifurcation.json").read_text())["branch"]["special"] == []


WRITERS = ("lyapunov", "fixed-points", "bifurcation", "prove", "ftle", "sharpness", "eos", "sweep", "demo", "report",
           "attractors", "kuramoto")


@pytest.mark.parametrize("command", WRITERS)
def test_every_writing_command_has_overwrite_and_progress(command):
    res = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0 and "--overwrite" in res.output and "--progress" in res.output


def test_prove_help_explains_its_columns():
    text = " ".join(runner.invoke(app, ["prove", "--help"], terminal_width=200).output.split())
    for column in ("radius: distance", "seconds: time the proof took", "r_min:", "r_max:", "max Re λ ≤:"):
        assert column in text
