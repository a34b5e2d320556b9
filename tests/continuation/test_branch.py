"""Pseudo-arclength continuation: a fold passed and located, and every event of tanh((A + alpha I) x) at its
exact parameter value."""

import math

import matplotlib
import pytest
import torch

import neurodyn as nd
from neurodyn import InvalidInputError
from neurodyn.continuation import continue_equilibria

matplotlib.use("Agg")
F64 = torch.float64


def test_fold_is_passed_and_located_exactly():
    # dx/dt = alpha - x^2: x = +sqrt(alpha) (stable) and -sqrt(alpha) (unstable) meet at the fold alpha = 0
    flow = nd.Flow(lambda t, x, p: p["alpha"] - x**2, 1, params={"alpha": 1.0})
    b = continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0])
    (fold,) = b.special
    assert fold.kind == "fold" and abs(fold.value) < 1e-12 and float(fold.x.abs()) < 1e-6
    assert b.status == "left interval"  # it turned back at the fold and climbed past alpha = 1 on the other side
    torch.testing.assert_close(b.states[:, 0] ** 2, b.values, rtol=0, atol=1e-10)  # every point on the curve
    upper = b.states[:, 0] > 0
    assert bool((b.n_unstable[upper] == 0).all()) and bool((b.n_unstable[~upper] == 1).all())
    assert b.plot(coordinate=0).get_xlabel() == "alpha"


def test_every_hopf_and_branch_point_of_the_trivial_branch_is_found():
    # dx/dt = tanh((A + alpha I) x): along x = 0 the eigenvalues are lambda_k(A) + alpha, so Hopf points sit at
    # alpha = -Re(lambda) of each complex pair and branch points at alpha = -lambda of each real eigenvalue
    n = 10
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(3), dtype=F64)
    flow = nd.Flow(lambda t, x, p: torch.tanh(x @ (A + p["alpha"] * torch.eye(n, dtype=F64)).T), n,
                   params={"alpha": -4.0})
    b = continue_equilibria(flow, param="alpha", start=-4.0, stop=4.0)
    ev = torch.linalg.eigvals(A)
    exact = sorted([(-float(e.real), "hopf") for e in ev if e.imag > 1e-8]
                   + [(-float(e.real), "branch") for e in ev if abs(e.imag) <= 1e-8])
    assert [s.kind for s in b.special] == [k for _, k in exact]
    torch.testing.assert_close(torch.tensor([s.value for s in b.special], dtype=F64),
                               torch.tensor([v for v, _ in exact], dtype=F64), rtol=0, atol=1e-9)
    assert b.status == "reached stop" and float(b.states.abs().max()) < 1e-12
    # stability: the number of unstable eigenvalues is the number of lambda_k + alpha with positive real part
    for a, m in zip(b.values.tolist(), b.n_unstable.tolist(), strict=True):
        assert m == int((ev.real + a > 0).sum())
    hopf = [s.hopf for s in b.special if s.kind == "hopf"]
    assert all(h.residual <= 1e-10 and h.omega > 0 for h in hopf)


def test_two_hopf_points_within_one_step_are_both_found():
    # two complex pairs whose real parts differ by 1e-3: both cross inside a single continuation step
    blocks = [torch.tensor([[-0.5, -1.0], [1.0, -0.5]], dtype=F64),
              torch.tensor([[-0.501, -2.0], [2.0, -0.501]], dtype=F64)]
    A = torch.block_diag(*blocks)
    flow = nd.Flow(lambda t, x, p: torch.tanh(x @ (A + p["alpha"] * torch.eye(4, dtype=F64)).T), 4,
                   params={"alpha": 0.0})
    b = continue_equilibria(flow, param="alpha", start=0.0, stop=1.0, step=0.1, max_step=0.1)
    values = sorted(s.value for s in b.special if s.kind == "hopf")
    assert values == pytest.approx([0.5, 0.501], abs=1e-10)


def test_hopf_on_a_leaky_tanh_branch_carries_its_lyapunov_coefficient():
    omega = 2.0
    rot = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=F64)
    flow = nd.Flow(lambda t, x, p: -x + torch.tanh(x @ ((1 + p["alpha"]) * torch.eye(2, dtype=F64) + omega * rot).T),
                   2, params={"alpha": -0.5})
    b = continue_equilibria(flow, param="alpha", start=-0.5, stop=0.5)
    (h,) = b.special
    assert h.kind == "hopf" and abs(h.value) < 1e-12
    assert h.hopf.l1 == pytest.approx(-(1 + omega**2) / (2 * omega), rel=1e-10)
    assert repr(b).startswith("Branch(") and math.isfinite(float(b.values.max()))


def test_bad_input():
    flow = nd.Flow(lambda t, x, p: p["alpha"] - x, 1, params={"alpha": 0.0})
    with pytest.raises(InvalidInputError, match="interval"):
        continue_equilibria(flow, param="alpha", start=0.0, stop=0.0)
    with pytest.raises(InvalidInputError, match="no parameter"):
        continue_equilibria(flow, param="beta", start=0.0, stop=1.0)


def test_settings_object_and_shorthands_agree_and_a_failed_branch_raises_under_strict():
    flow = nd.Flow(lambda t, x, p: p["alpha"] - x**2, 1, params={"alpha": 1.0})
    settings = nd.continuation.ContinuationSettings(step=0.05, min_step=1e-7, max_step=0.1, max_points=400, tol=1e-11,
                                                    maxiter=10)
    a = continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], settings=settings)
    b = continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], step=0.05, max_step=0.1,
                            max_points=400, tol=1e-11, maxiter=10)
    assert torch.equal(a.values, b.values) and a.settings == b.settings and a.settings["max_step"] == 0.1
    with pytest.raises(InvalidInputError, match="unexpected keyword"):
        continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], stepsize=0.1)
    # one Newton iteration per correction cannot converge from a step of 0.5: the step halves below min_step
    failed = continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], step=0.5, min_step=0.2,
                                 maxiter=1, strict=False)
    assert failed.status == "step too small" and not failed.status.ok and len(failed.values) == 1
    with pytest.raises(nd.ConvergenceError, match="step too small"):
        continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], step=0.5, min_step=0.2, maxiter=1,
                            strict=True)
    # the default policy returns the flagged partial branch: there is an answer, up to where the step collapsed
    default = continue_equilibria(flow, param="alpha", start=1.0, stop=-1.0, x0=[1.0], step=0.5, min_step=0.2,
                                  maxiter=1)
    assert default.status == "step too small" and torch.equal(default.values, failed.values)
