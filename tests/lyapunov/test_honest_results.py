"""A Lyapunov run never returns a wrong answer labelled converged: frame collapse between re-orthonormalisations,
runs too short to judge, inputs in the other layout, runs that cannot fit in memory are refused or flagged."""

import math
import time
import warnings

import pytest
import torch
from torch import nn

import neurodyn as nd

HENON = (0.41922, -1.62319)  # published (Sprott); the sum is ln 0.3 exactly


def test_henon_frame_collapse_names_qr_every():
    # 1000 steps between QRs: the contracting direction is lost after ~18 steps; the old code returned
    # [0.410, 0.375] as "converged"
    with pytest.raises(nd.InvalidInputError, match="lower qr_every \\(now 1000") as info:
        nd.lyapunov_spectrum(nd.henon(), steps=1000, qr_every=1000, transient=0, tangent_transient=0, batch=1)
    assert "weakest directions were lost" in str(info.value)
    # the spread of Henon's two directions is ~2.04 nats per step: 9 steps exceed 18 nats, 6 stay inside
    with pytest.raises(nd.InvalidInputError, match="qr_every"):
        nd.lyapunov_spectrum(nd.henon(), steps=2000, qr_every=10, transient=100, tangent_transient=100, batch=2)
    ok = nd.lyapunov_spectrum(nd.henon(), steps=20_000, qr_every=6, transient=100, tangent_transient=100, batch=4)
    assert ok.status == nd.Status.CONVERGED
    assert ok.sum == pytest.approx(math.log(0.3), abs=1e-10)
    torch.testing.assert_close(ok.exponents, torch.tensor(HENON, dtype=torch.float64), rtol=0,
                               atol=float(4 * ok.stderr.max()) + 1e-4)


