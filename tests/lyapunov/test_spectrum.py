"""Lyapunov spectra against published and exact values.

Tolerances: the QR method's estimate after T measured steps has a statistical error of order
sigma/sqrt(T * batch); the tolerances below are the issue's, and each run is long enough that the
reported standard error is at least 3x smaller than the tolerance (asserted where it matters).
"""

import math

import pytest
import torch
from torch import nn

import neurodyn as nd


def test_logistic_r4_is_ln2():
    res = nd.lyapunov_spectrum(nd.logistic(4.0), steps=20_000, transient=100, batch=4)
    assert abs(res.maximal - math.log(2)) < 0.005 and float(res.stderr[0]) < 0.005 / 3
    assert res.units == "nats/step" and res.status == "converged"


def test_henon_published_values_and_exact_sum():
    # a QR every step: the sum is then exact to rounding (the "auto" schedule's longer intervals add their stated
    # rounding loss, up to 1e-4, to each exponent)
    res = nd.lyapunov_spectrum(nd.henon(1.4, 0.3), steps=20_000, transient=200, tangent_transient=200, batch=8,
                               qr_every=1)
    l1, l2 = res.exponents.tolist()
    assert abs(l1 - 0.4192) < 0.005 and abs(l2 - (-1.6239)) < 0.005
    assert float(res.stderr.max()) < 0.005 / 3
    # |det J| = b everywhere: the product of the R diagonals telescopes to it exactly (up to rounding)
    assert res.sum == pytest.approx(math.log(0.3), abs=1e-10)


def test_lorenz_published_values_and_trace():
    res = nd.lyapunov_spectrum(nd.lorenz(), steps=20_000, dt=0.01, transient=1000, tangent_transient=500,
                               batch=16, qr_every=5, seed=1)
    l1, l2, l3 = res.exponents.tolist()
    assert abs(l1 - 0.9056) < 0.02 and abs(l2) < 0.02 and abs(l3 + 14.5723) < 0.05
    assert (res.stderr < torch.tensor([0.02, 0.02, 0.05]) / 3).all()
    # trace J = -(sigma + 1 + beta); RK4's tangent propagator has log det = trace * dt + O(dt^5) per step,
    # so the sum carries an O(dt^4) bias (1e-4 here at dt = 0.01)
    assert res.sum == pytest.approx(-(10 + 1 + 8 / 3), abs=5e-4)
    assert res.units == "nats/time"


def test_diagonal_linear_map_is_exact():
    p = torch.tensor([2.0, -1.5, 0.5, -0.1], dtype=torch.float64)
    m = nd.Map(lambda x, u: x * p, 4)
    # exact once the frame has aligned with the axes (error ~ exp(-0.29 * tangent_transient))
    res = nd.lyapunov_spectrum(m, steps=50, tangent_transient=300, x0=torch.zeros(4))
    expected = torch.sort(p.abs().log(), descending=True).values
    torch.testing.assert_close(res.exponents, expected, rtol=0, atol=1e-12)


def test_diagonal_linear_flow_gives_p():
    p = torch.tensor([0.7, -0.2, -3.0], dtype=torch.float64)
    flow = nd.Flow(lambda t, x: x * p, 3)
    # RK4 multiplies each direction by its stability polynomial R(p dt) exactly
    dt = 0.1
    res = nd.lyapunov_spectrum(flow, steps=100, tangent_transient=400, dt=dt, x0=torch.zeros(3))
    z = p * dt
    rk4 = torch.log(torch.abs(1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24)) / dt
    torch.testing.assert_close(res.exponents, rk4, rtol=0, atol=1e-12)
    # an adaptive solve at tight tolerance gives p itself
    res = nd.lyapunov_spectrum(flow, steps=10, tangent_transient=20, dt=2.0, x0=torch.zeros(3), method="dopri5",
                               rtol=1e-11, atol=1e-11)
    torch.testing.assert_close(res.exponents, p, rtol=0, atol=1e-8)


