"""qr_every="auto": the spectrum of qr_every=1 within the schedule's stated rounding bound, with fewer QRs."""

import math

import pytest
import torch
from fastpath_systems import TOWEL_X0, towel
from torch import nn

import neurodyn as nd
from neurodyn.lyapunov.schedule import AUTO_TOL, QRLoss


def _recurrent(cell):
    torch.manual_seed(0)
    module = cell(4, 32, batch_first=True)
    inputs = torch.randn(4, 300, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    return nd.from_torch(module), dict(inputs=inputs)


CASES = {
    "henon": lambda: (nd.henon(), dict(steps=3000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64))),
    "lorenz": lambda: (nd.lorenz(), dict(steps=3000, dt=0.01, x0=torch.tensor([[1.0, 1.0, 20.0]],
                                                                                dtype=torch.float64))),
    "towel": lambda: (towel(True), dict(steps=3000, x0=TOWEL_X0)),
    "gru": lambda: _recurrent(nn.GRU),
    "lstm": lambda: _recurrent(nn.LSTM),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_auto_schedule_gives_the_every_step_spectrum_within_its_bound(name):
    system, kw = CASES[name]()
    every = nd.lyapunov_spectrum(system, qr_every=1, strict=False, **kw)
    auto = nd.lyapunov_spectrum(system, qr_every="auto", strict=False, **kw)
    assert auto.status == every.status
    diff = float((auto.per_sample - every.per_sample).abs().max())
    predicted = auto.settings["qr_loss"]
    assert auto.settings["qr_tol"] == AUTO_TOL and predicted <= AUTO_TOL
    assert diff <= AUTO_TOL
    assert diff <= max(5 * predicted, 1e-12)  # the loss model does not underestimate
    assert auto.settings["qr_events"] < every.settings["qr_events"]  # and it saved work


def test_loss_model_picks_the_longest_interval_within_tolerance():
    model = QRLoss.for_run(128, torch.float64, 1.0)
    # 12 nats per step over m = 128: q = 2 loses 2 sqrt(128) u e^24 / 2 = 3.3e-5, q = 3 about 0.9 (collapse)
    assert model.loss(24.0, 2) == pytest.approx(3.3e-5, rel=0.01)
    assert model.next_interval(12.0, 1, 1) == 2 and model.next_interval(24.0, 2, 2) == 2
    assert model.next_interval(36.0, 2, 2) == 1  # 18 nats per step: even two steps lose too much
    assert model.next_interval(0.1, 1, 8) == 16  # grows at most by doubling, capped at 16


def test_auto_survives_a_step_that_collapses_a_direction():
    """The towel map's Jacobian nearly vanishes along one direction at some points (1 - 2x ~ 0): a long interval
    there underflows the weakest column; "auto" redoes it step by step instead of failing."""
    r = nd.lyapunov_spectrum(towel(True), steps=3000, x0=TOWEL_X0, qr_every="auto")
    assert r.status == nd.Status.CONVERGED and r.diverged_at is None


def test_auto_is_the_default_and_the_result_reports_the_schedule_used():
    res = nd.lyapunov_spectrum(nd.henon(), steps=3000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64),
                               tangent_transient=100)
    assert nd.LyapunovSettings().qr_every == "auto" and res.settings["qr_every"] == "auto"
    s = res.settings
    assert s["qr_max_interval"] == 16 and 1 < s["qr_longest_interval"] <= 16
    assert s["qr_events"] < s["measured_steps"] and s["qr_tol"] == AUTO_TOL and 0 < s["qr_loss"] <= 2 * AUTO_TOL
    every = nd.lyapunov_spectrum(nd.henon(), steps=3000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64),
                                 tangent_transient=100, qr_every=1)
    assert "qr_loss" not in every.settings and every.settings["qr_events"] == 3000
    assert float((res.exponents - every.exponents).abs().max()) <= AUTO_TOL


def test_a_short_run_is_not_too_short_because_of_the_schedule():
    """A diagonal linear map has no growth spread worth a QR: unbounded, "auto" would stretch the intervals to 16
    steps and leave a 40-step run 3 re-orthonormalisations, too few for the convergence diagnostic (10 for one
    trajectory). The interval is bounded by steps // 10."""
    m = nd.Map(lambda x, u: x * torch.tensor([1.5, 0.8], dtype=torch.float64), 2)
    res = nd.lyapunov_spectrum(m, steps=40, tangent_transient=100, x0=torch.ones(2, dtype=torch.float64))
    assert res.status == nd.Status.CONVERGED
    assert res.settings["qr_max_interval"] == 4 and res.settings["qr_longest_interval"] == 4
    assert res.settings["qr_events"] >= 10
    torch.testing.assert_close(res.exponents, torch.tensor([math.log(1.5), math.log(0.8)], dtype=torch.float64))
    tiny = nd.lyapunov_spectrum(m, steps=12, x0=torch.ones(2, dtype=torch.float64), strict=False)
    assert tiny.settings["qr_longest_interval"] == 1 and tiny.settings["qr_events"] == 12
