"""time_scales(spectrum="leading"): the certified leading spectrum gives the full decomposition's answers."""

import math

import numpy as np
import pytest
import torch

import neurodyn as nd
from neurodyn.slowfast.leading import leading_spectrum


def _planted_states(n, n_slow, eps, count, seed=0):
    """Points with unsaturated fast units (as along the planted network's slow manifold), then a straight path
    between two of them (consecutive states close, as along a trajectory)."""
    g = torch.randn(count, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    g[:, :n_slow] *= 0.5
    g[:, n_slow:] *= 0.1 * eps
    s = torch.linspace(0, 1, count, dtype=torch.float64)[:, None]
    return torch.cat((g, (1 - s) * g[0] + s * g[1]))


def _same_answers(ours, ref):
    assert ours.n_fast == ref.n_fast and ours.status == ref.status
    assert torch.equal(ours.best_n_fast, ref.best_n_fast)
    assert torch.equal(ours.separated, ref.separated)


def _leading_agree(ours, ref, flow, x):
    """The computed leading eigenvalues equal the full ones to the residual tolerance (1e-10 ||J||_F) times a
    condition-number allowance."""
    scale = torch.linalg.matrix_norm(flow.jacobian(x)).max()
    for i, c in enumerate(ours.computed.tolist()):
        assert float((ours.eigenvalues[i, :c] - ref.eigenvalues[i, :c]).abs().max()) <= 1e-7 * float(scale)
        assert bool(torch.isnan(ours.eigenvalues[i, c:].real).all())


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_network_exact_certificate_matches_full(seed):
    flow = nd.planted_tanh(120, 12, 0.01, seed=seed)
    x = _planted_states(120, 12, 0.01, 16, seed=seed)
    ours = nd.time_scales(flow, x, spectrum="leading")
    ref = nd.time_scales(flow, x)
    _same_answers(ours, ref)
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-8, atol=0)
    assert torch.allclose(ours.best_eps, ref.best_eps, rtol=1e-8, atol=0)
    _leading_agree(ours, ref, flow, x)
    assert ours.settings["full_spectra"] < len(x)  # the certificate decided somewhere
    assert bool((ours.computed == 13).any()) and ref.n_fast == 108


def test_tolerance_bounds_eps_from_below():
    flow = nd.planted_tanh(120, 12, 0.01, seed=0)
    x = _planted_states(120, 12, 0.01, 16)
    rtol = 0.1
    ours = nd.time_scales(flow, x, spectrum="leading", eps_rtol=rtol)
    ref = nd.time_scales(flow, x)
    _same_answers(ours, ref)
    assert bool((ref.eps >= ours.eps * (1 - 1e-9)).all()) and bool((ref.eps <= ours.eps / (1 - rtol)).all())
    assert ours.settings["full_spectra"] <= nd.time_scales(flow, x, spectrum="leading").settings["full_spectra"]


def _non_normal_fast(n_slow=3, m=6, coupling=40.0):
    """dx/dt = A x with slow rates 1, 1.5, 2 and a fast upper-triangular block (rates 100..150) whose off-diagonal
    couplings make its logarithmic norm positive: the Euclidean certificate must fail."""
    fast = torch.diag(-torch.linspace(100, 150, m, dtype=torch.float64)) + coupling * torch.ones(m, m).triu(1)
    A = torch.block_diag(torch.diag(-torch.tensor([1.0, 1.5, 2.0], dtype=torch.float64)), fast)
    Q = torch.linalg.qr(torch.randn(n_slow + m, n_slow + m, generator=torch.Generator().manual_seed(2),
                                    dtype=torch.float64)).Q
    A = Q @ A @ Q.T
    n = n_slow + m
    return nd.Flow(lambda t, x: x @ A.T, n, jacobian=lambda t, x: A.expand(*x.shape[:-1], n, n).clone(),
                   name="non-normal fast block"), A


