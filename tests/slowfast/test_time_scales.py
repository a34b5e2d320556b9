"""time_scales: ordering, the largest gap, eps along states, and honest statuses."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn.results import Status


def _states(n, count=5, seed=0):
    return torch.randn(count, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_linear_two_fast_modes_eps_one_fiftieth(linear4):
    flow, _ = linear4
    ts = nd.time_scales(flow, _states(4))
    assert ts.status == Status.OK and ts.status.ok
    assert ts.n_fast == 2 and ts.n_slow == 2
    assert torch.allclose(ts.eps, torch.full((5,), 1 / 50, dtype=torch.float64), rtol=1e-10, atol=0)
    assert bool(ts.separated.all())
    expected = torch.tensor([-1.0, -2.0, -100.0, -200.0], dtype=torch.float64)
    assert torch.allclose(ts.eigenvalues.real, expected.expand(5, 4), rtol=1e-10)  # ordered by real part
    assert torch.equal(ts.best_n_fast, torch.full((5,), 2))


def test_davis_skodje_eps_is_one_over_gamma():
    # J = [[-1, 0], [g'(y1), -gamma]] is triangular: rates 1 and gamma at every state
    ts = nd.time_scales(nd.davis_skodje(40.0), nd.davis_skodje(40.0).sample_state(6, torch.Generator().manual_seed(0)))
    assert ts.n_fast == 1
    assert torch.allclose(ts.eps, torch.full((6,), 1 / 40, dtype=torch.float64), rtol=1e-12)


def test_no_gap_is_reported_as_no_separation(make_linear):
    flow, _ = make_linear([-1.0, -1.5, -2.0, -3.0])
    ts = nd.time_scales(flow, _states(4))
    assert ts.status == Status.NO_SEPARATION
    assert ts.n_fast == 0 and not bool(ts.separated.any())
    assert torch.isinf(ts.eps).all()
    assert float(ts.best_eps.min()) == pytest.approx(2 / 3)  # the best it could do: |-2| / |-3|


def test_gap_that_closes_along_a_trajectory(closing_gap):
    # x' = -x/2, y' = -(1 + 100 x^2) y: the rate of y is 1 + 100 x^2, separated where |x| is large only
    flow = closing_gap
    x = torch.linspace(2.0, 0.0, 9, dtype=torch.float64)
    ts = nd.time_scales(flow, torch.stack((x, torch.ones_like(x)), -1))
    assert ts.status == Status.GAP_CLOSES
    assert ts.n_fast == 1
    expected = 0.5 / (1 + 100 * x * x)
    assert torch.allclose(ts.eps, expected, rtol=1e-12)
    assert torch.equal(ts.separated, expected <= 0.1)
    assert bool(ts.separated[0]) and not bool(ts.separated[-1])


def test_complex_pair_is_never_split(make_linear):
    # {-1} ∪ {-100 ± 50i} ∪ {-200}: the gap is after -1, and the pair stays together among the fast modes
    flow, _ = make_linear([-1.0, (-100.0, 50.0), -200.0])
    ts = nd.time_scales(flow, _states(4))
    assert ts.n_fast == 3
    assert float(ts.eps[0]) == pytest.approx(1 / 100, rel=1e-10)
    # asking for a split inside the pair is refused
    with pytest.raises(nd.InvalidInputError, match="complex-conjugate pair"):
        nd.time_scales(flow, _states(4), n_fast=2)


def test_slow_complex_pair_straddling_the_largest_ratio(make_linear):
    # {-1 ± 30i} ∪ {-100}: rates by real part, so the pair (rate 1) is slow as a whole
    flow, _ = make_linear([(-1.0, 30.0), -100.0])
    ts = nd.time_scales(flow, _states(3))
    assert ts.n_fast == 1 and float(ts.eps[0]) == pytest.approx(1 / 100, rel=1e-10)


def test_unstable_slow_mode_counts_with_its_rate(make_linear):
    flow, _ = make_linear([0.5, -1.0, -100.0])
    ts = nd.time_scales(flow, _states(3))
    assert ts.n_fast == 1 and float(ts.eps[0]) == pytest.approx(1 / 100, rel=1e-10)
    # a growing mode is never fast
    flow, _ = make_linear([50.0, -1.0])
    assert nd.time_scales(flow, _states(2)).status == Status.NO_SEPARATION


@pytest.mark.parametrize("bad", [0, 4, -1, 2.5])
def test_n_fast_out_of_range(linear4, bad):
    flow, _ = linear4
    with pytest.raises(nd.InvalidInputError, match="n_fast"):
        nd.time_scales(flow, _states(4), n_fast=bad)


def test_non_finite_states_are_refused(linear4):
    flow, _ = linear4
    x = _states(4)
    x[2, 1] = math.nan
    with pytest.raises(nd.NonFiniteError, match="states"):
        nd.time_scales(flow, x)


def test_maps_are_refused():
    with pytest.raises(nd.InvalidInputError, match="Flow"):
        nd.time_scales(nd.henon(), torch.zeros(1, 2, dtype=torch.float64))


def test_result_serialises_and_plots(tmp_path, linear4):
    import json

    import matplotlib

    matplotlib.use("Agg")
    flow, _ = linear4
    ts = nd.time_scales(flow, _states(4))
    path = ts.save_json(tmp_path / "ts.json")
    data = json.loads(path.read_text())
    assert data["n_fast"] == 2 and data["status"] == "ok" and data["type"] == "TimeScales"
    with pytest.raises(nd.OutputExistsError):
        ts.save_json(path)
    ax = ts.plot()
    assert ax.get_yscale() == "log"


def test_non_finite_jacobian_names_the_state():
    flow = nd.davis_skodje(10.0)  # defined for y1 > -1
    x = torch.tensor([[0.5, 0.0], [0.2, 0.1], [-1.0, 0.0]], dtype=torch.float64)
    with pytest.raises(nd.NonFiniteError, match="state 2"):
        nd.time_scales(flow, x)
