"""The memory a run holds: bounded by its estimated need, reported in its settings, the same from run to run."""

import subprocess
import sys

import pytest
import torch
from torch import nn

import neurodyn as nd

RUN = """
import resource, sys, torch
from torch import nn
import neurodyn as nd
torch.manual_seed(0)
system = nd.from_torch(nn.LSTM(8, 128, batch_first=True))
g = torch.Generator().manual_seed(1)
inputs = torch.randn(16, 200, 8, generator=g, dtype=torch.float64)
x0 = 0.1 * torch.randn(16, system.dim, generator=g, dtype=torch.float64)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs, strict=False)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(grown, r.settings["memory_bound_bytes"])
"""


def test_memory_need_bound_and_peak_are_reported():
    torch.manual_seed(0)
    system = nd.from_torch(nn.LSTM(4, 32, batch_first=True))
    inputs = torch.randn(4, 100, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    r = nd.lyapunov_spectrum(system, inputs=inputs, strict=False)
    need, bound, peak = (r.settings[k] for k in ("memory_need_bytes", "memory_bound_bytes", "memory_peak_bytes"))
    frame = 4 * 64 * 64 * 8  # batch x n x k float64 (n = 2 * 32: h and c)
    assert need >= 8 * frame  # the working frames the estimate counts
    if bound is not None:  # measured (Linux/glibc)
        assert bound >= 2 * need and 0 <= peak <= bound + 8 * frame


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the resident size the Linux way")
def test_identical_lstm_runs_peak_alike_and_within_the_bound():
    """Identical LSTM-128 runs used to grow the resident size by anywhere between 0.4 and 1.9 GB (freed heap
    memory kept by the allocator); now each stays within the bound plus one step's temporaries."""
    peaks = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=600,
                             env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)})
        assert out.returncode == 0, out.stderr[-2000:]
        grown, bound = map(int, out.stdout.split()[-2:])
        step_temporaries = 16 * 16 * 256 * 256 * 8  # 16 frame-sized arrays of one step
        assert grown <= bound + step_temporaries
        peaks.append(grown)
    assert max(peaks) <= 2 * min(peaks) + 64 * 2**20


def test_guard_stops_trimming_memory_the_run_really_holds():
    """An estimate that is too small must not make the guard trim at every step: after a trim that leaves the
    run above its bound, the bound rises to twice what the run holds."""
    from neurodyn.lyapunov.resources import MemoryGuard

    guard = MemoryGuard.start(1, torch.device("cpu"))
    if guard.base is None:
        pytest.skip("the resident size cannot be read here")
    held = torch.ones(64 * 2**20 // 8 * 3, dtype=torch.float64)  # 192 MB that stay alive
    guard.check(64)
    assert guard.trims == 1 and guard.bound >= 2 * (held.numel() * 8) * 0.9
    guard.check(128)
    assert guard.trims == 1  # not trimmed again: the memory is live


def test_guard_baseline_holds_no_freed_heap():
    """Freed heap memory left by earlier work must not sit in the baseline: a trim would give it back and make the
    memory a run holds look smaller than it is (the guard then bounded a run holding 192 MB below 2 x 192 MB)."""
    from neurodyn.lyapunov.resources import MemoryGuard

    junk = [torch.ones(12000, dtype=torch.float64) for _ in range(8000)]  # ~770 MB in small heap blocks
    keep = junk[-1]
    del junk[:-1]  # freed, but kept by the allocator below the live last block
    guard = MemoryGuard.start(1, torch.device("cpu"))
    if guard.base is None:
        pytest.skip("the resident size cannot be read here")
    held = torch.ones(64 * 2**20 // 8 * 3, dtype=torch.float64)  # 192 MB that stay alive
    guard.check(64)
    assert guard.trims == 1 and guard.bound >= 2 * (held.numel() * 8) * 0.9
    del keep