def test_random_tanh_rnn_matches_mean_field():
    g = 2.0
    theory = nd.meanfield.rnn_max_lyapunov(g)
    assert theory == pytest.approx(0.1547, abs=5e-5)
    res = nd.max_lyapunov(nd.random_tanh_rnn(1000, g, seed=0), steps=2000, transient=200, tangent_transient=100,
                          batch=4)
    assert abs(res.maximal - theory) < 0.01 and float(res.stderr[0]) < 0.01 / 3


def test_sum_is_mean_log_det_for_a_driven_gru():
    torch.manual_seed(0)
    gru = nn.GRU(2, 6, num_layers=2, batch_first=True)
    system = nd.from_torch(gru)
    gen = torch.Generator().manual_seed(3)
    inputs = torch.randn(3, 300, 2, generator=gen, dtype=torch.float64)
    x0 = system.sample_state(3, gen)
    res = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs)
    x, total = x0, torch.zeros(3, dtype=torch.float64)
    for t in range(300):
        total += torch.linalg.slogdet(system.jacobian(x, inputs[:, t]))[1]
        x = system.step(x, inputs[:, t])
    torch.testing.assert_close(res.per_sample.sum(-1), total / 300, rtol=0, atol=1e-10)
    assert res.stderr.tolist() == pytest.approx((res.per_sample.std(0) / math.sqrt(3)).tolist(), abs=1e-15)


def test_sum_is_mean_trace_for_a_tanh_flow():
    W = torch.randn(4, 4, generator=torch.Generator().manual_seed(4), dtype=torch.float64) * 1.5
    flow = nd.Flow(lambda t, x: -x + torch.tanh(x @ W.T), 4)
    x0 = torch.tensor([0.3, -0.2, 0.5, 0.1], dtype=torch.float64)
    dt, n = 0.01, 2000
    res = nd.lyapunov_spectrum(flow, steps=n, dt=dt, x0=x0)
    # integrate the same trajectory and average trace J with Simpson's rule on the RK4 grid
    from neurodyn.integrate import RK4, rk_step

    xs = [x0]
    for i in range(n):
        xs.append(rk_step(RK4, lambda t, y: (flow.field(t, y[0]),), i * dt, (xs[-1],), dt)[0])
    traces = torch.stack([torch.trace(flow.jacobian(x)) for x in xs])
    simpson = (traces[0] + traces[-1] + 4 * traces[1:-1:2].sum() + 2 * traces[2:-1:2].sum()) * dt / 3
    assert res.sum == pytest.approx(float(simpson) / (n * dt), abs=1e-7)


def _brute_force_lstm_spectrum(lstm, x0, inputs, steps, warm, h_only=False):
    """Published-code style: autodiff Jacobian of PyTorch's own LSTM step, QR every step (``h_only``: the
    block d h[t+1] / d h[t] of that Jacobian)."""
    L, N = lstm.num_layers, lstm.hidden_size

    def step(state, u):
        _, hidden = lstm(u.reshape(1, 1, -1), nd.systems.state_to_torch(lstm, state[None]))
        return nd.systems.state_from_torch(lstm, hidden)[0]

    m = L * N if h_only else 2 * L * N
    x, Q, acc = x0.clone(), torch.eye(m, dtype=torch.float64), 0.0
    for t in range(warm + steps):
        J = torch.autograd.functional.jacobian(lambda s, t=t: step(s, inputs[t]), x, vectorize=True)[:m, :m]
        x = step(x, inputs[t]).detach()
        Q, R = torch.linalg.qr(J @ Q)
        if t >= warm:
            acc = acc + torch.log(torch.diagonal(R).abs())
    return torch.sort(acc / steps, descending=True).values


