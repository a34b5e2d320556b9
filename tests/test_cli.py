"""The `neurodyn` command and safe model loading."""

import json
import math
import os
import pickle
import sys
import textwrap

import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

import neurodyn as nd
from neurodyn.cli import app
from neurodyn.io import load_model, read_state_dict

runner = CliRunner()


@pytest.fixture
def user_model(tmp_path, monkeypatch):
    """A user's module file `mymodels.py` with a GRU factory and a vector-field factory."""
    (tmp_path / "mymodels.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn

        def gru():
            torch.manual_seed(0)
            return nn.GRU(3, 8, num_layers=2, batch_first=True)

        class Field(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 2)
            def forward(self, t, x):
                return -x + torch.tanh(self.lin(x))

        def field():
            return Field()

        def not_a_module():
            return 42
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("mymodels", None)


def test_reference_system_writes_json_and_png(tmp_path):
    result = runner.invoke(app, ["lyapunov", "henon", "--steps", "2000", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "lyapunov.json").read_text())
    assert abs(data["exponents"][0] - 0.4192) < 0.01 and data["units"] == "nats/step"
    assert (tmp_path / "lyapunov.png").read_bytes()[:4] == b"\x89PNG"


def test_reference_parameters(tmp_path):
    result = runner.invoke(app, ["lyapunov", "logistic", "--param", "r=3.2", "--steps", "500", "--out",
                                 str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "lyapunov.json").read_text())
    # stable period-2 orbit at r = 3.2 with multiplier f'(x1) f'(x2) = 4 + 2r - r^2 = 0.16
    assert data["exponents"][0] == pytest.approx(0.5 * math.log(0.16), abs=1e-3)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_user_model_with_weights(user_model, suffix):
    import mymodels

    torch.manual_seed(123)
    trained = torch.nn.GRU(3, 8, num_layers=2, batch_first=True)
    path = user_model / f"w{suffix}"
    if suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in trained.state_dict().items()}, str(path))
    else:
        torch.save({"model_state_dict": trained.state_dict(), "epoch": 3}, path)
    model = load_model("mymodels:gru", path)
    pairs = zip(model.state_dict().values(), trained.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not torch.equal(model.weight_hh_l0, mymodels.gru().weight_hh_l0)
    out = user_model / "out"
    result = runner.invoke(app, ["lyapunov", "mymodels:gru", "--weights", str(path), "--steps", "100",
                                 "--batch", "2", "--k", "4", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "lyapunov.json").read_text())
    assert len(data["exponents"]) == 4 and data["settings"]["batch"] == 2


def test_user_vector_field(user_model):
    out = user_model / "out"
    result = runner.invoke(app, ["lyapunov", "mymodels:field", "--steps", "200", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "lyapunov.json").read_text())
    assert data["kind"] == "flow" and data["settings"]["dt"] == 0.01


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_malicious_pickle_is_refused_not_executed(user_model):
    bad = user_model / "evil.pt"
    with open(bad, "wb") as f:
        pickle.dump({"weight": _Exploit()}, f)
    with pytest.raises(nd.UnsafeFileError, match="refused"):
        read_state_dict(bad)
    torch.save({"w": _Exploit()}, user_model / "evil_zip.pt")
    with pytest.raises(nd.UnsafeFileError):
        read_state_dict(user_model / "evil_zip.pt")
    result = runner.invoke(app, ["lyapunov", "mymodels:gru", "--weights", str(bad), "--out", "o", "--no-progress"])
    assert result.exit_code == 2 and "refused" in result.output
    assert not (user_model / "pwned").exists()
    assert not (user_model / "o").exists(), "nothing half-written"


@pytest.mark.parametrize(
    "args, message",
    [
        (["nosuchsystem"], "unknown system"),
        (["nosuchmodule:make"], "cannot import 'nosuchmodule'"),
        (["mymodels:missing"], "no callable 'missing'"),
        (["mymodels:not_a_module"], "not an nn.Module"),
        (["mymodels:gru", "--weights", "nowhere.pt"], "does not exist"),
        (["henon", "--param", "a"], "name=number"),
        (["henon", "--param", "q=1"], "no parameter"),
        (["henon", "--k", "5"], "k=5 exceeds"),
    ],
)
def test_bad_input_is_one_line_exit_2(user_model, args, message):
    result = runner.invoke(app, ["lyapunov", *args, "--out", "o", "--no-progress"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (user_model / "o").exists()


def test_mismatched_weights(user_model):
    torch.save(torch.nn.GRU(3, 5).state_dict(), user_model / "small.pt")
    result = runner.invoke(app, ["lyapunov", "mymodels:gru", "--weights", "small.pt", "--no-progress"])
    assert result.exit_code == 2 and "do not match" in result.output


def test_debug_shows_the_exception(user_model):
    result = runner.invoke(app, ["lyapunov", "nosuchsystem", "--debug"])
    assert result.exit_code != 0 and isinstance(result.exception, nd.InvalidInputError)


def test_fixed_points_of_a_reference_system(tmp_path):
    result = runner.invoke(app, ["fixed-points", "henon", "--n-starts", "32", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "fixed_points.json").read_text())
    xs = sorted(p[0] for p in data["fixed"]["points"])
    r = math.sqrt(0.7**2 + 4 * 1.4)
    assert xs == pytest.approx([(-0.7 - r) / 2.8, (-0.7 + r) / 2.8], abs=1e-12)
    assert data["fixed"]["stability"] == ["saddle", "saddle"]
    assert (tmp_path / "fixed_points.png").read_bytes()[:4] == b"\x89PNG"
    assert "2 fixed points" in " ".join(result.output.split())


def test_fixed_points_of_a_user_model(user_model):
    out = user_model / "out"
    result = runner.invoke(app, ["fixed-points", "mymodels:gru", "--n-starts", "64", "--u-star", "0,0,0.5",
                                 "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "fixed_points.json").read_text())
    assert data["u_star"] == [0.0, 0.0, 0.5] and data["kind"] == "map"
    assert len(data["fixed"]["points"]) >= 1 and max(data["fixed"]["residual"]) <= 1e-10


@pytest.mark.parametrize(
    "args, message",
    [
        (["mymodels:gru", "--u-star", "1,x"], "comma-separated numbers"),
        (["henon", "--u-star", "1"], "applies to recurrent models"),
        (["henon", "--starts", "grid"], "starts must be one of"),
        (["henon", "--tol", "0"], "tol must be a positive"),
    ],
)
def test_fixed_points_bad_input(user_model, args, message):
    result = runner.invoke(app, ["fixed-points", *args, "--out", "o", "--no-progress"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (user_model / "o").exists()


def test_report_for_a_user_model(user_model):
    torch.manual_seed(5)
    torch.save(torch.nn.GRU(3, 8, num_layers=2, batch_first=True).state_dict(), user_model / "w.pt")
    out = user_model / "rep"
    result = runner.invoke(app, ["report", "mymodels:gru", "--weights", "w.pt", "--steps", "200", "--n-starts", "32",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert "Fixed points and slow points" in page and "Lyapunov spectrum" in page
    assert page.count("data:image/png;base64,") == 2
    spec = json.loads((out / "lyapunov.json").read_text())
    assert len(spec["exponents"]) == 16 and spec["settings"]["steps"] == 200
    fp = json.loads((out / "fixed_points.json").read_text())
    assert max(fp["fixed"]["residual"]) <= 1e-10


@pytest.mark.parametrize(
    "args, message",
    [
        (["mymodels:gru", "--device", "cuda:7"] if not torch.cuda.is_available() else ["mymodels:gru", "--device",
                                                                                       "tpu"], "--device"),
        (["mymodels:gru", "--no-fixed-points", "--no-lyapunov"], "non-empty subset"),
        (["nosuchmodule:make"], "cannot import 'nosuchmodule'"),
    ],
)
def test_report_bad_input(user_model, args, message):
    result = runner.invoke(app, ["report", *args, "--out", "o"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output and not (user_model / "o").exists()
