"""All-to-all Kuramoto on unit phasors, fused by torch.compile (simulate_phasors(compile=True)) against the eager
step: the same arithmetic, so the same trajectory to rounding."""

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
def test_without_a_working_compiler_the_eager_step_runs_with_a_warning(monkeypatch):
    import torch._inductor.config as inductor_config

    monkeypatch.setattr(inductor_config.cpp, "cxx", ("/nonexistent/c++",))
    monkeypatch.setattr(inductor_config, "force_disable_caches", True)
    n = 37  # a size compiled nowhere else in the test run
    net = nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(0.5).quantiles(n), K=2.0)
    x0 = _x0()[:n]
    with pytest.warns(RuntimeWarning, match="could not compile the phasor step.*eager step instead"):
        run = nw.simulate_phasors(net, x0, t_end=0.2, dt=0.02, compile=True)
    assert torch.equal(run.final, nw.simulate_phasors(net, x0, t_end=0.2, dt=0.02).final)
