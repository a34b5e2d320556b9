"""Every ```python block of README.md runs as a standalone script (each in its own subprocess, in a fresh
folder, with a time budget). The blocks that train or sweep for minutes are marked slow."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
# blocks (by their first line that is not an import) that take more than ~8 s (measured on one thread:
# Lyapunov 26 s, moons FTLE 16 s, cycles and curves 12 s, sweep 34 s, training 38 s; in the full fast suite on
# two cores: Hopf points 14 s, equilibria 14 s, proofs 13 s, critical points 11 s, rigorous integration 7 s,
# attractors 6 s; the others take 3-5 s)
SLOW = ("# A chaotic flow", "trained = train_moons_classifier", "if __name__ ==", "X, Y = digits(500)",
        "J = torch.tensor", "# Equilibria of a flow", "n = 60", "A = torch.randn(50, 50", "torch.manual_seed(0)",
        "W = torch.tensor([[0.5, -2.0]", "def hopf(t, x)")
BUDGET = {False: 120, True: 900}  # seconds per block


def _key(block: str) -> str:
    return next(ln for ln in block.splitlines()
                if ln.strip() and not ln.startswith(("import ", "from ", " ", "\t")))


def _is_slow(block: str) -> bool:
    return any(_key(block).startswith(s) for s in SLOW)


CASES = [pytest.param(b, id=f"block{i}", marks=[pytest.mark.slow] if _is_slow(b) else [])
         for i, b in enumerate(BLOCKS)]


def test_the_readme_has_its_python_blocks():
    assert len(BLOCKS) >= 9 and sum(not _is_slow(b) for b in BLOCKS) >= 3


@pytest.mark.parametrize("block", CASES)
def test_readme_block_runs_as_a_script(block, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(block, encoding="utf-8")
    # one torch thread: on a loaded test machine more threads only spin (see the README), and the budget is wall time
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(os.path.abspath(p) for p in sys.path if p))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=BUDGET[_is_slow(block)])
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Warning" not in out.stderr or "DeprecationWarning" not in out.stderr, out.stderr[-2000:]
    saved = [p for p in tmp_path.glob("*.png")]
    if ".savefig(" in block:
        assert saved and all(p.stat().st_size > 1000 for p in saved)
