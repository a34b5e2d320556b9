"""Synchronisation: the Ott–Antonsen reduction's exact answers, finite networks against them, and the critical
coupling from the graphon operator's leading eigenvalue."""

import math

import pytest
import torch

from neurodyn import networks as nw

GAMMA = 0.5


def _phases(n, seed=0):
    return 2 * math.pi * torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _oa_r(s):
    return nw.oa_order_parameter(s).abs().mean(-1)


@pytest.mark.parametrize("K", [1.2, 2.0, 4.0])
def test_ott_antonsen_all_to_all_stationary_r_is_exact(K):
    # dr/dt = -gamma r + (K/2) r (1 - r^2); the branch r* = sqrt(1 - 2 gamma/K) attracts at rate K - 2 gamma
    # (>= 0.2 here), so t = 200 leaves e^{-40} of the initial offset: only RK4 and rounding errors remain.
    oa = nw.ott_antonsen(GAMMA, K=K)
    run = nw.simulate(oa, torch.tensor([0.1, 0.05], dtype=torch.float64), t_end=200.0, dt=0.01, observe=_oa_r,
                      every=1000)
    assert abs(float(run.values[-1]) - math.sqrt(1 - 2 * GAMMA / K)) < 1e-8
    assert nw.oa_stationary_r(GAMMA, K) == pytest.approx(math.sqrt(1 - 2 * GAMMA / K), abs=1e-15)


def test_ott_antonsen_below_critical_coupling_decays_to_incoherence():
    run = nw.simulate(nw.ott_antonsen(GAMMA, K=0.8), torch.tensor([0.5, 0.0], dtype=torch.float64), t_end=200.0,
                      dt=0.01, observe=_oa_r, every=1000)
    assert float(run.values[-1]) < 1e-8  # decays at rate gamma - K/2 = 0.1: e^{-20} * 0.5 ~ 1e-9


def test_critical_coupling_formulas():
    assert nw.critical_coupling(nw.Lorentzian(GAMMA)) == pytest.approx(2 * GAMMA, rel=1e-15)
    # Gaussian: 2 / (pi g(0)) = 2 sigma sqrt(2 pi) / pi
    assert nw.critical_coupling(nw.Gaussian(1.3)) == pytest.approx(2 * 1.3 * math.sqrt(2 * math.pi) / math.pi,
                                                                   rel=1e-15)
    for p in (1.0, 0.5, 0.1):
        Kc = nw.critical_coupling(nw.Lorentzian(GAMMA), graphon=nw.constant_graphon(p))
        assert Kc == pytest.approx(2 * GAMMA / p, rel=1e-12)


def _all_to_all_lorentzian(n):
    net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(GAMMA).quantiles(n), K=2.0)
    run = nw.simulate(net, _phases(n), t_end=60.0, dt=0.05, every=4)
    window = run.values[run.times >= 30.0]
    return float(window.mean()), float(window.std())


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_particles_reach_the_ott_antonsen_branch(n):
    # K = 2, gamma = 1/2: r* = sqrt(1/2). The finite network's r(t) fluctuates about the branch because of its
    # drifting oscillators, with standard deviation ~ 0.3 / sqrt(N) (measured: 0.32/sqrt(N) at N = 1e4,
    # 0.34/sqrt(N) at N = 1e5). The tolerance is that fluctuation: the time average over t in [30, 60] must lie
    # within one standard deviation of r(t) from r*, and the fluctuation itself must scale like N^{-1/2}.
    mean, std = _all_to_all_lorentzian(n)
    assert std < 0.5 / math.sqrt(n)
    assert abs(mean - math.sqrt(0.5)) < std


