"""The command line shows a result's status honestly: a run too short to judge is a one-line error naming the
command's own flags (no Python keyword it does not have), and a trusted result's status is printed."""

from typer.testing import CliRunner

from neurodyn.cli import app


def test_a_run_too_short_to_judge_is_a_one_line_error_in_the_commands_terms(tmp_path):
    out = CliRunner().invoke(app, ["lyapunov", "henon", "--steps", "1", "--out", str(tmp_path / "o")])
    assert out.exit_code == 2
    error = [line for line in out.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "too short" in error[0] and "strict" not in out.output
    assert not (tmp_path / "o" / "lyapunov.json").exists()


def test_a_converged_spectrum_says_so_and_auto_interval_is_accepted(tmp_path):
    out = CliRunner().invoke(app, ["lyapunov", "henon", "--steps", "2000", "--qr-every", "auto",
                                   "--out", str(tmp_path / "o")])
    assert out.exit_code == 0, out.output
    assert "status converged" in out.output and (tmp_path / "o" / "lyapunov.json").exists()
