"""`neurodyn sharpness` and `neurodyn eos`."""

import json

import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from neurodyn.cli import app
from neurodyn.data import digits
from neurodyn.models import digits_mlp
from neurodyn.training import half_mse, sharpness

runner = CliRunner()


def test_sharpness_command_on_the_builtin_digits_mlp(tmp_path):
    res = runner.invoke(app, ["sharpness", "--n", "100", "--k", "2", "--lr", "0.5", "--trace", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "sharpness.json").read_text())
    X, Y = digits(100)
    expected = sharpness(digits_mlp(), half_mse, (X, Y), k=2).eigenvalues.tolist()
    assert saved["eigenvalues"] == expected and "2/lr = 4" in res.output and "trace" in res.output
    assert (tmp_path / "sharpness.png").stat().st_size > 5000


def test_sharpness_command_with_a_data_file_and_bad_input(tmp_path):
    X, y = digits(50, onehot=False)
    save_file({"inputs": X, "targets": y}, str(tmp_path / "d.safetensors"))
    ok = runner.invoke(app, ["sharpness", "--data", str(tmp_path / "d.safetensors"), "--loss", "cross-entropy",
                             "--k", "1", "--out", str(tmp_path / "ce")])
    assert ok.exit_code == 0, ok.output
    save_file({"x": torch.zeros(3)}, str(tmp_path / "bad.safetensors"))
    bad = runner.invoke(app, ["sharpness", "--data", str(tmp_path / "bad.safetensors"), "--out", str(tmp_path / "b")])
    assert bad.exit_code != 0 and "'inputs' and 'targets'" in bad.output
    bad = runner.invoke(app, ["sharpness", "--loss", "hinge", "--out", str(tmp_path / "b")])
    assert bad.exit_code != 0 and "--loss" in bad.output and not (tmp_path / "b").exists()


def test_eos_command_writes_plot_and_json(tmp_path):
    res = runner.invoke(app, ["eos", "--lr", "0.2", "--steps", "30", "--n", "100", "--every", "10", "--no-progress",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "eos.json").read_text())
    assert saved["0.2"]["sharpness_steps"] == [0, 10, 20] and saved["0.2"]["threshold"] == [10.0] * 3
    assert (tmp_path / "eos.png").stat().st_size > 10_000


def test_learning_rates_are_checked_before_any_work(tmp_path):
    for args in (["sharpness", "--lr", "0"], ["eos", "--lr", "-0.1"], ["eos", "--lr", "0.1", "--lr", "0.1"]):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "x")])
        assert res.exit_code != 0 and "--lr must be" in res.output and not (tmp_path / "x").exists()