def test_gaussian_critical_coupling_by_a_sweep():
    # sigma = 1: K_c = 2 / (pi g(0)) = 1.5958. Coarse: N = 4000 oscillators with quantile frequencies, four
    # couplings, onset from the r^2-linear fit of the supercritical branch (r^2 ~ c (K - K_c) near onset); the
    # 5% tolerance covers the finite-N rounding of the transition and the quadratic corrections to r^2 at
    # r ~ 0.4 (measured: 0.35% off).
    law = nw.Gaussian(1.0)
    n = 4000
    net = nw.kuramoto(nw.CompleteGraph(n), law.quantiles(n))
    x0 = 0.5 * torch.rand(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sweep = nw.sweep_coupling(net, [1.5, 1.6, 1.7, 1.8], x0, t_end=150.0, dt=0.1, average_from=75.0)
    assert sweep.status == "ok"
    assert sweep.K_c == pytest.approx(nw.critical_coupling(law), rel=0.05)
    assert float(sweep.r[0]) < 0.05  # below K_c: incoherent up to finite-N fluctuations


def _growth_rate(flow, K, t_end=40.0):
    """Measured exponential growth rate of |z| from a small incoherent perturbation (linear regime)."""
    m = flow.dim // 2
    s0 = torch.cat((torch.full((m,), 1e-7, dtype=torch.float64), torch.zeros(m, dtype=torch.float64)))
    run = nw.simulate(flow.with_params(K=K), s0, t_end=t_end, dt=0.05, observe=lambda s: s.norm(dim=-1), every=20)
    h = len(run.times) // 2
    return float((run.values[-1].log() - run.values[h].log()) / (run.times[-1] - run.times[h]))


def _measured_onset(flow, guess):
    """Zero of the growth rate, interpolated between 0.9 and 1.1 times ``guess`` (the rate is linear in K)."""
    K1, K2 = 0.9 * guess, 1.1 * guess
    g1, g2 = _growth_rate(flow, K1), _growth_rate(flow, K2)
    return K1 - g1 * (K2 - K1) / (g2 - g1)


def test_constant_graphon_critical_coupling_scales_as_one_over_p():
    for p in (1.0, 0.5, 0.25):
        oa = nw.ott_antonsen(GAMMA, graphon=nw.constant_graphon(p), slices=4)
        assert _measured_onset(oa, 2 * GAMMA / p) * p == pytest.approx(2 * GAMMA, rel=1e-9)


def test_erdos_renyi_network_follows_the_constant_graphon_limit():
    # G(N, 1/2) with N = 1000 at K = 4 (K p = 2): the limit is the all-to-all branch at K p, r* = sqrt(1/2).
    # Tolerance: the finite-N fluctuation of r(t) (std, measured 0.010), which dominates the O(1/(p N)) shift
    # from the random degrees.
    n, p = 1000, 0.5
    graph = nw.constant_graphon(p).sample(n, random=True, generator=torch.Generator().manual_seed(1))
    assert abs(float(graph.A.sum()) / (n * (n - 1)) - p) < 3 * math.sqrt(p * (1 - p) / (n * (n - 1) / 2))
    net = nw.kuramoto(graph, nw.Lorentzian(GAMMA).quantiles(n), K=2.0 / p)
    run = nw.simulate(net, _phases(n), t_end=50.0, dt=0.05, every=4)
    window = run.values[run.times >= 25.0]
    assert abs(float(window.mean()) - math.sqrt(0.5)) < float(window.std())


def test_nonconstant_graphon_onset_matches_the_leading_eigenvalue_formula():
    # W(x, y) = (x + y)/2 acts on span{1, x} as [[1/4, 1/6], [1/2, 1/4]]: lambda_max = 1/4 + 1/(2 sqrt 3).
    W = nw.Graphon(lambda x, y: (x + y) / 2, name="(x+y)/2")
    exact = 0.25 + 1 / (2 * math.sqrt(3))
    assert W.leading_eigenvalue() == pytest.approx(exact, rel=1e-13)  # Gauss-Legendre Nystrom, exact here
    Kc = nw.critical_coupling(nw.Lorentzian(GAMMA), graphon=W)
    assert Kc == pytest.approx(2 * GAMMA / exact, rel=1e-13)
    # measured onset of the Ott-Antonsen graphon equation on M slices (midpoint rule): error O(M^-2)
    errors = [_measured_onset(nw.ott_antonsen(GAMMA, graphon=W, slices=m), Kc) / Kc - 1 for m in (50, 100)]
    assert abs(errors[1]) < 2e-5
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.05)


def test_local_order_parameter_profile_matches_the_graphon_limit():
    # Identical oscillators synchronised at phase 0.3: z(y) = e^{0.3 i} int W(y, y') dy' = e^{0.3 i} (y/2 + 1/4).
    W = nw.Graphon(lambda x, y: (x + y) / 2)
    n = 200
    graph = W.sample(n)
    y = nw.node_positions(n)
    z = nw.local_order_parameter(graph, torch.full((n,), 0.3, dtype=torch.float64))
    assert torch.allclose(z, torch.exp(torch.tensor(0.3j, dtype=torch.complex128)) * (y / 2 + 0.25), atol=1e-14)


@pytest.mark.slow
def test_nonconstant_graphon_network_onset_by_a_sweep_matches_the_formula():
    # The particle method of the graphon limit: M = 20 node slices at y_m = (m - 1/2)/M, P = 500 oscillators
    # per slice carrying the P Gaussian quantile frequencies (sigma = 1), coupled through the rank-2 graphon
    # W(x, y) = (x + y)/2 = U V^T with U = (x/2, 1/2), V = (1, y): O(N r) per step. Theory:
    # K_c = 2 / (pi g(0) lambda_max) = 2.9624. Tolerance 5% as for the all-to-all sweep (measured 0.23%).
    law = nw.Gaussian(1.0)
    W = nw.Graphon(lambda x, y: (x + y) / 2)
    m, p = 20, 500
    y = nw.node_positions(m).repeat_interleave(p)
    graph = nw.LowRankGraph(torch.stack((y / 2, torch.full_like(y, 0.5)), 1), torch.stack((torch.ones_like(y), y), 1))
    assert torch.allclose(graph.U @ graph.V.T, W.evaluate(y, y), rtol=0, atol=1e-15)
    net = nw.kuramoto(graph, law.quantiles(p).repeat(m))
    x0 = 0.5 * torch.rand(m * p, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sweep = nw.sweep_coupling(net, [2.8, 3.0, 3.2, 3.4], x0, t_end=150.0, dt=0.1, average_from=75.0)
    assert sweep.status == "ok"
    assert sweep.K_c == pytest.approx(nw.critical_coupling(law, graphon=W), rel=0.05)


def test_results_serialise_and_plot(tmp_path):
    import json

    import matplotlib

    matplotlib.use("Agg")
    n = 200
    net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(GAMMA).quantiles(n))
    sweep = nw.sweep_coupling(net, [0.5, 3.0], _phases(n), t_end=2.0, dt=0.1, average_from=1.0, every=2)
    data = json.loads(sweep.save_json(tmp_path / "sweep.json").read_text())
    assert data["type"] == "CouplingSweep" and len(data["r"]) == 2 and data["status"] == "none found"
    assert sweep.plot(K_c_theory=1.0).get_xlabel() == "K"
    run = nw.simulate(net, _phases(n), t_end=1.0, dt=0.1)
    assert run.times.tolist() == pytest.approx([0.1 * k for k in range(11)], abs=1e-12)
    assert run.plot().get_xlabel() == "t"
