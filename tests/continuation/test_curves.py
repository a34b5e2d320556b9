"""Two-parameter continuation: Hopf curves against eigenvalues computed independently and against normal forms
(a Bautin point, a Bogdanov–Takens end point), and the fold curve of the cusp 27 a^2 = 4 b^3 through its cusp."""

import json
import math

import matplotlib
import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.continuation import continue_equilibria, continue_fold_curve, continue_hopf_curve, find_hopf_points

matplotlib.use("Agg")
F64 = torch.float64
ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


def test_hopf_curve_of_a_tanh_network_is_alpha_plus_re_lambda_of_a_plus_beta_b():
    # dx/dt = tanh((A + alpha I + beta B) x): x = 0 is an equilibrium for all parameters with Jacobian
    # A + beta B + alpha I, so the Hopf curve of a complex pair lambda(beta) of A + beta B is
    # alpha = -Re lambda(beta), omega = Im lambda(beta); at x = 0 only tanh'''(0) = -2 enters Kuznetsov's formula,
    # l1 = omega^2 Im(p^H (q * q * conj q)) (q^H q = 1, p^H q = 1; see test_hopf.py)
    n = 6
    gen = torch.Generator().manual_seed(5)
    A = torch.randn(n, n, generator=gen, dtype=F64) / math.sqrt(n)
    B = torch.randn(n, n, generator=gen, dtype=F64) / math.sqrt(n)
    eye = torch.eye(n, dtype=F64)
    flow = nd.Flow(lambda t, x, p: torch.tanh(x @ (A + p["alpha"] * eye + p["beta"] * B).T), n,
                   params={"alpha": 0.0, "beta": 0.0})
    h = find_hopf_points(flow, param="alpha", start=0.0)[0]
    curve = continue_hopf_curve(flow, h, params=("alpha", "beta"), stop=0.5)
    assert curve.kind == "hopf" and curve.status == "reached stop" and len(curve.values) >= 8
    assert float(curve.norms.max()) < 1e-12
    def closed_form(alpha, beta, omega):
        M = A + beta * B
        mu, V = torch.linalg.eig(M)
        k = int(torch.argmin((mu - complex(-alpha, omega)).abs()))
        # Newton's tolerance 1e-10 on the extended system, well conditioned for a simple eigenvalue
        assert abs(float(mu[k].real) + alpha) < 1e-9 and abs(float(mu[k].imag) - omega) < 1e-9
        q = V[:, k] / torch.linalg.vector_norm(V[:, k])
        ml, U = torch.linalg.eig(M.T)
        p = U[:, torch.argmin((ml - mu[k].conj()).abs())]
        p = p / torch.vdot(p, q).conj()
        return omega**2 * float(torch.vdot(p, q * q * q.conj()).imag)

    for (alpha, beta), omega, l1 in zip(curve.values.tolist(), curve.omega.tolist(), curve.coefficient.tolist(),
                                        strict=True):
        assert l1 == pytest.approx(closed_form(alpha, beta, omega), rel=1e-7)
    # this pair's l1 changes sign on the way: a Bautin point, where the closed form vanishes (regula falsi to 1e-10
    # on l1, whose values along the curve are ~0.01)
    (gh,) = curve.special
    k = gh.index
    omega = float(curve.omega[k:k + 2].mean())
    mu = torch.linalg.eigvals(A + gh.values[1] * B)
    omega = float(mu[torch.argmin((mu - complex(-gh.values[0], omega)).abs())].imag)
    assert gh.kind == "bautin" and abs(closed_form(*gh.values, omega)) < 1e-9
    json.dumps(curve.to_dict())
    assert curve.plot().get_xlabel() == "alpha"


def test_bautin_point_where_l1_changes_sign():
    # z' = (alpha + i omega) z + beta z |z|^2 - z |z|^4: Hopf curve alpha = 0 with omega fixed and l1 = 2 beta / omega
    # (q^H q = 1; 2/omega for beta = 1 in test_hopf.py), so a Bautin point at (0, 0)
    omega = 1.5

    def field(t, x, p):
        r2 = (x * x).sum(-1, keepdim=True)
        return x @ (p["alpha"] * torch.eye(2, dtype=F64) + omega * ROT).T + p["beta"] * r2 * x - r2 * r2 * x

    flow = nd.Flow(field, 2, params={"alpha": -0.2, "beta": 1.0})
    (h,) = find_hopf_points(flow, param="alpha", start=-0.2)
    curve = continue_hopf_curve(flow, h, params=("alpha", "beta"), stop=-1.0)
    assert curve.status == "reached stop" and float(curve.values[:, 0].abs().max()) < 1e-12
    torch.testing.assert_close(curve.omega, torch.full_like(curve.omega, omega), rtol=1e-12, atol=0)
    torch.testing.assert_close(curve.coefficient, 2 * curve.values[:, 1] / omega, rtol=1e-9, atol=1e-12)
    (gh,) = curve.special
    assert gh.kind == "bautin" and abs(gh.values[0]) < 1e-12 and abs(gh.values[1]) < 1e-9


