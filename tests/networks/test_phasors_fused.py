"""All-to-all Kuramoto on unit phasors, fused by torch.compile (simulate_phasors(compile=True)) against the eager
step: the same arithmetic, so the same trajectory to rounding."""

import json
import math
import warnings

import pytest
import torch

from neurodyn import networks as nw

N = 500


def _x0():
    # phases on [0, pi): r(0) = 2/pi, away from every K's stationary r, so the runs move
    return math.pi * torch.rand(N, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def _phasors(x):
    return torch.stack((torch.cos(x), torch.sin(x)))


@pytest.mark.slow  # compiles two passes for each of three configurations: 15-40 s
@pytest.mark.parametrize("K, alpha, renormalise", [(2.0, 0.0, True), (3.0, 0.7, False),
                                                   (torch.tensor([[0.5], [3.0]], dtype=torch.float64), 0.4, True)])
def test_fused_step_agrees_with_the_eager_step_to_rounding(K, alpha, renormalise):
    # Lorentzian quantiles (|omega| up to ~80 at N = 500, exact rotation), 100 steps of dt = 0.02 (K_c = 1).
    # Both runs evaluate lawson_rk4; the fused one sums the means in another order and gets Z_3, Z_4 from
    # moments of stage-2 values, so the phasors agree to a few ulps per step, not bit for bit (measured 1e-15).
    net = nw.kuramoto(nw.CompleteGraph(N), nw.Lorentzian(0.5).quantiles(N), K=1.0, alpha=alpha).with_params(K=K)
    kw = dict(t_end=2.0, dt=0.02, every=10, renormalise=renormalise)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to the eager step
        fused = nw.simulate_phasors(net, _x0(), compile=True, **kw)
    eager = nw.simulate_phasors(net, _x0(), **kw)
    assert float((_phasors(fused.final) - _phasors(eager.final)).abs().max()) <= 1e-13
    assert float((fused.values - eager.values).abs().max()) <= 1e-13
    assert torch.equal(fused.times, eager.times)
    assert float((fused.values[-1] - fused.values[0]).abs().min()) > 0.05  # r moved: a non-trivial run


@pytest.mark.slow  # torch.compile traces and lowers the first pass before the compiler fails: ~5-10 s
def test_without_a_working_compiler_the_eager_step_runs_with_a_warning():
    import torch._inductor.config as inductor_config

    n = 37  # a size compiled nowhere else in the test run
    net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(0.5).quantiles(n), K=2.0)
    x0 = _x0()[:n]
    with inductor_config.patch({"cpp.cxx": ("/nonexistent/c++",), "force_disable_caches": True}):
        with pytest.warns(RuntimeWarning, match="could not compile the phasor step.*eager step instead"):
            run = nw.simulate_phasors(net, x0, t_end=0.2, dt=0.02, compile=True)
    assert torch.equal(run.final, nw.simulate_phasors(net, x0, t_end=0.2, dt=0.02).final)


@pytest.mark.slow  # compiles the passes for N = 400 (5-20 s)
def test_a_compiled_synchrony_sweep_and_the_cli_flag_reproduce_the_eager_sweep(tmp_path):
    # 60 steps per coupling, three couplings up and down: the trajectories differ by rounding (previous test),
    # so the time-averaged r agree far below the finite-N fluctuation (~1/sqrt(N) = 0.05); tolerance 1e-10.
    net = nw.kuramoto(nw.CompleteGraph(400), nw.Lorentzian(0.5).quantiles(400), K=1.0)
    Ks = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the fused step ran, not its eager fallback
        runs = [nw.synchrony_sweep(net, Ks, _x0()[:400], settings=nw.SyncSettings(
            t_settle=3.0, dt=0.05, average_last=1.5, slices=4, compile=c)) for c in (False, True)]
    for name in ("r_up", "r_down", "profiles"):
        assert float((getattr(runs[0], name) - getattr(runs[1], name)).abs().max()) < 1e-10
    from typer.testing import CliRunner

    from neurodyn.cli import app

    args = ["kuramoto", "--n", "400", "--k-steps", "2", "--t-settle", "3", "--average-last", "1.5", "--no-down",
            "--no-progress"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = [CliRunner().invoke(app, [*args, "--out", str(tmp_path / name), *flag])
               for name, flag in (("eager", []), ("fused", ["--compile"]))]
    assert all(res.exit_code == 0 for res in out), out[1].output
    r = [json.loads((tmp_path / name / "kuramoto.json").read_text())["sweep"]["r_up"] for name in ("eager", "fused")]
    assert max(abs(a - b) for a, b in zip(*r, strict=True)) < 1e-10


@pytest.mark.slow  # compiles the passes for one new N (4-10 s)
def test_past_torchs_recompile_limit_the_eager_step_runs_with_a_warning():
    import torch._dynamo.config as dynamo_config

    x0 = _x0()
    with dynamo_config.patch(recompile_limit=1):  # one compiled shape per pass: the second new N exceeds it
        for n in (43, 47):
            net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(0.5).quantiles(n), K=2.0)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                run = nw.simulate_phasors(net, x0[:n], t_end=0.2, dt=0.02, compile=True)
        assert any("recompile limit" in str(w.message) for w in caught if w.category is RuntimeWarning)
        assert torch.equal(run.final, nw.simulate_phasors(net, x0[:n], t_end=0.2, dt=0.02).final)
