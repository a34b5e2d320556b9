"""neurodyn.attractors: basins, kinds and orbits of flows with known attractors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from attractor_systems import A_LINEAR, C_LINEAR, OMEGA, TanhCycle, linear, planted, torus, two_cycles
from scipy.integrate import solve_ivp

import neurodyn as nd
from neurodyn.attractors import AttractorSettings

FAST = dict(transient=30.0, window=20.0, lyapunov_time=50.0, tangent_transient=5.0)


def planted_starts(count: int = 40, seed: int = 3) -> torch.Tensor:
    """Uniform starts in [-2, 2]^2 x [-1, 1], keeping away from the unstable cycle r = 1 (whose neighbours would
    need a longer transient to leave it)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(4 * count, 3, generator=gen, dtype=torch.float64) * torch.tensor([4.0, 4.0, 2.0]) - torch.tensor(
        [2.0, 2.0, 1.0])
    r = x[:, :2].norm(dim=-1)
    return x[(r - 1).abs() > 0.1][:count]


@pytest.fixture(scope="module")
def planted_result():
    starts = planted_starts()
    return starts, nd.attractors(planted(), starts, dt=0.05, transient=20.0, window=10.0, lyapunov_time=30.0,
                                 tangent_transient=5.0)


def test_planted_field_splits_into_equilibrium_and_cycle_with_exact_basins(planted_result):
    starts, res = planted_result
    assert res.status == "converged" and len(res) == 2
    kinds = {a.kind: a for a in res}
    assert set(kinds) == {"equilibrium", "limit cycle"}
    inside = (starts[:, :2].norm(dim=-1) < 1).nonzero().flatten()
    outside = (starts[:, :2].norm(dim=-1) > 1).nonzero().flatten()
    assert kinds["equilibrium"].members.tolist() == inside.tolist()
    assert kinds["limit cycle"].members.tolist() == outside.tolist()
    assert kinds["equilibrium"].basin_fraction == pytest.approx(len(inside) / len(starts), abs=0)
    assert res.labels[inside].unique().tolist() == [kinds["equilibrium"].index]
    eq = kinds["equilibrium"]
    assert torch.allclose(eq.point, torch.zeros(3, dtype=torch.float64), atol=1e-12)
    # exponents at the focus: -1 (double, the real part of -1 +- 1.5 i) and -1 (z)
    # error: 3 standard errors, the drift between T/2 and T, and RK4's exponent error h^4 |lambda|^5 / 120
    err = 3 * eq.stderr + eq.spectrum.drift + 0.05**4 * abs(complex(-1, OMEGA)) ** 5 / 120
    assert bool(((eq.exponents + 1).abs() <= err).all())
    cyc = kinds["limit cycle"]
    assert cyc.signs == "0--"
    # 0, -1, -6 within the measured error (the drift between T/2 and T plus 3 standard errors) and the zero band
    err = 3 * cyc.stderr + cyc.spectrum.drift + cyc.zero_tol
    assert bool(((cyc.exponents - torch.tensor([0.0, -1.0, -6.0], dtype=torch.float64)).abs() <= err).all())


def test_planted_cycle_orbit_has_the_known_period_radius_and_multipliers(planted_result):
    _, res = planted_result
    (cyc,) = [a for a in res if a.kind == "limit cycle"]
    orbit = cyc.orbit
    assert isinstance(orbit, nd.PeriodicOrbit) and orbit.status == "converged" and orbit.stable
    T = 2 * math.pi / OMEGA
    # RK4 with 1000 steps per period: the scheme's period error is O((T / 1000)^4 omega^4) ~ 1e-10
    assert orbit.period == pytest.approx(T, rel=1e-7)
    assert float(orbit.x0[:2].norm()) == pytest.approx(2.0, abs=1e-7) and abs(float(orbit.x0[2])) < 1e-7
    mu = orbit.multipliers.abs()
    assert float(mu[0]) == pytest.approx(1.0, abs=1e-7)
    assert float(mu[1]) == pytest.approx(math.exp(-T), rel=1e-6)  # the z direction, rate -1
    assert float(mu[2]) < 1e-6  # the radial direction, rate -6: e^{-6T} ~ 1e-11


