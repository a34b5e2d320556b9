"""Input checks of the Kuramoto study and command: a negative seed, an averaging window longer than the run."""

import pytest
from typer.testing import CliRunner

import neurodyn as nd
from neurodyn import networks as nw
from neurodyn.cli import app


def test_negative_seed_is_refused():
    with pytest.raises(nd.InvalidInputError, match="seed must be an integer >= 0"):
        nw.KuramotoConfig(seed=-1)
    assert nw.KuramotoConfig(seed=0).seed == 0


def test_average_last_longer_than_t_settle_names_the_flags(tmp_path):
    for last in ("40", "30"):
        res = CliRunner().invoke(app, ["kuramoto", "--n", "50", "--t-settle", "30", "--average-last", last,
                                       "--out", str(tmp_path / "o"), "--no-progress"])
        assert res.exit_code == 2, res.output
        text = " ".join(res.output.split())
        assert "--average-last" in text and "--t-settle" in text and "average_from" not in text
        assert not (tmp_path / "o").exists()