def test_non_normal_fast_block_is_certified_in_the_first_states_eigenvector_metric():
    """The Euclidean certificate fails for this block; the metric of the first state's eigenvectors (the same
    Jacobian everywhere) certifies every other state, with the full decomposition's answers."""
    flow, A = _non_normal_fast()
    vals, vecs = np.linalg.eig(A.numpy())
    slow = np.linalg.qr(vecs[:, np.argsort(-vals.real)[:3]].real)[0]
    cold = leading_spectrum(A.numpy(), slow, rtol=0.0, rng=np.random.default_rng(0))
    assert not cold.certified and cold.via == "" and np.allclose(cold.values.real, [-1, -1.5, -2, -100])
    x = torch.randn(5, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    assert ours.settings["full_spectra"] == 1 and ours.computed.tolist() == [9, 4, 4, 4, 4]
    _same_answers(ours, ref)
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-9, atol=0) and ours.n_fast == 6
    assert torch.allclose(ours.eigenvalues[1:, :4], ref.eigenvalues[1:, :4], rtol=0, atol=1e-9)


def test_unrelated_states_whose_certificates_fail_fall_back_to_the_full_answers():
    """A batch of unrelated states of a non-normal planted network: the first state's metric does not carry over,
    the Euclidean certificate fails at some states, and those get the full method's answers."""
    flow = nd.planted_tanh(60, 6, 0.01, seed=0)
    x = _planted_states(60, 6, 0.01, 24)[:24]
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    assert 1 < ours.settings["full_spectra"] < len(x)
    _same_answers(ours, ref)
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-8, atol=0)
    assert bool((ours.computed[ours.computed < 60] == 7).all())


def test_random_network_without_a_gap_is_all_full():
    W = 1.5 * torch.randn(40, 40, generator=torch.Generator().manual_seed(5), dtype=torch.float64) / 40**0.5
    flow = nd.tanh_field(W, leak=1.0)
    x = torch.randn(6, 40, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    _same_answers(ours, ref)
    assert ours.settings["full_spectra"] == 6
    # the same solver on the same Jacobians, formed in other batches (torch's products round by batch shape)
    assert float((ours.eigenvalues - ref.eigenvalues).abs().max()) < 1e-12 * float(torch.linalg.matrix_norm(W))
    assert torch.allclose(ours.best_eps, ref.best_eps, rtol=1e-12, atol=0)


def test_given_n_fast_matches_full_and_the_result_saves_and_plots(tmp_path):
    import json

    import matplotlib

    matplotlib.use("Agg")
    flow = nd.planted_tanh(60, 6, 0.01, seed=0)
    x = _planted_states(60, 6, 0.01, 8)
    ours, ref = nd.time_scales(flow, x, n_fast=54, spectrum="leading"), nd.time_scales(flow, x, n_fast=54)
    _same_answers(ours, ref)
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-8, atol=0)
    assert ours.settings["full_spectra"] < len(x)
    data = json.loads(ours.save_json(tmp_path / "ts.json").read_text())
    assert data["settings"]["spectrum"] == "leading" and "nan" in str(data["eigenvalues"])
    assert ours.plot().get_yscale() == "log"


def test_bad_arguments_and_states():
    flow = nd.planted_tanh(60, 6, 0.01, seed=0)
    x = _planted_states(60, 6, 0.01, 4)
    with pytest.raises(nd.InvalidInputError, match="spectrum"):
        nd.time_scales(flow, x, spectrum="some")
    with pytest.raises(nd.InvalidInputError, match="eps_rtol"):
        nd.time_scales(flow, x, spectrum="leading", eps_rtol=1.0)
    with pytest.raises(nd.InvalidInputError, match="eps_rtol"):
        nd.time_scales(flow, x, spectrum="leading", eps_rtol="tight")
    for seed in (-1, 1.5, "a", True):  # the seed of the random start vectors is checked before it is used
        with pytest.raises(nd.InvalidInputError, match="seed"):
            nd.time_scales(flow, x, spectrum="leading", seed=seed)
    assert nd.time_scales(flow, x, spectrum="leading", seed=7).settings["seed"] == 7  # recorded: reproducible
    x[3, 5] = math.nan
    with pytest.raises(nd.NonFiniteError, match="states"):
        nd.time_scales(flow, x, spectrum="leading")


