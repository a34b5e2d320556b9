"""`neurodyn bifurcation`: the Hopf and branch points of reference families and of a user's model against their
exact values, the cycle branch of the leaky tanh rotation, and one-line errors for bad input."""

import json
import math
import textwrap

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def run(args):
    res = runner.invoke(app, ["bifurcation", *args])
    return res, res.output


def test_leaky_rotation_hopf_point_and_cycles(tmp_path):
    omega = 1.5
    res, out = run(["--family", "leaky-rotation", "--omega", str(omega), "--start", "-0.3", "--stop", "0.3",
                    "--cycle-points", "4", "--out", str(tmp_path)])
    assert res.exit_code == 0, out
    data = json.loads((tmp_path / "bifurcation.json").read_text())
    assert (tmp_path / "bifurcation.png").stat().st_size > 10_000 and "H" in out
    assert data["system"]["family"] == "leaky-rotation" and data["branch"]["status"] == "reached stop"
    (hopf,) = data["branch"]["special"]
    h = hopf["hopf"]
    # eigenvalues alpha +- i omega at x = 0; l1 = -(1 + omega^2) / (2 omega) in closed form (see test_hopf.py);
    # Newton's tolerance 1e-10
    assert hopf["kind"] == "hopf" and abs(h["value"]) < 1e-10 and h["omega"] == pytest.approx(omega, abs=1e-10)
    assert h["l1"] == pytest.approx(-(1 + omega**2) / (2 * omega), rel=1e-8) and h["kind"] == "supercritical"
    (cycles,) = data["cycles"]
    a, r, T = (torch.tensor(cycles[k], dtype=torch.float64) for k in ("values", "amplitudes", "periods"))
    assert len(a) == 4 and bool((a > 0).all()) and all(cycles["stable"])
    # r = 2 sqrt(alpha / (1 + omega^2)) (1 + O(alpha)) and T = 2 pi / omega (1 + alpha + O(alpha^2)), the next
    # terms' coefficients below 1 (tests/continuation/test_cycles.py)
    assert bool(((r / (2 * torch.sqrt(a / (1 + omega**2))) - 1).abs() <= a).all())
    assert bool(((T * omega / (2 * math.pi) - 1 - a).abs() <= a**2).all())
    assert data["cycle_failures"] == []


def test_tanh_family_events_at_the_eigenvalues_of_a(tmp_path):
    n, seed = 5, 3
    res, out = run(["--family", "tanh", "--n", str(n), "--seed", str(seed), "--start", "-3", "--stop", "3",
                    "--no-cycles", "--out", str(tmp_path)])
    assert res.exit_code == 0, out
    data = json.loads((tmp_path / "bifurcation.json").read_text())
    A = torch.tensor(data["system"]["A"], dtype=torch.float64)
    # the family is reproducible from its seed, as documented
    torch.testing.assert_close(A, torch.randn(n, n, generator=torch.Generator().manual_seed(seed),
                                              dtype=torch.float64) / math.sqrt(n), rtol=0, atol=0)
    # along x = 0 the eigenvalues are lambda_k(A) + alpha: Hopf points at -Re lambda of each complex pair, branch
    # points at -lambda of each real eigenvalue (all inside [-3, 3] since |lambda| < 3 for this A)
    ev = torch.linalg.eigvals(A)
    assert float(ev.abs().max()) < 3
    exact = sorted([(-float(e.real), "hopf") for e in ev if e.imag > 1e-8]
                   + [(-float(e.real), "branch") for e in ev if abs(e.imag) <= 1e-8])
    found = [(s["value"], s["kind"]) for s in data["branch"]["special"]]
    assert [k for _, k in found] == [k for _, k in exact] and len(found) == n - sum(1 for e in ev if e.imag < -1e-8)
    for (v, _), (w, _) in zip(found, exact, strict=True):
        assert abs(v - w) < 1e-9
    assert data["cycles"] == []


def test_user_model_with_a_named_parameter(tmp_path, monkeypatch):
    (tmp_path / "bifurcation_user_field.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn

        class Field(nn.Module):
            def __init__(self):
                super().__init__()
                self.dim = 2
                self.gain = nn.Parameter(torch.tensor(0.5))

            def forward(self, t, x):
                J = torch.tensor([[0.0, -2.0], [2.0, 0.0]], dtype=x.dtype)
                return -x + torch.tanh(x @ ((1 + self.gain) * torch.eye(2, dtype=x.dtype) + J).T)

        def make():
            return Field()
    """))
    monkeypatch.chdir(tmp_path)
    res, out = run(["--model", "bifurcation_user_field:make", "--parameter", "gain", "--start", "-0.2", "--stop",
                    "0.2", "--no-cycles", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, out
    data = json.loads((tmp_path / "out" / "bifurcation.json").read_text())
    (hopf,) = data["branch"]["special"]
    assert abs(hopf["value"]) < 1e-10 and hopf["hopf"]["omega"] == pytest.approx(2.0, abs=1e-10)
    bad, out = run(["--model", "bifurcation_user_field:make", "--parameter", "alpha", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "no one-element parameter or buffer 'alpha'" in out and "'gain'" in out


@pytest.mark.parametrize("args, message", [
    (["--family", "lorenz"], "unknown family 'lorenz'"),
    (["--family", "leaky-rotation", "--parameter", "beta"], "no parameter 'beta'"),
    (["--family", "leaky-rotation", "--start", "0.2", "--stop", "0.2"], "start and stop are both 0.2"),
    (["--family", "tanh", "--model", "x:y"], "either --family or --model"),
])
def test_bad_input_is_one_line_with_exit_code_2(tmp_path, args, message):
    res, out = run([*args, "--out", str(tmp_path)])
    assert res.exit_code == 2 and message in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1 and not (tmp_path / "bifurcation.json").exists()
