"""`neurodyn sweep`: a small sweep end to end (in-process), its store resumed by a rerun, and one-line errors."""

import json

from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
SMALL = ["--task", "memory", "--cells", "rnn,gru", "--gains", "0.5,2", "--seeds", "0,1", "--hidden", "6",
         "--iterations", "30", "--spectrum-steps", "60", "--workers", "0"]


def test_sweep_writes_rows_correlations_and_aelle_and_resumes(tmp_path):
    args = [*SMALL, "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")]
    res = runner.invoke(app, ["sweep", *args])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "out" / "sweep.json").read_text())
    s = data["summary"]
    assert (s["networks"], s["ran"], s["skipped"], s["failed"]) == (8, 8, 0, 0)
    assert set(s["correlations"]) == {"max", "mean", "n_positive", "kaplan_yorke", "entropy"}
    assert 0.0 <= s["aelle"]["f1_latent"] <= 1.0 and s["aelle"]["best_feature"] in s["correlations"]
    for row in data["rows"]:
        assert len(row["exponents"]) == 6 and 0.0 <= row["performance"] <= 1.0
    for png in ("sweep.png", "sweep-features.png"):
        assert (tmp_path / "out" / png).stat().st_size > 10_000
    # the features that cannot be correlated are null in the JSON, with the reason, never the string "nan"
    for name, rho in s["correlations"].items():
        assert (rho is None) == (name in s["correlation_notes"]) and rho != "nan"
    refused = runner.invoke(app, ["sweep", *args])
    assert refused.exit_code == 2 and "sweep.json" in refused.output and "--overwrite" in refused.output
    again = runner.invoke(app, ["sweep", *args, "--overwrite"])
    assert again.exit_code == 0 and "0 run now, 8 from the store" in again.output.replace("\n", " ")


def test_bad_input_gets_one_line(tmp_path):
    for args, words in [(["--gains", "a,b"], "comma-separated"), (["--task", "chess"], "task must be one of"),
                        (["--cells", "transformer"], "cell must be one of")]:
        res = runner.invoke(app, ["sweep", *args, "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o"),
                                  "--workers", "0"])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output
        assert not (tmp_path / "s").exists()
