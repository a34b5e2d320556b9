"""Hopf points: exact locations for tanh((A + alpha I) x), Kuznetsov's first Lyapunov coefficient in closed
form, and its invariance under a near-identity change of coordinates (which brings in quadratic terms)."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.continuation import find_hopf_points

F64 = torch.float64
ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)


@pytest.mark.parametrize("omega", [0.5, 3.0])
def test_leaky_tanh_rotation_hopf_at_zero_with_closed_form_l1(omega):
    # dx/dt = -x + tanh(((1 + alpha) I + omega J) x): eigenvalues alpha +- i omega at x = 0, and with q^H q = 1
    # Kuznetsov's formula gives l1 = -(1 + omega^2) / (2 omega) (tanh''' (0) = -2; no quadratic terms)
    def field(t, x, p):
        return -x + torch.tanh(x @ ((1 + p["alpha"]) * torch.eye(2, dtype=F64) + omega * ROT).T)

    (h,) = find_hopf_points(nd.Flow(field, 2, params={"alpha": 0.4}), param="alpha", start=0.4)
    assert h.value == pytest.approx(0.0, abs=1e-12) and h.omega == pytest.approx(omega, rel=1e-12)
    assert h.l1 == pytest.approx(-(1 + omega**2) / (2 * omega), rel=1e-10) and h.kind == "supercritical"
    assert h.crossing == pytest.approx(1.0, rel=1e-10)


def normal_form(omega):
    """z' = (alpha + i omega) z + z |z|^2 in real coordinates: l1 = 2/omega with q^H q = 1 (subcritical)."""

    def field(t, x, p):
        r2 = (x * x).sum(-1, keepdim=True)
        return x @ (p["alpha"] * torch.eye(2, dtype=F64) + omega * ROT).T + r2 * x

    return field


def test_subcritical_normal_form_and_invariance_under_a_quadratic_change_of_coordinates():
    omega = 1.5
    f = normal_form(omega)
    (h,) = find_hopf_points(nd.Flow(f, 2, params={"alpha": -0.2}), param="alpha", start=-0.2)
    assert h.l1 == pytest.approx(2 / omega, rel=1e-10) and h.kind == "subcritical"

    # y with x = y + Q(y): y' = (I + DQ(y))^{-1} f(y + Q(y)) has quadratic terms but the same linear part,
    # so the same normalisation and the same l1 (the coefficient is invariant under near-identity changes)
    def Q(y):
        return torch.stack([0.7 * y[..., 0] ** 2 - 0.4 * y[..., 0] * y[..., 1],
                            0.5 * y[..., 1] ** 2 + 0.9 * y[..., 0] * y[..., 1]], -1)

    def g(t, y, p):  # batched over leading dimensions, as the protocol asks
        DQ = torch.func.vmap(torch.func.jacfwd(Q))(y.reshape(-1, 2)).reshape(*y.shape, 2)
        return torch.linalg.solve(torch.eye(2, dtype=F64) + DQ, f(t, y + Q(y), p).unsqueeze(-1)).squeeze(-1)

    (hq,) = find_hopf_points(nd.Flow(g, 2, params={"alpha": -0.2}), param="alpha", start=-0.2)
    assert hq.value == pytest.approx(0.0, abs=1e-12)
    assert hq.l1 == pytest.approx(2 / omega, rel=1e-8)


