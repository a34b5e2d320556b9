"""`neurodyn kuramoto`: a small sweep end to end, its JSON against the theory, and one-line errors."""

import json
import math

from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def test_kuramoto_command_writes_json_and_png_against_theory(tmp_path):
    # all-to-all, N = 2000 Lorentzian quantile frequencies (gamma = 1/2, K_c = 1): above onset r follows
    # sqrt(1 - 1/K) within the finite-N fluctuation (~0.3/sqrt(N) = 0.007; tolerance 0.03); below, the
    # incoherent state's finite-N r is O(N^-1/2) enhanced near K_c (measured 0.041 at K = 0.5; bound 0.1)
    args = ["kuramoto", "--n", "2000", "--k-min", "0.5", "--k-max", "2.5", "--k-steps", "3", "--t-settle", "30",
            "--average-last", "15", "--dt", "0.1", "--out", str(tmp_path), "--no-progress"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "kuramoto.json").read_text())
    sweep = data["sweep"]
    assert sweep["type"] == "SyncSweep" and sweep["status"] == "ok" and sweep["K_c_theory"] == 1.0
    for K, r in zip(sweep["K"], sweep["r_up"], strict=True):
        assert abs(r - math.sqrt(1 - 1 / K)) < 0.03 if K > 1 else r < 0.1
    assert len(sweep["r_down"]) == 3 and sweep["hysteresis"] < 0.05  # unimodal: no loop
    assert (tmp_path / "kuramoto.png").stat().st_size > 10_000
    assert "theory K_c = 1" in " ".join(res.output.split())
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "--overwrite" in refused.output


def test_kuramoto_command_bad_input_is_one_line(tmp_path):
    for extra, words in [(["--law", "uniform"], "law must be one of"), (["--graph", "ring"], "graph must be one of"),
                         (["--k-min", "3", "--k-max", "1"], "--k-min"), (["--n", "0"], "n must"),
                         (["--graph", "erdos-renyi", "--n", "30000"], "n <= 20000")]:
        res = runner.invoke(app, ["kuramoto", *extra, "--out", str(tmp_path / "o"), "--no-progress"])
        assert res.exit_code == 2, res.output
        assert res.output.startswith("error:") and words in res.output and len(res.output.strip().splitlines()) <= 3
        assert not (tmp_path / "o").exists()
