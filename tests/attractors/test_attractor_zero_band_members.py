"""The zero band is read off the same members' trajectories as the spectrum it judges."""

from __future__ import annotations

import math

import torch

import neurodyn as nd
from neurodyn.attractors import AttractorSettings
from neurodyn.attractors.classify import lyapunov_members, zero_band
from neurodyn.attractors.grouping import Group


def test_zero_band_uses_the_spectrum_members_spread_over_the_group():
    """``f(x) = x`` (speed ``|x|``): member ``i``'s window sits at ``|x| = i + 1``. With ``lyapunov_batch = 2`` the
    spectrum runs from members 0 and 5 (spread over the group), so the band is ``(1 + log(6 / 1)) / T``; the
    first two members alone would give ``(1 + log 2) / T``."""
    system = nd.Flow(lambda t, x: x, 1, name="identity")
    path = (torch.arange(6, dtype=torch.float64) + 1)[:, None, None].expand(6, 4, 1).clone()  # (B, S, n)
    group = Group(members=torch.arange(6))
    s = AttractorSettings(lyapunov_batch=2, lyapunov_time=20.0, dt=0.01)
    assert lyapunov_members(group, s).tolist() == [0, 5]
    T = s.steps(s.lyapunov_time) * s.dt
    assert math.isclose(zero_band(system, path, group, s), (1 + math.log(6.0)) / T, rel_tol=1e-12)