def test_all_hopf_points_of_a_random_tanh_network_are_found():
    # dx/dt = tanh((A + alpha I) x): at x = 0 the eigenvalues are lambda_k(A) + alpha, so a Hopf point sits at
    # alpha = -Re(lambda_k) for every complex pair, and nowhere else
    n = 60
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(1), dtype=F64) / math.sqrt(n)
    flow = nd.Flow(lambda t, x, p: torch.tanh(x @ (A + p["alpha"] * torch.eye(n, dtype=F64)).T), n,
                   params={"alpha": 0.0})
    found = find_hopf_points(flow, param="alpha", start=0.0)
    ev = torch.linalg.eigvals(A)
    exact = sorted(-float(e.real) for e in ev if e.imag > 1e-8)
    assert len(found) == len(exact) == 27
    torch.testing.assert_close(torch.tensor([h.value for h in found], dtype=F64), torch.tensor(exact, dtype=F64),
                               rtol=0, atol=1e-10)
    assert all(h.residual <= 1e-10 for h in found)
    # at x = 0 only the third derivative tanh'''(0) = -2 contributes and M q = i omega q, so Kuznetsov's formula
    # reduces to l1 = omega^2 Im(p^H (q * q * conj(q))) with q^H q = 1, p^H q = 1 (eigenvectors of M computed here)
    for h in found[::5]:
        M = A + h.value * torch.eye(n, dtype=F64)
        mu, V = torch.linalg.eig(M)
        q = V[:, torch.argmin((mu - 1j * h.omega).abs())]
        q = q / torch.linalg.vector_norm(q)
        ml, U = torch.linalg.eig(M.T)
        p = U[:, torch.argmin((ml + 1j * h.omega).abs())]
        p = p / torch.vdot(p, q).conj()
        closed = h.omega**2 * float(torch.vdot(p, q * q * q.conj()).imag)
        assert h.l1 == pytest.approx(closed, rel=1e-8)
    inside = find_hopf_points(flow, param="alpha", start=0.0, interval=(0.0, 0.5))
    assert [h.value for h in inside] == [h.value for h in found if 0 <= h.value <= 0.5]


def test_hopf_point_at_a_moving_nonzero_equilibrium():
    # the subcritical normal form translated to c(alpha) = (1 + alpha, 2 - alpha): the equilibrium moves with the
    # parameter, the Hopf point is at alpha = 0, x* = (1, 2), with the same l1 = 2/omega and crossing speed 1
    omega = 0.8
    f = normal_form(omega)

    def field(t, x, p):
        c = torch.stack([1 + p["alpha"], 2 - p["alpha"]])
        return f(t, x - c, p)

    (h,) = find_hopf_points(nd.Flow(field, 2, params={"alpha": 0.3}), param="alpha", start=0.3, x0=[1.3, 1.7])
    assert h.value == pytest.approx(0.0, abs=1e-12)
    torch.testing.assert_close(h.x, torch.tensor([1.0, 2.0], dtype=F64), rtol=0, atol=1e-12)
    assert h.l1 == pytest.approx(2 / omega, rel=1e-10) and h.crossing == pytest.approx(1.0, rel=1e-10)
    with pytest.raises(nd.ConvergenceError, match="no equilibrium|singular"):
        find_hopf_points(nd.Flow(lambda t, x, p: x * x + 1 + p["alpha"] ** 2, 1, params={"alpha": 0.0}),
                         param="alpha", start=0.0)


def test_bad_input():
    with pytest.raises(InvalidInputError, match="no parameter 'beta'"):
        find_hopf_points(nd.Flow(normal_form(1.0), 2, params={"alpha": 0.0}), param="beta", start=0.0)
    with pytest.raises(InvalidInputError, match="needs a Flow"):
        find_hopf_points(nd.henon(), param="a", start=1.4)


def test_hopf_points_are_a_sequence_result_with_status_json_and_plots(tmp_path):
    import json

    import matplotlib

    matplotlib.use("Agg")
    omega = 2.0
    flow = nd.Flow(lambda t, x, p: -x + torch.tanh(x @ ((1 + p["alpha"]) * torch.eye(2, dtype=F64) + omega * ROT).T),
                   2, params={"alpha": -0.5})
    found = find_hopf_points(flow, param="alpha", start=-0.5)
    assert isinstance(found, nd.HopfPoints) and found.status == "ok" and len(found) == 1
    (h,) = found
    assert found[0] is h and list(found) == [h] and found[:1] == (h,)
    saved = json.loads(found.save_json(tmp_path / "hopf.json").read_text())
    assert saved["type"] == "HopfPoints" and saved["points"][0]["omega"] == pytest.approx(omega, rel=1e-12)
    assert found.plot().get_xlabel() == "alpha" and h.plot().get_xlabel() == "Re q"
    none = find_hopf_points(flow, param="alpha", start=-0.5, interval=(1.0, 2.0))  # the pair crosses at 0
    assert none.status == "none found" and none.status.ok and len(none) == 0 and not none
