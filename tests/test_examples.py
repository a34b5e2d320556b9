"""Every script in examples/ runs as it is (with small settings)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST = {
    "lorenz_spectrum.py": ["--steps", "500"],
    "gru_spectrum.py": ["--hidden", "8", "--steps", "100"],
    "random_rnn_transition.py": ["--n", "50", "--steps", "100"],
    "flip_flop_fixed_points.py": ["--hidden", "12", "--iterations", "150"],
    "moons_ftle.py": ["--grid", "40"],
    "edge_of_stability.py": ["--steps", "60", "--lr", "0.2"],
    "hopf_proofs.py": ["--n", "12", "--g-max", "3"],
    "neural_dde_memory.py": ["--iterations", "10"],
    "input_output_maps.py": ["--epochs", "100", "--annuli-epochs", "30"],
}
EXPECT = {  # a line each example must print
    "lorenz_spectrum.py": "lambda_3 =",
    "gru_spectrum.py": "max_lyapunov (JVP, no Jacobian formed)",
    "random_rnn_transition.py": "mean field",
    "flip_flop_fixed_points.py": "saddles, unstable dimensions",
    "moons_ftle.py": "ROC AUC of FTLE",
    "edge_of_stability.py": "sharpness/(2/lr)",
    "hopf_proofs.py": "proven: at some g in [",
    "neural_dde_memory.py": "K tau =",
    "input_output_maps.py": "rank-1 points: x1 in [-0.200000000, -0.200000000]",
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(FAST)


# the examples that take over ~8 s even at these settings (10-19 s in the fast suite on two cores) run with -m slow
SLOW = {"moons_ftle.py", "flip_flop_fixed_points.py", "edge_of_stability.py", "hopf_proofs.py", "gru_spectrum.py",
        "neural_dde_memory.py", "input_output_maps.py"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else []) for n in sorted(FAST)])
def test_example_runs(name, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(os.path.abspath(p) for p in sys.path if p))
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *FAST[name]], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert EXPECT[name] in out.stdout
    written = [w.split(": ")[-1] for w in out.stdout.splitlines() if w.endswith(".png")]
    assert all((tmp_path / w).stat().st_size > 1000 for w in written)
