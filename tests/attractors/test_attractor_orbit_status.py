"""A limit cycle without its periodic orbit (no return in the window, or shooting that failed) is not
"converged", and the collection says so."""

from __future__ import annotations

import pytest
import torch
from attractor_systems import two_cycles

import neurodyn as nd

STARTS = torch.tensor([[1.0, 0.0], [3.2, 0.0]], dtype=torch.float64)  # one start on each stable cycle (r = 1, 3)
KW = dict(dt=0.02, transient=30.0, lyapunov_time=20.0, tangent_transient=5.0)


@pytest.mark.slow
def test_failed_shooting_is_reported_as_failed():
    res = nd.attractors(two_cycles(), STARTS, window=10.0, orbit_maxiter=1, **KW)  # one Newton step: above 1e-10
    assert len(res) == 2 and res.status == "unconverged" and not res.status.ok
    for a in res:
        assert a.kind == "limit cycle" and a.orbit.status == "failed"
        assert a.status == "failed" and "orbit_maxiter" in a.reason
    with pytest.raises(nd.ConvergenceError):
        nd.attractors(two_cycles(), STARTS, window=10.0, orbit_maxiter=1, strict=True, **KW)


def test_a_window_shorter_than_the_period_is_too_short():
    res = nd.attractors(two_cycles(), STARTS, window=3.0, **KW)  # period 2 pi > 3: no return in the window
    assert res.status == "unconverged"
    for a in res:
        assert a.kind == "limit cycle" and a.orbit is None
        assert a.status == "too short" and "increase window" in a.reason