def test_result_serialises_and_plots(planted_result, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    _, res = planted_result
    path = res.save_json(tmp_path / "a.json")
    data = json.loads(path.read_text())
    assert data["type"] == "Attractors" and data["status"] == "converged"
    assert sorted(a["kind"] for a in data["attractors"]) == ["equilibrium", "limit cycle"]
    cyc = next(a for a in data["attractors"] if a["kind"] == "limit cycle")
    assert cyc["orbit"]["type"] == "PeriodicOrbit" and cyc["spectrum"]["status"] in ("converged", "unconverged")
    ax = res.plot()
    assert len(ax.get_legend().get_texts()) == 2
    ax3 = res.plot(dims=(0, 1, 2))
    assert ax3.name == "3d"
    with pytest.raises(nd.InvalidInputError, match="dims"):
        res.plot(dims=(0, 5))


def test_lorenz_is_chaotic_with_the_published_largest_exponent():
    res = nd.attractors(nd.lorenz(), count=8, seed=1, transient=20.0, window=10.0, lyapunov_time=50.0,
                        tangent_transient=5.0)
    assert len(res) == 1 and res.escaped_fraction == 0
    (a,) = res
    assert a.kind == "chaotic" and a.status == "converged" and a.basin_fraction == 1.0
    lam, se = float(a.exponents[0]), float(a.stderr[0])
    assert lam - 3 * se > 0
    assert abs(lam - 0.9056) < 4 * se + float(a.spectrum.drift[0])
    # the exponents of the QR method sum to the mean trace of J, here constant: -(sigma + 1 + beta)
    assert float(a.exponents.sum()) == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-3)
    assert a.orbit is None and a.point is None


def test_pure_equilibrium_system():
    res = nd.attractors(linear(), box=(-3.0, 3.0), count=16, **FAST)
    assert res.status == "converged" and len(res) == 1
    (a,) = res
    assert a.kind == "equilibrium" and a.basin_fraction == 1.0 and a.members.tolist() == list(range(16))
    assert torch.allclose(a.point, C_LINEAR, atol=1e-12) and a.residual <= 1e-10
    eig = torch.linalg.eigvals(A_LINEAR)
    assert torch.allclose(a.eigenvalues.real.sort().values, eig.real.sort().values, atol=1e-12)
    # the QR estimate's error: 3 standard errors plus its drift between T/2 and T, plus RK4's h^4 |lambda|^5 / 120
    assert float(a.stderr.max()) < 1e-4
    err = 3 * a.stderr + a.spectrum.drift + 0.01**4 * float(eig.abs().max()) ** 5 / 120
    assert bool(((a.exponents - torch.tensor([-1.0, -1.0, -2.0], dtype=torch.float64)).abs() <= err).all())


def test_two_nested_cycles_are_told_apart_by_their_point_clouds():
    gen = torch.Generator().manual_seed(5)
    r = 0.5 + 3.5 * torch.rand(60, generator=gen, dtype=torch.float64)
    r = r[(r - 2).abs() > 0.15][:16]  # away from the unstable cycle r = 2 that separates the basins
    phi = 2 * math.pi * torch.rand(len(r), generator=gen, dtype=torch.float64)
    starts = torch.stack((r * torch.cos(phi), r * torch.sin(phi)), -1)
    res = nd.attractors(two_cycles(), starts, dt=0.02, transient=30.0, window=10.0, lyapunov_time=20.0,
                        tangent_transient=5.0)
    assert res.status == "converged" and len(res) == 2 and all(a.kind == "limit cycle" for a in res)
    by_radius = sorted(res, key=lambda a: float(a.orbit.x0.norm()))
    assert by_radius[0].members.tolist() == (r < 2).nonzero().flatten().tolist()
    assert by_radius[1].members.tolist() == (r > 2).nonzero().flatten().tolist()
    for a, radius in zip(by_radius, (1.0, 3.0), strict=True):
        assert a.orbit.status == "converged" and float(a.orbit.x0.norm()) == pytest.approx(radius, abs=1e-7)
        assert a.orbit.period == pytest.approx(2 * math.pi, rel=1e-7)


def test_two_incommensurate_oscillators_make_one_torus():
    res = nd.attractors(torus(), box=(0.2, 1.5), count=4, dt=0.02, transient=20.0, window=40.0, lyapunov_time=30.0,
                        tangent_transient=5.0)
    assert res.status == "converged" and len(res) == 1
    (a,) = res
    assert a.kind == "torus" and a.signs == "00--" and a.orbit is None and a.point is None
    err = 3 * a.stderr + a.spectrum.drift + a.zero_tol
    assert bool(((a.exponents - torch.tensor([0.0, 0.0, -2.0, -2.0], dtype=torch.float64)).abs() <= err).all())


def test_trained_tanh_field_has_a_stable_limit_cycle_checked_by_an_independent_solver():
    module = TanhCycle()
    system = nd.from_torch(module)
    res = nd.attractors(system, box=(-3.0, 3.0), count=8, dt=0.02, transient=20.0, window=10.0, lyapunov_time=30.0,
                        tangent_transient=5.0)
    assert res.status == "converged" and len(res) == 1
    (a,) = res
    assert a.kind == "limit cycle" and a.signs == "0-" and a.orbit.status == "converged"
    orbit = a.orbit
    W1, W2 = (m.weight.detach().double().numpy() for m in (module.inp, module.out))
    sol = solve_ivp(lambda t, x: W2 @ np.tanh(W1 @ x), (0.0, orbit.period), orbit.x0.numpy(), rtol=1e-12,
                    atol=1e-12)
    # shooting solved the RK4 map with T/1000 steps: the true flow closes to O(h^4) ~ 1e-9
    assert np.abs(sol.y[:, -1] - orbit.x0.numpy()).max() < 1e-7
    # the non-trivial Floquet exponent log|mu| / T is the negative Lyapunov exponent
    floquet = math.log(float(orbit.multipliers[1].abs())) / orbit.period
    assert abs(floquet - float(a.exponents[1])) <= 3 * float(a.stderr[1]) + float(a.spectrum.drift[1]) + a.zero_tol