def test_gru_frame_collapse_names_qr_every():
    torch.manual_seed(0)
    gru = nn.GRU(3, 6, batch_first=True)
    inputs = torch.randn(4, 2000, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with pytest.raises(nd.InvalidInputError, match="qr_every"):
        nd.lyapunov_spectrum(gru, inputs=inputs, qr_every=400)
    # the sum of the exponents is the mean log|det J| whatever the frame: an honest run reproduces it
    every = nd.lyapunov_spectrum(gru, inputs=inputs, tangent_transient=100)
    auto = nd.lyapunov_spectrum(gru, inputs=inputs, tangent_transient=100, qr_every="auto")
    torch.testing.assert_close(auto.exponents, every.exponents, rtol=0, atol=1e-9)


def _switching_map():
    """A state that stays put with the tangent map diag(e^u, e^-u): exponents known exactly from the inputs."""
    signs = torch.tensor([1.0, -1.0], dtype=torch.float64)
    return nd.Map(lambda x, u: x + 0 * u, 2, input_dim=1, name="switching",
                  jacobian=lambda x, u: torch.diag_embed(torch.exp(u * signs)))


def test_auto_schedule_redoes_a_collapsed_interval():
    # 200 steps at u = 0 let "auto" grow its interval to 16; then u = 3 spreads the frame by 6 nats per step,
    # 96 nats over the interval: the frame collapses, and the stretch is redone one step per interval
    u = torch.cat([torch.zeros(200), torch.full((400,), 3.0)]).reshape(1, 600, 1).double()
    # (the input switches once, so the time blocks' rates differ by 3 nats: the run is honestly "unconverged")
    every = nd.lyapunov_spectrum(_switching_map(), inputs=u, x0=[1.0, 1.0], k=2, strict=False)
    auto = nd.lyapunov_spectrum(_switching_map(), inputs=u, x0=[1.0, 1.0], k=2, qr_every="auto", strict=False)
    assert every.status == auto.status == "unconverged"
    torch.testing.assert_close(auto.exponents, every.exponents, rtol=0, atol=1e-12)
    assert auto.sum == pytest.approx(0.0, abs=1e-12)  # det J = 1
    # 400 of 600 steps at +-3 nats; the random start frame's misalignment costs log(1/cos) / 600 at most ~1e-3
    assert auto.maximal == pytest.approx(2.0, abs=2e-3)
    with pytest.raises(nd.InvalidInputError, match="qr_every \\(now 16"):
        nd.lyapunov_spectrum(_switching_map(), inputs=u, x0=[1.0, 1.0], qr_every=16)


def test_divergence_hint_names_the_knob():
    doubling = nd.Map(lambda x, u: torch.remainder(2 * x, 1.0), 1, name="doubling")  # bounded state, J = 2
    with pytest.raises(nd.DivergenceError, match="lower qr_every \\(now 1100\\)") as info:
        nd.lyapunov_spectrum(doubling, steps=2000, qr_every=1100, x0=[0.1])
    assert "dt" not in str(info.value)
    res = nd.lyapunov_spectrum(doubling, steps=2000, x0=[0.1])
    assert res.maximal == pytest.approx(math.log(2.0), abs=1e-12)
    blowup = nd.Flow(lambda t, x: x * x, 1, name="blow-up")  # x(t) = 1 / (1 - t)
    with pytest.raises(nd.DivergenceError, match="lower dt") as info:
        nd.lyapunov_spectrum(blowup, steps=100, dt=0.1, x0=[1.0])
    assert "qr_every" not in str(info.value)
    with pytest.raises(nd.DivergenceError, match="check x0, the inputs") as info:
        nd.lyapunov_spectrum(nd.Map(lambda x, u: 3.0 * x * x, 1), steps=20, x0=[2.0])
    assert "dt" not in str(info.value)


def test_too_short_is_never_converged():
    with pytest.raises(nd.ConvergenceError, match="too short") as info:
        nd.lyapunov_spectrum(nd.henon(), steps=1)
    assert info.value.result.status is nd.Status.TOO_SHORT
    with pytest.warns(nd.ConvergenceWarning, match="too short"):
        res = nd.lyapunov_spectrum(nd.henon(), steps=1, strict=False)
    assert res.status is nd.Status.TOO_SHORT and not res.status.ok
    # one trajectory: nine re-orthonormalisations cannot fill the ten time blocks of its standard error; a batch
    # needs two in each half of the drift test
    for steps, qr_every, batch, status in ((9, 1, 1, nd.Status.TOO_SHORT), (30, 10, 4, nd.Status.TOO_SHORT),
                                           (400, 1, 1, nd.Status.CONVERGED), (40, 10, 4, nd.Status.CONVERGED)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nd.ConvergenceWarning)
            r = nd.lyapunov_spectrum(nd.logistic(4.0), steps=steps, qr_every=qr_every, batch=batch, strict=False,
                                     convergence_tol=0.2)
        assert r.status is status, (steps, qr_every, batch)
        assert isinstance(r.status, nd.Status)
    with pytest.raises(nd.ConvergenceError, match="maximal Lyapunov exponent of .*too short"):
        nd.max_lyapunov(nd.henon(), steps=3)


def test_strict_true_raises_for_unconverged_and_false_returns():
    drifting = nd.Map(lambda x, u: x + 1, 1, jacobian=lambda x, u: (2 + x).unsqueeze(-1), name="drifting")
    with pytest.warns(nd.ConvergenceWarning, match="still drift"):
        res = nd.lyapunov_spectrum(drifting, steps=1000, x0=[[0.0], [0.5]])  # default: status, not an error
    assert res.status is nd.Status.UNCONVERGED
    with pytest.raises(nd.ConvergenceError, match="unconverged") as info:
        nd.lyapunov_spectrum(drifting, steps=1000, x0=[[0.0], [0.5]], strict=True)
    assert info.value.result.status is nd.Status.UNCONVERGED
    ok = nd.lyapunov_spectrum(nd.Map(lambda x, u: 2 * x, 1), steps=1000, x0=[[0.0], [0.5]], strict=True)
    assert ok.status is nd.Status.CONVERGED


def test_time_first_module_follows_its_own_layout():
    torch.manual_seed(1)
    gru_tf = nn.GRU(3, 4)  # batch_first=False: inputs are (time, batch, features)
    gru_bf = nn.GRU(3, 4, batch_first=True)
    gru_bf.load_state_dict(gru_tf.state_dict())
    seq = torch.randn(2, 100, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)  # (batch, T, m)
    ref = nd.lyapunov_spectrum(gru_bf, inputs=seq, tangent_transient=20, strict=False)
    tf = nd.lyapunov_spectrum(gru_tf, inputs=seq.transpose(0, 1), tangent_transient=20, strict=False)
    assert tf.settings["batch"] == 2 and tf.settings["steps"] == 80  # the old code read 100 sequences of 2 steps
    torch.testing.assert_close(tf.per_sample, ref.per_sample, rtol=0, atol=0)
    explicit = nd.lyapunov_spectrum(gru_tf, inputs=seq, layout="batch_first", tangent_transient=20, strict=False)
    torch.testing.assert_close(explicit.per_sample, ref.per_sample, rtol=0, atol=0)
    assert nd.from_torch(gru_tf).input_layout == "time_first" and nd.from_torch(gru_bf).input_layout == "batch_first"
    with pytest.raises(nd.InvalidInputError, match="read as time_first; pass layout='batch_first'"):
        nd.lyapunov_spectrum(gru_tf, inputs=seq, steps=50)
    with pytest.raises(nd.InvalidInputError, match="layout must be one of"):
        nd.lyapunov_spectrum(gru_tf, inputs=seq, layout="batch")


def test_a_run_that_cannot_fit_in_memory_is_refused_before_it_starts():
    wide = nd.Map(lambda x, u: 0.5 * x, 100_000, name="wide")  # the frame alone: 20 x 1e5 x 1e5 doubles, 1.6 TB
    t0 = time.perf_counter()
    with pytest.raises(nd.InvalidInputError, match="'wide' needs about .* GiB .* lower k .*about \\d+ fit"):
        nd.lyapunov_spectrum(wide, steps=10, batch=20)
    assert time.perf_counter() - t0 < 5.0


def test_a_long_run_without_progress_bar_warns():
    def slow(x, u):
        time.sleep(0.05)
        return 0.5 * x

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # stop the run at the warning
        with pytest.raises(UserWarning, match="will take about .* minutes .*progress=True"):
            nd.lyapunov_spectrum(nd.Map(slow, 1), steps=10_000, x0=[1.0])


def test_deprecated_renorm_every_is_qr_every():
    with pytest.warns(DeprecationWarning, match=r"max_lyapunov\(renorm_every=...\) is deprecated; use qr_every="):
        old = nd.max_lyapunov(nd.henon(), steps=500, batch=2, renorm_every=3)
    new = nd.max_lyapunov(nd.henon(), steps=500, batch=2, qr_every=3)
    torch.testing.assert_close(old.exponents, new.exponents, rtol=0, atol=0)
    with pytest.raises(nd.InvalidInputError, match="pass qr_every= only"):  # both, even at the old default
        nd.max_lyapunov(nd.henon(), steps=500, batch=2, qr_every=1, renorm_every=3)


def test_ftle_of_a_time_first_module_reads_its_inputs_time_first():
    torch.manual_seed(4)
    gru_tf = nn.GRU(2, 3)
    gru_bf = nn.GRU(2, 3, batch_first=True)
    gru_bf.load_state_dict(gru_tf.state_dict())
    pts = torch.randn(5, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    seq = torch.randn(5, 7, 2, generator=torch.Generator().manual_seed(6), dtype=torch.float64)  # (P, L, m)
    ref = nd.ftle(gru_bf, pts, steps=7, k=3, inputs=seq)
    tf = nd.ftle(gru_tf, pts, steps=7, k=3, inputs=seq.transpose(0, 1))
    torch.testing.assert_close(tf.exponents, ref.exponents, rtol=0, atol=0)


def test_a_drift_test_within_huge_standard_errors_is_not_convergence():
    # Lorenz over 0.1 time units: standard errors ~1.5 against a spectrum spread of ~10; lambda_1 ~ 8.7 would
    # pass "drift within 3 standard errors"
    res = nd.lyapunov_spectrum(nd.lorenz(), steps=10, dt=0.01, batch=8, strict=False)
    spread = float(res.exponents.max() - res.exponents.min())
    assert res.status == "unconverged" and float(res.stderr.max()) > 0.1 * spread
    long = nd.lyapunov_spectrum(nd.lorenz(), steps=20_000, dt=0.01, transient=1000, batch=8, qr_every=5)
    assert long.status == "converged" and long.maximal == pytest.approx(0.9056, abs=5 * float(long.stderr[0]) + 0.01)
