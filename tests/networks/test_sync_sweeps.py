"""Synchronisation sweeps: the adiabatic sweep against the Ott-Antonsen theory (branch and hysteresis loop), and
sweeps over coupling and size on the sweep machinery."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn import networks as nw


def _phases(n, seed=0):
    return 2 * math.pi * torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_upward_sweep_follows_the_lorentzian_branch(tmp_path):
    # gamma = 1/2, K_c = 1: r* = sqrt(1 - 1/K) above. N = 4000 quantile frequencies; the r(t) fluctuation is
    # ~0.3/sqrt(N) = 0.005 (test_synchrony); tolerance 0.03. Near onset the branch is reached slowly (growth rate
    # K/2 - gamma), so the middle coupling is 1.5 (rate 0.25: from r ~ 0.02 to the branch in ~15 time units).
    import matplotlib

    matplotlib.use("Agg")
    n, gamma = 4000, 0.5
    net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(gamma).quantiles(n))
    st = nw.SyncSettings(t_settle=60.0, dt=0.1, average_last=30.0, slices=10, snapshot=500)
    sweep = nw.synchrony_sweep(net, [2.5, 0.6, 1.5], _phases(n), settings=st, down=False,
                               theory=lambda K: nw.oa_stationary_r(gamma, K), K_c_theory=1.0)
    assert sweep.K.tolist() == [0.6, 1.5, 2.5]
    for K, r in zip(sweep.K.tolist(), sweep.r_up.tolist(), strict=True):
        assert abs(r - nw.oa_stationary_r(gamma, K)) < 0.03
    assert sweep.hysteresis == 0.0 and bool(torch.isnan(sweep.r_down).all())
    # all-to-all: the local order parameter is the global one on every slice
    last = sweep.profiles[-1]
    assert float((last - last.mean()).abs().max()) < 1e-12
    assert sweep.snapshot_phases.shape == (500,) and float(sweep.snapshot_phases.abs().max()) <= math.pi
    assert len(sweep.plot()) == 3
    data = sweep.save_json(tmp_path / "sync.json").read_text()
    assert '"SyncSweep"' in data


@pytest.mark.slow
def test_bimodal_hysteresis_loop_matches_the_ott_antonsen_theory():
    # Bimodal Lorentzian gamma = 1, peaks at +-0.8 (in the bistable range gamma/sqrt 3 < 0.8 < gamma):
    # K_c = 2 (gamma^2 + 0.8^2)/gamma = 3.28. At K = 3.2 < K_c the incoherent state is stable (sweeping up stays
    # there) and so is partial synchrony (sweeping down from K = 3.5 stays there): the two-slice Ott-Antonsen
    # flow gives r = 0 up and r = 0.381 down. N = 10^4 particles reproduce both within their fluctuation
    # (measured 0.022 up, 0.380 down).
    gamma, s = 1.0, 0.8
    law = nw.Bimodal(gamma, s)
    assert nw.critical_coupling(law) == pytest.approx(2 * (gamma ** 2 + s ** 2) / gamma, rel=1e-14)
    st = nw.SyncSettings(t_settle=100.0, dt=0.05, average_last=40.0)
    Ks = [3.0, 3.2, 3.5]
    oa = nw.ott_antonsen(gamma, omega0=torch.tensor([-s, s]), graphon=nw.constant_graphon(1.0), slices=2)
    theory = nw.synchrony_sweep(oa, Ks, torch.tensor([1e-3, 1e-3, 0.0, 0.0], dtype=torch.float64), settings=st)
    assert float(theory.r_up[1]) < 1e-6 and float(theory.r_down[1]) == pytest.approx(0.381, abs=0.002)
    n = 10_000
    sweep = nw.synchrony_sweep(nw.kuramoto(nw.CompleteGraph(n), law.quantiles(n)), Ks, _phases(n), settings=st,
                               theory=theory, K_c_theory=nw.critical_coupling(law))
    assert float(sweep.r_up[1]) < 0.05
    assert abs(float(sweep.r_down[1]) - float(theory.r_down[1])) < 0.03
    assert sweep.hysteresis > 0.3 and sweep.hysteretic and sweep.hysteresis_floor == 3 / math.sqrt(n)
    assert abs(float(sweep.r_up[2]) - float(theory.r_up[2])) < 0.03


def test_sweep_over_coupling_and_size_runs_on_the_sweep_machinery(tmp_path):
    configs = nw.kuramoto_grid(n=[500, 2000], K=[0.5, 2.0], t_end=40.0, average_from=20.0)
    result = nw.sweep_kuramoto(configs, tmp_path / "store", workers=0, progress=False)
    assert result.ran == 4 and result.failed == 0
    for row in result.finished:
        assert row["K_c"] == pytest.approx(1.0)
        if row["K"] == 2.0:  # r* = sqrt(1/2); fluctuation ~0.3/sqrt(N) <= 0.014
            assert abs(row["r"] - math.sqrt(0.5)) < 0.03
        else:
            assert row["r"] < 0.1
    again = nw.sweep_kuramoto(configs, tmp_path / "store", workers=0, progress=False)
    assert again.ran == 0 and again.skipped == 4


@pytest.mark.slow
def test_sweep_over_coupling_runs_on_dask(tmp_path):
    configs = nw.kuramoto_grid(n=300, K=[0.5, 2.0], t_end=10.0, average_from=5.0)
    result = nw.sweep_kuramoto(configs, tmp_path / "store", workers=1, progress=False)
    assert result.executor.startswith("dask") and len(result.finished) == 2


def test_bad_sweep_input_is_refused(tmp_path):
    with pytest.raises(nd.InvalidInputError, match="graph must be one of"):
        nw.KuramotoConfig(graph="ring")
    with pytest.raises(nd.InvalidInputError, match="edge probability"):
        nw.KuramotoConfig(graph="erdos-renyi", p=1.5)
    with pytest.raises(nd.InvalidInputError, match="unknown Kuramoto field"):
        nw.kuramoto_grid(N=[10])
    with pytest.raises(nd.InvalidInputError, match="KuramotoConfig"):
        nw.sweep_kuramoto([nd.sweep.SweepConfig()], tmp_path)
    with pytest.raises(nd.InvalidInputError, match="average_last"):
        nw.SyncSettings(t_settle=10.0, average_last=20.0)
    net = nw.rate_network(nw.CompleteGraph(5))
    with pytest.raises(nd.InvalidInputError, match="no parameter 'K'"):
        nw.synchrony_sweep(net, [1.0], torch.zeros(5))
    row = nw.measure_kuramoto(nw.KuramotoConfig(n=10, t_end=1.0, dt=0.3, average_from=0.5))
    assert row["status"] == "error" and "whole number" in row["error"]  # recorded, not raised


@pytest.mark.parametrize("s", [0.3, 0.8, 1.0, 1.5, 3.0])
def test_bimodal_onset_is_where_the_incoherent_state_loses_stability(s):
    # The two-slice Ott-Antonsen flow's Jacobian at z = 0 (computed by the library, not by the formula) has its
    # rightmost eigenvalue crossing 0 at critical_coupling: below it by 1e-6 relative all real parts are < 0,
    # above it one is > 0. For s > gamma the crossing is a complex pair's at 4 gamma (Martens et al. 2009), well
    # below 2 (gamma^2 + s^2)/gamma; with a constant graphon p both scale as 1/p.
    gamma, p = 1.0, 0.5
    for graphon, scale in ((None, 1.0), (nw.constant_graphon(p), p)):
        K_c = nw.critical_coupling(nw.Bimodal(gamma, s), graphon=graphon)
        assert K_c == pytest.approx(min(2 * (gamma**2 + s**2) / gamma, 4 * gamma) / scale, rel=1e-10)
        oa = nw.ott_antonsen(gamma, omega0=torch.tensor([-s, s]), graphon=nw.constant_graphon(scale), slices=2)
        zero = torch.zeros(1, 4, dtype=torch.float64)
        for factor, unstable in ((1 - 1e-6, False), (1 + 1e-6, True)):
            J = oa.with_params(K=K_c * factor).jacobian(zero)[0]
            assert (float(torch.linalg.eigvals(J).real.max()) > 0) == unstable
