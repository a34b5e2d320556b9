"""Proven FTLE intervals (neurodyn.prove_ftle): exact exponents of linear and 1-D flows inside the intervals, a
scipy reference inside tight intervals, batching, plots and refusals."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from flint import arb, arb_mat, ctx  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import neurodyn as nd  # noqa: E402
from neurodyn.validated import quadratic_field  # noqa: E402


def _contains(bounds, i, j, value) -> bool:
    """``value`` (an Arb ball) lies in the proven interval of exponent ``j`` at point ``i``."""
    return bool(arb(float(bounds.lower[i, j])) <= value) and bool(value <= arb(float(bounds.upper[i, j])))


def test_linear_flow_exact_exponents_inside():
    A = np.array([[-0.3, 2.0], [-1.0, -0.1]])
    T = 2.0
    bounds = nd.prove_ftle(quadratic_field(A), torch.tensor([[0.5, 0.2], [3.0, -1.0]]), t=T, k=2)
    with ctx.workprec(200):
        E = (arb_mat(A.tolist()) * T).exp()
        G = E.transpose() * E  # sigma^2 are its eigenvalues: (tr -+ sqrt(tr^2 - 4 det)) / 2
        tr, det = G[0, 0] + G[1, 1], G[0, 0] * G[1, 1] - G[0, 1] * G[1, 0]
        disc = (tr * tr - 4 * det).sqrt()
        exact = [((tr + disc) / 2).log() / (2 * T), ((tr - disc) / 2).log() / (2 * T)]
    assert bounds.status == nd.Status.PROVED
    for i in range(2):
        for j in range(2):
            assert _contains(bounds, i, j, exact[j])
    assert float(bounds.width.max()) < 1e-10


def test_one_dimensional_closed_form_exponent():
    w, T = 0.8, 1.5
    x0 = np.array([[-1.2], [0.05], [0.7]])
    bounds = nd.prove_ftle(nd.tanh_field([[w]]), x0, t=T)
    with ctx.workprec(200):
        for i, v in enumerate(x0[:, 0]):
            xt = ((arb(w) * arb(v)).sinh() * (arb(w) * T).exp()).asinh() / w
            lam = ((arb(w) * T).exp() * (arb(w) * arb(v)).cosh() / (arb(w) * xt).cosh()).log() / T
            assert _contains(bounds, i, 0, lam)


def _variational_reference(W, b, leak, x0, T):
    """FTLEs from scipy's DOP853 on the state and variational equations (rtol 1e-12)."""
    n = len(x0)

    def rhs(t, z):
        x, V = z[:n], z[n:].reshape(n, n)
        y = np.tanh(W @ x + b)
        J = -leak * np.eye(n) + (1 - y * y)[:, None] * W
        return np.concatenate([-leak * x + y, (J @ V).ravel()])

    sol = solve_ivp(rhs, (0.0, T), np.concatenate([x0, np.eye(n).ravel()]), method="DOP853", rtol=1e-12,
                    atol=1e-14)
    return np.log(np.linalg.svd(sol.y[n:, -1].reshape(n, n), compute_uv=False)) / T


def test_planar_field_scipy_reference_inside_tight_intervals():
    W = np.array([[0.5, -2.0], [1.5, 0.3]])
    b = np.array([0.1, -0.2])
    x0 = np.array([[0.3, -0.4], [1.0, 0.5], [-0.7, 0.9], [2.0, -2.0]])
    bounds = nd.prove_ftle(nd.tanh_field(W, b, leak=0.5), x0, t=3.0, k=2)
    assert bounds.status == nd.Status.PROVED
    assert float(bounds.width.max()) < 1e-8
    for i in range(len(x0)):
        ref = _variational_reference(W, b, 0.5, x0[i], 3.0)
        # scipy's own error at rtol 1e-12 (relative to sigma, i.e. ~1e-12 / T in the exponent) is the slack
        assert np.all(ref >= bounds.lower[i].numpy() - 1e-11) and np.all(ref <= bounds.upper[i].numpy() + 1e-11)
    # the float FTLEs of nd.ftle (RK4, dt = 0.01) are kept for comparison and agree to the RK4 error
    assert torch.allclose(bounds.float_ftle, 0.5 * (bounds.lower + bounds.upper), atol=1e-6)


def test_plot_and_json():
    g = torch.linspace(-1.0, 1.0, 4, dtype=torch.float64)
    pts = torch.stack(torch.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)
    bounds = nd.prove_ftle(nd.tanh_field(np.array([[0.5, -2.0], [1.5, 0.3]])), pts, t=1.0)
    axes = bounds.plot()
    assert len(axes) == 4 and axes[1].get_title() == "proven lower bound"
    d = bounds.to_dict()
    assert d["status"] == "proved" and len(d["lower"]) == 16


def test_bad_input():
    system = nd.tanh_field(np.eye(2))
    with pytest.raises(nd.InvalidInputError, match="k = 3"):
        nd.prove_ftle(system, torch.zeros(1, 2), t=1.0, k=3)
    with pytest.raises(nd.NonFiniteError):
        nd.prove_ftle(system, torch.tensor([[np.inf, 0.0]]), t=1.0)
    with pytest.raises(nd.UnsupportedModelError):
        nd.prove_ftle(nd.Flow(lambda t, x: -x, 2), torch.zeros(1, 2), t=1.0)