@pytest.mark.slow
def test_full_lstm_spectrum_agrees_with_brute_force():
    torch.manual_seed(1)
    lstm = nn.LSTM(2, 3, num_layers=2, dtype=torch.float64)
    gen = torch.Generator().manual_seed(5)
    inputs = torch.randn(3000, 2, generator=gen, dtype=torch.float64)
    x0 = 0.5 * torch.randn(12, generator=gen, dtype=torch.float64)
    ref = _brute_force_lstm_spectrum(lstm, x0, inputs, steps=500, warm=2500)
    # qr_every=1, as the reference: the sum identity below holds to rounding only for the every-step QR (the
    # default "auto" schedule moves it within its predicted loss: 2.7e-7 here, predicted 5.7e-5 per step).
    ours = nd.lyapunov_spectrum(nd.from_torch(lstm), x0=x0, inputs=inputs, tangent_transient=2500, qr_every=1)
    # The two start from different frames; after the aligning steps they differ by O(exp(-gap * 2500)).
    # The closest pair of exponents here is only 0.007 apart (their local gap smaller still), which
    # leaves a few 1e-6; every other exponent agrees to ~1e-9.
    torch.testing.assert_close(ours.exponents, ref, rtol=0, atol=1e-5)
    assert ours.sum == pytest.approx(float(ref.sum()), abs=1e-10)  # volume growth: frame-independent
    h_only = nd.lyapunov_spectrum(nd.from_torch(lstm, lstm_state="h"), x0=x0, inputs=inputs,
                                  tangent_transient=2500)
    ref_h = _brute_force_lstm_spectrum(lstm, x0, inputs, steps=500, warm=2500, h_only=True)
    assert len(h_only.exponents) == 6
    torch.testing.assert_close(h_only.exponents, ref_h, rtol=0, atol=1e-5)