def test_too_short_spectrum_gives_an_honest_status_not_a_kind():
    kw = dict(FAST, lyapunov_time=0.2, qr_every=10)  # 20 steps: 2 re-orthonormalisations, 4 needed for a batch
    res = nd.attractors(linear(), box=(-3.0, 3.0), count=8, **kw)
    (a,) = res
    assert a.kind == "unknown" and a.status == "too short" and not a.status.ok
    assert res.status == "unconverged"
    with pytest.raises(nd.ConvergenceError) as info:
        nd.attractors(linear(), box=(-3.0, 3.0), count=8, strict=True, **kw)
    assert info.value.result.status == "unconverged"


def test_a_start_stuck_at_a_saddle_is_not_called_chaotic():
    # x' = x - x^3: stable equilibria -1 and 1 with basins x < 0 and x > 0; 0 is unstable (exponent +1), and a
    # trajectory that starts there stays there: a positive exponent, but no attractor and no chaos
    flow = nd.Flow(lambda t, x: x - x**3, 1, name="bistable")
    starts = torch.tensor([[-2.0], [-0.3], [0.0], [0.4], [3.0], [0.7]], dtype=torch.float64)
    res = nd.attractors(flow, starts, dt=0.05, transient=20.0, window=5.0, lyapunov_time=20.0, tangent_transient=1.0)
    by_kind = sorted((a.kind, a.members.tolist()) for a in res)
    assert by_kind == [("equilibrium", [0, 1]), ("equilibrium", [3, 4, 5]), ("unknown", [2])]
    (stuck,) = [a for a in res if a.kind == "unknown"]
    assert stuck.signs == "+" and stuck.status == "unconverged" and "not a stable equilibrium" in stuck.reason
    assert sorted(float(a.point) for a in res if a.point is not None) == [-1.0, 1.0]
    assert res.status == "unconverged"


def test_a_line_of_equilibria_is_capped_not_classified_start_by_start():
    # x' = 0, y' = -y: every point of the x axis is an equilibrium; each start ends at its own one
    flow = nd.Flow(lambda t, x: torch.stack((torch.zeros_like(x[..., 0]), -x[..., 1]), -1), 2, name="line")
    res = nd.attractors(flow, box=(-1.0, 1.0), count=5, dt=0.05, transient=30.0, window=2.0, lyapunov_time=2.0,
                        max_attractors=2)
    assert len(res) == 5 and all(a.kind == "unknown" and a.status == "unconverged" for a in res)
    assert sum("max_attractors = 2" in a.reason for a in res) == 3 and sum(a.spectrum is None for a in res) == 3


def test_escaping_trajectories_are_flagged_not_grouped():
    flow = nd.Flow(lambda t, x: x, 1, name="growth")
    res = nd.attractors(flow, box=(0.5, 1.0), count=4, transient=10.0, window=1.0, escape=100.0)
    assert len(res) == 0 and res.status == "none found" and res.escaped_fraction == 1.0
    assert res.labels.tolist() == [-1] * 4


def test_bad_input_names_the_argument():
    flow = linear()
    with pytest.raises(nd.NonFiniteError, match="starts"):
        nd.attractors(flow, torch.tensor([[0.0, float("nan"), 0.0]]))
    with pytest.raises(nd.InvalidInputError, match="starts"):
        nd.attractors(flow, torch.zeros(4, 2))
    with pytest.raises(nd.InvalidInputError, match="Map"):
        nd.attractors(nd.henon(), count=4)
    with pytest.raises(nd.InvalidInputError, match="box"):
        nd.attractors(flow, box=(1.0, -1.0))
    with pytest.raises(nd.InvalidInputError, match="either starts"):
        nd.attractors(flow, torch.zeros(2, 3), box=(-1.0, 1.0))
    with pytest.raises(nd.InvalidInputError, match="unexpected keyword"):
        nd.attractors(flow, count=4, transent=3.0)
    with pytest.raises(nd.InvalidInputError, match="match_quantile"):
        nd.attractors(flow, count=4, settings=AttractorSettings(match_quantile=1.5))
    with pytest.raises(nd.InvalidInputError, match="depends on time"):
        nd.attractors(nd.Flow(lambda t, x: -x + torch.sin(t), 2, name="forced"), count=4)
    with pytest.raises(nd.InvalidInputError, match="system must be"):
        nd.attractors(lambda t, x: -x, count=4)
    for seed in ("a", 1.5, -1):  # the seed of the starts and the Lyapunov frames: an integer >= 0, not truncated
        with pytest.raises(nd.InvalidInputError, match="seed"):
            nd.attractors(flow, count=4, seed=seed)