def test_hopf_curve_ends_at_the_bogdanov_takens_point_and_the_fold_curve_passes_it():
    # x' = y, y' = b1 + b2 x + x^2 - x y: equilibria (x, 0) with x^2 + b2 x + b1 = 0, J = [[0, 1], [b2 + 2x, -x]];
    # Hopf where tr J = -x = 0, det J = -b2 > 0: the curve b1 = 0, b2 < 0 with omega = sqrt(-b2), ending at the
    # Bogdanov-Takens point (0, 0); folds where det J = 0: x = -b2/2, the curve b1 = b2^2/4
    def field(t, x, p):
        return torch.stack([x[..., 1], p["b1"] + p["b2"] * x[..., 0] + x[..., 0] ** 2 - x[..., 0] * x[..., 1]], -1)

    flow = nd.Flow(field, 2, params={"b1": 0.1, "b2": -1.0})
    (h,) = find_hopf_points(flow, param="b1", start=0.1, x0=[0.1127, 0.0])
    hc = continue_hopf_curve(flow, h, params=("b1", "b2"), stop=1.0)
    assert hc.status == "Bogdanov-Takens point" and float(hc.values[:, 0].abs().max()) < 1e-12
    torch.testing.assert_close(hc.omega**2, -hc.values[:, 1], rtol=0, atol=1e-10)
    (bt,) = hc.special
    assert bt.kind == "bogdanov-takens" and abs(bt.values[0]) < 1e-12 and abs(bt.values[1]) < 1e-9
    branch = continue_equilibria(flow, param="b1", start=0.1, stop=0.5, x0=[0.1127, 0.0])
    fold = next(s for s in branch.special if s.kind == "fold")
    fc = continue_fold_curve(flow, fold, params=("b1", "b2"), stop=1.0)
    assert fc.status == "reached stop" and fc.omega is None
    (bt,) = fc.special  # where det J = 0 and tr J = -x = 0: b2 = 0, and no cusp (p . B(v, v) = 2 here)
    assert bt.kind == "bogdanov-takens" and max(abs(bt.values[0]), abs(bt.values[1])) < 1e-9
    assert float(fc.values[:, 1].min()) < 0 < float(fc.values[:, 1].max())  # on through the BT point
    torch.testing.assert_close(fc.values[:, 0], fc.values[:, 1] ** 2 / 4, rtol=0, atol=1e-10)
    torch.testing.assert_close(fc.states[:, 0], -fc.values[:, 1] / 2, rtol=0, atol=1e-10)


def test_fold_curve_of_the_cusp_normal_form():
    # dx/dt = a + b x - x^3: folds where also b - 3 x^2 = 0, i.e. b = 3 x^2, a = -2 x^3 (27 a^2 = 4 b^3); the
    # quadratic coefficient p B(v, v) / 2 = -3 x vanishes at the cusp (0, 0), where the curve turns in b
    flow = nd.Flow(lambda t, x, p: p["a"] + p["b"] * x - x**3, 1, params={"a": -1.0, "b": 1.0})
    branch = continue_equilibria(flow, param="a", start=-1.0, stop=1.0, x0=[-1.3247])
    fold = branch.special[0]
    assert fold.kind == "fold" and fold.value == pytest.approx(2 / (3 * math.sqrt(3)), abs=1e-12)
    curve = continue_fold_curve(flow, fold, params=("a", "b"), stop=-1.0)
    x, a, b = curve.states[:, 0], curve.values[:, 0], curve.values[:, 1]
    torch.testing.assert_close(b, 3 * x**2, rtol=0, atol=1e-10)
    torch.testing.assert_close(a, -2 * x**3, rtol=0, atol=1e-10)
    torch.testing.assert_close(curve.coefficient, -3 * x, rtol=1e-9, atol=1e-12)
    (cp,) = curve.special
    assert cp.kind == "cusp" and max(abs(cp.values[0]), abs(cp.values[1])) < 1e-10
    assert curve.status == "left interval" and float(x.min()) < 0 < float(x.max())  # through the cusp and back
    assert curve.plot().get_ylabel() == "b"


def test_bad_input():
    flow = nd.Flow(lambda t, x, p: p["a"] + p["b"] * x - x**3, 1, params={"a": -1.0, "b": 1.0})
    fold = continue_equilibria(flow, param="a", start=-1.0, stop=1.0, x0=[-1.3247]).special[0]
    with pytest.raises(InvalidInputError, match="two different parameters"):
        continue_fold_curve(flow, fold, params=("a", "a"), stop=0.0)
    with pytest.raises(InvalidInputError, match="no parameter 'c'"):
        continue_fold_curve(flow, fold, params=("a", "c"), stop=0.0)
    with pytest.raises(InvalidInputError, match="found in 'a', not in 'b'"):
        continue_fold_curve(flow, fold, params=("b", "a"), stop=0.0)
    with pytest.raises(InvalidInputError, match="current value of 'b'"):
        continue_fold_curve(flow, fold, params=("a", "b"), stop=1.0)
    with pytest.raises(InvalidInputError, match="not a fold of"):
        continue_fold_curve(flow.with_params(b=2.0), fold, params=("a", "b"), stop=0.0)
    with pytest.raises(InvalidInputError, match="kind 'fold'"):
        continue_fold_curve(flow, "fold", params=("a", "b"), stop=0.0)
    ring = nd.Flow(lambda t, x, p: x @ (p["a"] * torch.eye(2, dtype=F64) + p["b"] * ROT).T
                   - (x * x).sum(-1, keepdim=True) * x, 2, params={"a": -0.1, "b": 1.0})
    (h,) = find_hopf_points(ring, param="a", start=-0.1)
    with pytest.raises(InvalidInputError, match="found in 'a', not in 'b'"):
        continue_hopf_curve(ring, h, params=("b", "a"), stop=0.5)
    with pytest.raises(InvalidInputError, match="not a Hopf point of"):
        continue_hopf_curve(ring.with_params(b=2.0), h, params=("a", "b"), stop=0.5)
    with pytest.raises(InvalidInputError, match="needs a Flow"):
        continue_hopf_curve(nd.henon(), h, params=("a", "b"), stop=0.5)
