"""The saturation diagnostic: waves of starts until no new root appears, and an honest status otherwise.

Test networks: ``dx/dt = -x + tanh(W x + b)`` in 4-D with a large gain, whose equilibria (all in ``(-1, 1)^4``)
are enumerated here by brute force: damped Newton from a 14^4 grid (a 20^4 grid finds the same), an implementation
independent of the library.
"""

import pytest
import torch

import neurodyn as nd
from neurodyn import ConvergenceError, Status, find_fixed_points


def _network(seed, gain):
    gen = torch.Generator().manual_seed(seed)
    W = gain * torch.randn(4, 4, generator=gen, dtype=torch.float64) / 2
    W.diagonal().add_(gain)
    b = 0.2 * torch.randn(4, generator=gen, dtype=torch.float64)
    return W, b


def _brute_force_equilibria(W, b, k=14):
    """Every equilibrium of -x + tanh(W x + b): Newton steps (at most 0.5 long) from a k^4 grid in (-1, 1)^4."""
    grid = torch.linspace(-0.999, 0.999, k, dtype=torch.float64)
    x = torch.cartesian_prod(*[grid] * 4)
    eye = torch.eye(4, dtype=torch.float64)
    for _ in range(60):
        t = torch.tanh(x @ W.T + b)
        step, info = torch.linalg.solve_ex((1 - t * t).unsqueeze(-1) * W - eye, x - t)
        step = torch.where((info == 0).unsqueeze(-1), step, torch.zeros_like(step))
        x = x + step * (0.5 / step.norm(dim=-1, keepdim=True).clamp_min(1e-300)).clamp(max=1.0)
    roots = x[(torch.tanh(x @ W.T + b) - x).norm(dim=-1) < 1e-12]
    distinct = []
    for p in roots:
        if not distinct or float((torch.stack(distinct) - p).norm(dim=-1).min()) > 1e-8:
            distinct.append(p)
    return torch.stack(distinct)


@pytest.fixture(scope="module")
def networks():
    """(W, b, all equilibria) of two networks with dozens of equilibria."""
    out = {}
    for seed, gain, count in [(1, 5.0, 47), (5, 5.0, 59)]:
        W, b = _network(seed, gain)
        roots = _brute_force_equilibria(W, b)
        assert len(roots) == count  # the same count as from a 20^4 grid
        out[seed] = (W, b, roots)
    return out


@pytest.mark.parametrize("net", [1, 5])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("starts", ["mixed", "box"])
def test_default_search_finds_every_equilibrium_or_says_it_may_be_incomplete(networks, net, seed, starts):
    W, b, roots = networks[net]
    box = (-1.0, 1.0) if starts == "box" else None  # every equilibrium lies in (-1, 1)^4
    res = find_fixed_points(nd.tanh_field(W, b, leak=1.0), seed=seed, starts=starts, box=box)
    d = torch.cdist(res.points, roots, compute_mode="donot_use_mm_for_euclid_dist")
    assert float(d.min(1).values.max()) < 1e-9  # every point found is one of the enumerated equilibria
    assert len(torch.unique(d.argmin(1))) == len(res.fixed)
    sat = res.saturation
    if len(res.fixed) < len(roots):
        assert res.status == Status.MAY_BE_INCOMPLETE and not res.status.ok and not sat.saturated
    if res.status == Status.MAY_BE_INCOMPLETE:  # the budget ran out before two waves in a row found nothing new
        assert sat.starts == 4 * 256 and "max_starts" in sat.reason
        assert sat.new_roots[-1] > 0 or sat.new_roots[-2] > 0
    else:
        assert res.status == Status.SATURATED and sat.new_roots[-2:] == [0, 0]
    assert sum(sat.new_roots) == len(res.fixed) and sat.waves == len(sat.new_roots)
    # Chao1 from the hit counts: S_obs + f1^2 / (2 f2)
    f1, f2 = int((res.fixed.hits == 1).sum()), int((res.fixed.hits == 2).sum())
    assert (sat.singletons, sat.doubletons) == (f1, f2)
    assert sat.estimated_total == pytest.approx(len(res.fixed) + (f1 * f1 / (2 * f2) if f2 else f1 * (f1 - 1) / 2))
    assert sat.estimated_total >= len(res.fixed)
    with pytest.raises(ConvergenceError, match="may be incomplete") as info:
        find_fixed_points(nd.tanh_field(W, b, leak=1.0), seed=seed, max_starts=256, strict=True)
    assert info.value.result.status == Status.MAY_BE_INCOMPLETE


def test_larger_waves_find_all_47_and_say_saturated(networks):
    W, b, roots = networks[1]
    res = find_fixed_points(nd.tanh_field(W, b, leak=1.0), n_starts=4096, max_starts=10 * 4096, starts="box",
                            box=(-1.0, 1.0))
    assert len(res.fixed) == len(roots) == 47
    assert res.status == Status.SATURATED and res.saturation.new_roots[-2:] == [0, 0]
    assert res.saturation.estimated_total == 47


def test_saturated_search_stops_after_patience_quiet_waves():
    res = find_fixed_points(nd.lorenz(), n_starts=64, patience=3)
    assert len(res.fixed) == 3 and res.status == Status.SATURATED and res.status.ok
    assert res.saturation.new_roots == [3, 0, 0, 0] and res.saturation.starts == 4 * 64
    assert sum(res.starts.values()) == 4 * 64
    assert res.to_dict()["saturation"]["new_roots"] == [3, 0, 0, 0]


def test_given_starts_are_one_wave_and_a_root_reached_once_leaves_it_open():
    # dx/dt = x^2 - 1: three starts go to +1, one to -1
    flow = nd.Flow(lambda t, x: x * x - 1, 1, name="x^2-1")
    starts = torch.tensor([[0.5], [0.7], [0.9], [-0.8]], dtype=torch.float64)
    res = find_fixed_points(flow, starts=starts, deflation_rounds=0)
    assert sorted(res.points.flatten().tolist()) == pytest.approx([-1.0, 1.0], abs=1e-12)
    assert sorted(res.fixed.hits.tolist()) == [1, 3]
    assert res.saturation.waves == 1 and res.saturation.singletons == 1
    assert res.status == Status.MAY_BE_INCOMPLETE and "given starts" in res.saturation.reason
    with pytest.raises(ConvergenceError):
        find_fixed_points(flow, starts=starts, deflation_rounds=0, strict=True)
    both = find_fixed_points(flow, starts=torch.cat([starts, -starts]), deflation_rounds=0)
    assert both.status == Status.SATURATED  # each root reached by two starts or more


def test_none_found_is_its_own_status():
    res = find_fixed_points(nd.Flow(lambda t, x: x * x + 0.01, 1, name="ghost"), starts="box", box=(-1.0, 1.0))
    assert len(res.fixed) == 0 and res.status == Status.NONE_FOUND
