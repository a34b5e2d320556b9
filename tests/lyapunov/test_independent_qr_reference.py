"""The QR method against an independent float64 computation written here (torch.linalg.qr of J Q every step, J from
torch.func.jacrev of the module's own step), and the frames the loop hands to a push-forward: orthonormal after
every re-orthonormalisation, at exactly the fixed interval asked for."""

import torch
from torch import nn

import neurodyn as nd


def _reference_exponents(step, x0, inputs, transient, steps, seed=7):
    """Exponents of ``x -> step(x, u_t)`` from QR every step, the first ``transient`` steps' growth discarded."""
    m = x0.numel()
    Q = torch.linalg.qr(torch.randn(m, m, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)).Q
    x, acc = x0.clone(), torch.zeros(m, dtype=torch.float64)
    for t in range(transient + steps):
        J = torch.func.jacrev(step)(x, inputs[t])
        Q, R = torch.linalg.qr(J @ Q)
        with torch.no_grad():
            x = step(x, inputs[t])
        if t >= transient:
            acc += torch.log(torch.diagonal(R).abs())
    return (acc / steps).detach()


def _recurrent(cell, layers, n_hidden=5, steps=200, seed=0):
    torch.manual_seed(seed)
    module = cell(3, n_hidden, num_layers=layers, batch_first=True).double()
    lstm = cell is nn.LSTM

    def step(s, u):
        with torch.enable_grad():
            if lstm:
                h, c = s.reshape(2, layers, 1, n_hidden)
                _, (h2, c2) = module(u.reshape(1, 1, -1), (h, c))
                return torch.cat((h2.flatten(), c2.flatten()))
            return module(u.reshape(1, 1, -1), s.reshape(layers, 1, n_hidden))[1].flatten()

    system = nd.from_torch(module)
    inputs = torch.randn(1, steps, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x0 = 0.1 * torch.randn(1, system.dim, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    return system, step, x0, inputs


def test_gru_spectrum_equals_an_every_step_qr_reference():
    """After a 600-step tangent transient the two frames (different random starts) span nearly the same flag: the
    second and third exponents lie 0.04 apart, so their directions still differ by about e^(-0.04 * 600) and the
    two exponents by ~2e-7 (in opposite directions: their sum, like the total, agrees to rounding)."""
    system, step, x0, inputs = _recurrent(nn.GRU, 1, n_hidden=6, steps=900)
    ref = _reference_exponents(step, x0[0], inputs[0], 600, 300)
    for qr_every in (1, "auto"):
        res = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs, tangent_transient=600, qr_every=qr_every,
                                   k=system.dim, strict=False)
        ours = res.per_sample[0]
        tol = 1e-11 if qr_every == 1 else 5 * res.settings["qr_loss"] + 1e-11
        assert torch.allclose(ours, ref, rtol=0, atol=1e-6), qr_every
        assert torch.allclose(ours.cumsum(0)[[0, 2, 3, 4, 5]], ref.cumsum(0)[[0, 2, 3, 4, 5]], rtol=0,
                              atol=system.dim * tol), qr_every


def test_lstm_exponent_sums_equal_the_reference_log_determinants():
    """The full (h, c) spectrum's sum is the mean log |det J| whatever the frame: the stacked push-forward of one
    and of two layers gives the reference's to rounding with a QR every step, and within the predicted loss with
    "auto"."""
    for layers in (1, 2):
        system, step, x0, inputs = _recurrent(nn.LSTM, layers)
        ref = _reference_exponents(step, x0[0], inputs[0], 0, inputs.shape[1])
        every = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs, qr_every=1, k=system.dim, strict=False)
        assert abs(float(every.per_sample.sum() - ref.sum())) < 1e-11
        auto = nd.lyapunov_spectrum(system, x0=x0, inputs=inputs, k=system.dim, strict=False)
        loss = auto.settings["qr_loss"]
        assert abs(float(auto.per_sample.sum() - ref.sum())) <= max(system.dim * 5 * loss, 1e-11)


def test_frames_are_orthonormal_after_every_qr_at_the_fixed_interval():
    """Henon through a push-forward that records the frames it is given: with qr_every=3 every third frame is
    the re-orthonormalised one, orthonormal to rounding over 1000 intervals (no drift), and there are exactly
    steps / 3 QRs."""
    henon = nd.henon()
    frames = []

    def push(x, u, V):
        frames.append(V.clone())
        return henon.f(x, u), henon.jacobian(x, u) @ V

    system = nd.Map(henon.f, 2, jacobian=henon.jacobian, frame_push_forward=push, name="recorded henon")
    res = nd.lyapunov_spectrum(system, steps=3000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64), qr_every=3)
    assert res.settings["qr_events"] == 1000 and len(frames) == 3000
    eye = torch.eye(2, dtype=torch.float64)
    defects = torch.stack([(V.mT @ V - eye).abs().amax() for V in frames[::3]])
    # Q = A R^-1 is orthonormal to about u e^s (s: the interval's growth spread, up to ~10 nats over 3 steps here)
    assert float(defects.max()) < 1e-10
    assert float(defects[-500:].median()) <= 10 * float(defects[:500].median())  # no drift
    ref = nd.lyapunov_spectrum(henon, steps=3000, x0=torch.tensor([[0.1, 0.1]], dtype=torch.float64), qr_every=3)
    assert torch.equal(res.exponents, ref.exponents)