def test_max_lyapunov_agrees_with_spectrum_on_a_driven_gru():
    torch.manual_seed(2)
    gru = nn.GRU(3, 16, batch_first=True)
    with torch.no_grad():
        gru.weight_hh_l0.mul_(4.0)
    inputs = torch.randn(2, 600, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    x0 = torch.zeros(16)
    top = nd.lyapunov_spectrum(gru, x0=x0, inputs=inputs, k=3, tangent_transient=200)
    one = nd.max_lyapunov(gru, x0=x0, inputs=inputs, tangent_transient=200)
    assert one.method == "jvp" and top.method == "qr"
    torch.testing.assert_close(one.per_sample[:, 0], top.per_sample[:, 0], rtol=0, atol=1e-8)


def test_autodiff_and_analytic_paths_agree():
    system = nd.henon()
    plain = nd.Map(system.fn, 2, params=system.params, sample_state=system.sample_state)
    a = nd.lyapunov_spectrum(system, steps=500, transient=10, seed=3)
    b = nd.lyapunov_spectrum(plain, steps=500, transient=10, seed=3)
    torch.testing.assert_close(a.exponents, b.exponents, rtol=0, atol=1e-12)
    assert a.settings["analytic_jacobian"] and not b.settings["analytic_jacobian"]


def test_base_two_and_result_api(tmp_path):
    e = nd.lyapunov_spectrum(nd.henon(), steps=1000, transient=100, seed=2)
    b2 = nd.lyapunov_spectrum(nd.henon(), steps=1000, transient=100, seed=2, base=2)
    torch.testing.assert_close(b2.exponents, e.exponents / math.log(2), rtol=1e-14, atol=0)
    assert b2.units == "bits/step"
    d = e.to_dict()
    assert d["type"] == "LyapunovSpectrum" and len(d["exponents"]) == 2 and d["settings"]["steps"] == 1000
    assert e.history.shape[1] == 2 and e.history_time[-1] == 1000
    assert e.save_json(tmp_path / "s.json").exists()
    ax = e.plot()
    assert len(ax.lines) == 2
    import matplotlib.pyplot as plt

    plt.close("all")


def _spectrum(values):
    t = torch.tensor(values, dtype=torch.float64)
    z = torch.zeros_like(t)
    return nd.LyapunovSpectrum(exponents=t, stderr=z, per_sample=t[None], history=t[None], history_time=z[:1],
                               drift=z, status="converged", units="nats/step", system="hand-made", kind="map",
                               method="qr")


def test_kaplan_yorke_dimension():
    assert _spectrum([1.0, 0.0, -2.0]).kaplan_yorke_dimension() == 2.5
    assert _spectrum([-1.0, -2.0]).kaplan_yorke_dimension() == 0.0
    assert _spectrum([0.5, 0.1]).kaplan_yorke_dimension() == 2.0
    assert _spectrum([0.4192, -1.6239]).kaplan_yorke_dimension() == pytest.approx(1 + 0.4192 / 1.6239)
    res = nd.lyapunov_spectrum(nd.lorenz(), steps=2000, dt=0.01, transient=500, batch=2, qr_every=5)
    assert 2.0 < res.kaplan_yorke_dimension() < 2.1  # published 2.06


def test_global_rng_is_untouched():
    state = torch.get_rng_state()
    nd.lyapunov_spectrum(nd.random_tanh_rnn(8, 1.5), steps=50, batch=2)
    nd.max_lyapunov(nd.lorenz(), steps=20, dt=0.01)
    assert torch.equal(torch.get_rng_state(), state)


def test_seed_reproducibility():
    a = nd.lyapunov_spectrum(nd.random_tanh_rnn(8, 3.0), steps=200, batch=2, seed=7)
    b = nd.lyapunov_spectrum(nd.random_tanh_rnn(8, 3.0), steps=200, batch=2, seed=7)
    assert torch.equal(a.per_sample, b.per_sample)


def test_unconverged_run_warns():
    # log|J| = log(2 + t) keeps growing: the estimate drifts and two trajectories agree on that drift
    drifting = nd.Map(lambda x, u: x + 1, 1, jacobian=lambda x, u: (2 + x).unsqueeze(-1), name="drifting")
    with pytest.warns(nd.ConvergenceWarning, match="'drifting' still drift"):
        res = nd.lyapunov_spectrum(drifting, steps=1000, x0=[[0.0], [0.5]])
    assert res.status == "unconverged"
    steady = nd.lyapunov_spectrum(nd.Map(lambda x, u: 2 * x, 1), steps=1000, x0=[[0.0], [0.5]])
    assert steady.status == "converged"


def test_auto_qr_interval_keeps_accuracy():
    """qr_every="auto" lengthens the interval only while the rounding loss it predicts stays below its
    tolerance: on a GRU (small spread) it agrees with qr_every=1 to rounding; on an LSTM whose cell directions
    contract by ~e^-9 per step it keeps short intervals and agrees within the loss it reports."""
    for cell in (nn.GRU(4, 16, batch_first=True), nn.LSTM(4, 16, batch_first=True)):
        torch.manual_seed(0)
        cell.reset_parameters()
        inputs = torch.randn(2, 400, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        x0 = torch.zeros(cell.hidden_size * (2 if isinstance(cell, nn.LSTM) else 1))
        every = nd.lyapunov_spectrum(cell, x0=x0, inputs=inputs, tangent_transient=50)
        auto = nd.lyapunov_spectrum(cell, x0=x0, inputs=inputs, tangent_transient=50, qr_every="auto")
        bound = max(5 * auto.settings["qr_loss"], 1e-9)
        assert auto.settings["qr_loss"] <= auto.settings["qr_tol"]
        torch.testing.assert_close(auto.exponents, every.exponents, rtol=0, atol=bound)
    with pytest.raises(nd.InvalidInputError, match="qr_every"):
        nd.lyapunov_spectrum(nd.henon(), steps=10, qr_every="sometimes")


def test_single_trajectory_stderr_uses_the_real_block_lengths():
    """A diagonal linear map has the same growth in every block once aligned: the standard error must
    vanish whatever the re-orthonormalisation schedule (blocks then hold unequal numbers of steps)."""
    m = nd.Map(lambda x, u: x * torch.tensor([2.0, 0.5], dtype=torch.float64), 2)
    for q in (1, 3, 12, "auto"):
        res = nd.lyapunov_spectrum(m, steps=200, tangent_transient=200, x0=torch.zeros(2), qr_every=q)
        assert float(res.stderr.max()) < 1e-12, q
        torch.testing.assert_close(res.exponents, torch.tensor([math.log(2), -math.log(2)], dtype=torch.float64))
