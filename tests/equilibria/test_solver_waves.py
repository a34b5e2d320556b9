"""The batched dogleg solver: solving in waves joins known roots and changes no start's root."""

import itertools

import pytest
import torch

from neurodyn.equilibria import solver
from neurodyn.equilibria.solver import Problem, SolveOptions

# F(x) = x^3 - x in each of 3 coordinates: 27 regular roots, {-1, 0, 1}^3, with J = diag(3 x^2 - 1)
ROOTS = torch.tensor(list(itertools.product([-1.0, 0.0, 1.0], repeat=3)), dtype=torch.float64)


def fun(x):
    return x**3 - x


def fun_jac(x):
    return fun(x), torch.diag_embed(3 * x * x - 1)


CUBIC = Problem(fun_jac, fun)


def _nearest_root(x):
    d, i = (x.unsqueeze(1) - ROOTS).norm(dim=-1).min(1)
    return d, i


def _starts(S=600, seed=1):
    gen = torch.Generator().manual_seed(seed)
    x = 2.4 * torch.rand(S, 3, generator=gen, dtype=torch.float64) - 1.2
    return x[((x * x - 1 / 3).abs() > 0.05).all(-1)]  # away from the fold lines x = +-1/sqrt(3)


def test_waves_reach_the_same_root_from_every_start_with_fewer_jacobians():
    x0 = _starts()
    plain = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, maxiter=100, radius0=1.0))
    waves = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, maxiter=100, radius0=1.0, join_radius=1e-4, waves=16))
    assert bool((plain.status == solver.ROOT).all())
    assert bool(((waves.status == solver.ROOT) | (waves.status == solver.JOINED)).all())
    d_plain, root_plain = _nearest_root(plain.x)
    d_waves, root_waves = _nearest_root(waves.x)
    assert float(d_plain.max()) < 1e-12 and float(d_waves.max()) < 1e-12
    assert torch.equal(root_plain, root_waves)
    assert int((waves.status == solver.JOINED).sum()) > len(x0) // 2
    assert waves.jacobians < 0.8 * plain.jacobians


def test_a_start_near_a_known_root_joins_it_by_chord_steps_without_a_jacobian_of_its_own():
    x0 = ROOTS[:5] + 1e-2  # 100 join radii away: Newton would need 2-3 Jacobians of its own
    sol = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, join_radius=1e-4), known=ROOTS[:5].clone())
    assert bool((sol.status == solver.JOINED).all())
    assert sol.jacobians == 5  # the known roots' own, one each
    assert torch.equal(sol.x, ROOTS[:5])


def test_a_start_in_the_basin_of_an_unknown_root_does_not_join_a_known_one():
    # only (1, 1, 1) is known; from 0.1 in each coordinate Newton converges to the origin, and the chord
    # steps with J(1, 1, 1) = 2 I move away from it (steps growing by about 1.5), so no join
    x0 = torch.tensor([[0.1, 0.1, 0.1], [0.95, 0.95, 0.95]], dtype=torch.float64)
    sol = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, join_radius=1e-4), known=ROOTS[-1:].clone())
    assert ROOTS[-1].tolist() == [1.0, 1.0, 1.0]
    assert sol.status.tolist() == [solver.ROOT, solver.JOINED]
    assert sol.x[0].abs().max() < 1e-12 and torch.equal(sol.x[1], ROOTS[-1])


def test_without_joining_waves_are_one_plain_solve():
    x0 = _starts(200)
    a = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, maxiter=100))
    b = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, maxiter=100, waves=16))
    assert torch.equal(a.x, b.x) and torch.equal(a.status, b.status) and a.jacobians == b.jacobians


def test_every_wave_gets_maxiter_iterations_and_bad_settings_are_refused():
    x0 = _starts(100) * 40  # far out: 3 iterations are not enough for any start
    sol = solver.solve(CUBIC, x0, SolveOptions(tol=1e-12, maxiter=3, join_radius=1e-4, waves=8, radius0=0.1))
    assert bool((sol.status == solver.MAXITER).all()) and sol.iterations == 3
    assert bool(torch.isfinite(sol.residual).all()) and bool((sol.residual > 0).all())
    for bad in (dict(maxiter=0), dict(waves=0)):
        with pytest.raises(ValueError, match="at least 1"):
            SolveOptions(tol=1e-12, join_radius=1e-4, **{"waves": 8, **bad})


def test_anchors_keep_at_most_their_budget_of_inverses():
    anchors = solver.Anchors(fun_jac, 1e-4, ROOTS, max_elements=2 * 9)  # room for two 3x3 inverses
    assert anchors.add(ROOTS[:5]) == 2 and len(anchors) == 2
    assert anchors.add(ROOTS[5:]) == 0
    joined, _ = anchors.join(fun, ROOTS[:5] + 1e-2)
    assert joined.tolist() == [True, True, False, False, False]  # the last three are nobody's anchor


def test_a_chord_step_that_lands_on_a_known_root_at_once_is_no_evidence_for_joining():
    # F = x (x - 1) (x - 2) / 2 per coordinate, only the root 0 known: from 3 the chord step with J(0) = I lands
    # exactly on 0 (G(3) = 3 - F(3) = 0), although Newton from 3 converges to 2
    def f(x):
        return x * (x - 1) * (x - 2) / 2

    def f_jac(x):
        return f(x), torch.diag_embed((3 * x * x - 6 * x + 2) / 2)

    x0 = torch.tensor([[3.0, 3.0]], dtype=torch.float64)
    sol = solver.solve(Problem(f_jac, f), x0, SolveOptions(tol=1e-12, join_radius=1e-4),
                       known=torch.zeros(1, 2, dtype=torch.float64))
    assert sol.status.tolist() == [solver.ROOT]
    assert torch.allclose(sol.x, torch.full((1, 2), 2.0, dtype=torch.float64), atol=1e-12)
