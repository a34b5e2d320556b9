"""What find_fixed_points refuses or warns about before it runs: meaningless tolerances, searches that cannot fit in
memory or will take long, and user functions that return the wrong thing."""

import time

import numpy as np
import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError, NonFiniteError, find_fixed_points


def test_a_tolerance_that_makes_every_state_a_fixed_point_is_refused():
    shift = nd.Map(lambda x, u: x + 1, 1, name="shift")  # no fixed point at all; |F| = 1 everywhere
    with pytest.raises(InvalidInputError, match=r"tol = 10 is too loose.*state scale"):
        find_fixed_points(shift, tol=10)
    res = find_fixed_points(shift)  # the default tolerance: nothing found, and it says so
    assert len(res.fixed) == 0 and res.status == nd.Status.NONE_FOUND


def test_the_tolerance_bound_is_relative_to_the_state_scale():
    # x -> x / 2 + c has the fixed point 2c; its state scale grows with c, and so does the tolerance allowed
    for c in (1.0, 1e4):
        m = nd.Map(lambda x, u, c=c: 0.5 * x + c, 1, name="affine")
        starts = torch.tensor([[0.0], [4 * c]], dtype=torch.float64)  # state scale sqrt(8) c
        res = find_fixed_points(m, starts=starts, tol=2e-3 * c)
        assert res.points.flatten().tolist() == pytest.approx([2 * c], rel=1e-12)
        with pytest.raises(InvalidInputError, match="tol"):
            find_fixed_points(m, starts=starts, tol=3e-3 * c)


def test_a_search_too_big_for_memory_is_refused_before_anything_is_allocated():
    with pytest.raises(InvalidInputError, match="GiB of memory") as info:
        find_fixed_points(nd.henon(), n_starts=10**13)
    assert "lower n_starts" in str(info.value) and "henon" in str(info.value)


def test_a_long_search_without_a_progress_bar_warns_first():
    class Stop(Exception):
        pass

    calls = []

    def slow_field(t, x):  # 20 ms per call; the solve itself is stopped at its first evaluation
        calls.append(len(x))
        if len(calls) > 2:  # the probe and the timed evaluation
            raise Stop
        time.sleep(0.02)
        return -x

    flow = nd.Flow(slow_field, 1, name="slow")
    with pytest.warns(UserWarning, match=r"slow.*could take about \d+ min.*progress=True"), pytest.raises(Stop):
        find_fixed_points(flow, starts="box", box=(-1.0, 1.0), n_starts=10**6)
    assert calls[:2] == [10**6, 4096]


@pytest.mark.parametrize(
    "field, error, match",
    [
        (lambda t, x: x[..., :1], InvalidInputError, r"returned shape \(.*, 1\)"),
        (lambda t, x: np.zeros(x.shape), InvalidInputError, "not a torch tensor"),
        (lambda t, x: torch.ones(()), InvalidInputError, "returned shape"),
        (lambda t, x: (x * 0).float(), InvalidInputError, "dtype"),
        (lambda t, x: x / 0 * 0, NonFiniteError, "non-finite"),
    ],
)
def test_a_field_returning_the_wrong_thing_is_named(field, error, match):
    flow = nd.Flow(field, 2, name="bad field")
    with pytest.raises(error, match=match):
        find_fixed_points(flow, starts=torch.tensor([[0.5, 0.3], [0.1, 0.2]], dtype=torch.float64))
    with pytest.raises(error, match="bad field"):
        find_fixed_points(flow)


def test_a_step_returning_the_wrong_shape_is_named_before_trajectories_run():
    grow = nd.Map(lambda x, u: torch.cat([x, x], -1), 2, name="doubling")
    with pytest.raises(InvalidInputError, match=r"step function of 'doubling' returned shape \(64, 4\)"):
        find_fixed_points(grow)