def test_non_finite_jacobian_after_the_first_state_is_named():
    def jac(t, x):
        J = -torch.eye(10, dtype=x.dtype).expand(*x.shape[:-1], 10, 10).clone()
        J[..., 0, 0] = torch.where(x[..., 0] > 5, math.inf, -1.0)
        return J

    flow = nd.Flow(lambda t, x: -x, 10, jacobian=jac, name="blows up")
    x = torch.zeros(4, 10, dtype=torch.float64)
    x[2, 0] = 6.0
    with pytest.raises(nd.NonFiniteError, match="state 2"):
        nd.time_scales(flow, x, spectrum="leading")


def test_trajectory_states_are_followed_and_certified_where_the_euclidean_certificate_fails():
    """Along a solution of the planted network (fast transient, then the slow manifold), no state is certified by
    the Euclidean logarithmic norm; following the states with a reference state's eigenvector metric certifies
    most of them, with the full decomposition's answers."""
    from torchdiffeq import odeint

    flow = nd.planted_tanh(120, 12, 0.01, seed=0)
    x0 = _planted_states(120, 12, 0.01, 2)[0]
    with torch.no_grad():
        x = odeint(lambda s, y: flow.f(y[None])[0], x0, 0.01 * torch.arange(40, dtype=torch.float64), rtol=1e-8,
                   atol=1e-10)
    J = flow.jacobian(x).numpy()
    vals, vecs = np.linalg.eig(J[0])
    start = np.linalg.qr(vecs[:, np.argsort(-vals.real)[:12]].real)[0]
    assert not any(leading_spectrum(A, start, rtol=0.0, rng=np.random.default_rng(0)).certified for A in J[1:])
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    assert ours.settings["full_spectra"] <= 8 and int((ours.computed == 13).sum()) >= 32
    _same_answers(ours, ref)
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-9, atol=0) and ref.n_fast == 108
    _leading_agree(ours, ref, flow, x)


def test_followed_states_with_a_complex_slowest_fast_pair():
    """The slowest fast modes are a pair -100 ± 5i of a non-normal block, and the Jacobian drifts by up to 1%
    along the states: followed from the previous state (complex shift and vector) and certified in the first
    state's metric, with the full decomposition's answers."""
    m = 8
    fast = torch.diag(-torch.linspace(100, 170, m, dtype=torch.float64)) + 30.0 * torch.ones(
        m, m, dtype=torch.float64).triu(2)
    fast[0, 1], fast[1, 0], fast[1, 1] = 5.0, -5.0, -100.0
    A = torch.block_diag(torch.diag(-torch.tensor([1.0, 1.5, 2.0], dtype=torch.float64)), fast)
    Q = torch.linalg.qr(torch.randn(11, 11, generator=torch.Generator().manual_seed(2), dtype=torch.float64)).Q
    A = Q @ A @ Q.T

    def jacobian(t, x):
        return A * (1 + 0.01 * torch.tanh(x[..., :1])[..., None])

    flow = nd.Flow(lambda t, x: x @ A.T, 11, jacobian=jacobian, name="complex fast pair")
    x = torch.zeros(30, 11, dtype=torch.float64)
    x[:, 0] = torch.linspace(0, 1, 30, dtype=torch.float64)
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    assert ours.settings["full_spectra"] == 1 and bool((ours.computed[1:] == 4).all())
    _same_answers(ours, ref)
    assert ours.n_fast == 8 and torch.allclose(ours.eps, ref.eps, rtol=1e-10, atol=0)
    assert bool((ours.eigenvalues[1:, 3].imag.abs() > 4.9).all())
    assert torch.allclose(ours.eigenvalues[1:, :4], ref.eigenvalues[1:, :4], rtol=0, atol=1e-9)
