"""find_fixed_points against closed-form fixed points/equilibria and their stability."""

import json
import math

import matplotlib
import pytest
import torch

import neurodyn
from neurodyn import find_fixed_points

matplotlib.use("Agg")

TOL = 1e-10


def _match(found: torch.Tensor, expected: torch.Tensor, atol: float) -> list[int]:
    """Index of the found point next to each expected one; asserts a one-to-one match within atol."""
    assert found.shape == expected.shape, (found, expected)
    d = torch.cdist(expected, found)
    idx = d.argmin(1)
    assert sorted(idx.tolist()) == list(range(len(found)))
    assert float(d.min(1).values.max()) < atol
    return idx.tolist()


def _assert_exact(system, res, u=None):
    """Every point reported as a fixed point is one: |F(x)| <= tol, recomputed here from the system's own function
    (F = step(x, u) - x for a map, field(0, x) for a flow), and the reported residuals are those."""
    x = res.points
    if isinstance(system, torch.nn.Module):
        system = neurodyn.from_torch(system)
    if isinstance(system, neurodyn.Map):
        u = None if u is None else u.expand(len(x), -1)
        F = system.step(x, u) - x
    else:
        F = system.field(torch.zeros((), dtype=torch.float64), x)
    residual = torch.linalg.vector_norm(F, dim=-1)
    assert len(x) == 0 or float(residual.max()) <= TOL
    torch.testing.assert_close(res.fixed.residual, residual, rtol=0, atol=1e-15)


def test_lorenz_equilibria_and_stability():
    sigma, rho, beta = 10.0, 28.0, 8.0 / 3.0
    system = neurodyn.lorenz(sigma, rho, beta)
    res = find_fixed_points(system, n_starts=64, tol=TOL)
    a = math.sqrt(beta * (rho - 1))
    expected = torch.tensor([[0.0, 0, 0], [a, a, rho - 1], [-a, -a, rho - 1]], dtype=torch.float64)
    idx = _match(res.points, expected, 1e-9)
    _assert_exact(system, res)
    assert res.fixed.stability[idx[0]] == "saddle" and int(res.fixed.n_unstable[idx[0]]) == 1
    for i in idx[1:]:
        assert res.fixed.stability[i] == "saddle-focus" and int(res.fixed.n_unstable[i]) == 2
    # the origin's eigenvalues in closed form: -beta and (-(sigma+1) ± sqrt((sigma+1)^2 + 4 sigma (rho-1))) / 2
    disc = math.sqrt((sigma + 1) ** 2 + 4 * sigma * (rho - 1))
    ev = sorted([-beta, (-(sigma + 1) + disc) / 2, (-(sigma + 1) - disc) / 2], reverse=True)
    assert torch.allclose(res.fixed.eigenvalues[idx[0]].real, torch.tensor(ev, dtype=torch.float64), atol=1e-10)
    assert len(res.slow) == 0
    # every eigenvector is one: J v = lambda v, unit norm (the saddle-foci's complex pairs included)
    J = system.jacobian(res.points).to(torch.complex128)
    V, lam = res.fixed.eigenvectors, res.fixed.eigenvalues
    assert V.shape == (3, 3, 3)
    assert torch.allclose(J @ V, V * lam.unsqueeze(-2), atol=1e-12)
    assert torch.allclose(torch.linalg.vector_norm(V, dim=-2), torch.ones(3, 3, dtype=torch.float64))


def test_henon_fixed_points_closed_form():
    a, b = 1.4, 0.3
    system = neurodyn.henon(a, b)
    res = find_fixed_points(system, n_starts=64, tol=TOL)
    r = math.sqrt((1 - b) ** 2 + 4 * a)
    xs = [(-(1 - b) + s * r) / (2 * a) for s in (1, -1)]
    expected = torch.tensor([[x, b * x] for x in xs], dtype=torch.float64)
    idx = _match(res.points, expected, 1e-12)
    _assert_exact(system, res)
    # both are saddles: one multiplier outside, one inside the unit circle; det J = -b
    assert [res.fixed.stability[i] for i in idx] == ["saddle", "saddle"]
    prod = res.fixed.eigenvalues.prod(-1)
    assert torch.allclose(prod, torch.full_like(prod, -b), atol=1e-12)


def _circulant_tanh(n):
    W = -torch.stack([torch.roll(torch.linspace(-1, 1, n, dtype=torch.float64), -i) for i in range(n)])
    return neurodyn.Map(lambda x, u: torch.tanh(x @ W.T), n, name=f"tanh-circulant-{n}")


@pytest.mark.parametrize("n, point", [(2, [-0.957504, 0.957504]), (3, [-0.949796, 0.425502, 0.879894])])
@pytest.mark.parametrize("starts", ["box", "trajectories"])
def test_tanh_rnn_fixed_points_from_random_starts(n, point, starts):
    p = torch.tensor(point, dtype=torch.float64)
    expected = torch.stack([torch.zeros(n, dtype=torch.float64), p, -p])
    system = _circulant_tanh(n)
    res = find_fixed_points(system, n_starts=128, starts=starts, box=(-1.0, 1.0) if starts == "box" else None, seed=3)
    _match(res.points, expected, 1e-6)  # the published values have 6 digits; nothing spurious
    _assert_exact(system, res)


@pytest.fixture(scope="module")
def flip_flop_gru():
    """The README's GRU trained on the 3-bit flip-flop task, and the task inputs that drive its trajectories."""
    from neurodyn.data import flip_flop
    from neurodyn.models import train_flip_flop

    trained = train_flip_flop(n_bits=3, hidden=16, iterations=300, seed=0)
    assert trained.accuracy > 0.99
    inputs, _ = flip_flop(3, batch=32, steps=100, generator=torch.Generator().manual_seed(1))
    return trained, inputs


def test_flip_flop_gru_memories_are_eight_stable_fixed_points(flip_flop_gru):
    trained, inputs = flip_flop_gru
    res = find_fixed_points(trained.model.rnn, inputs=inputs, n_starts=512, tol=TOL)
    _assert_exact(trained.model.rnn, res, torch.zeros(1, 3, dtype=torch.float64))
    stable = res.fixed.stable
    assert len(stable) == 8
    assert bool((stable.eigenvalues.abs() < 1).all())
    with torch.no_grad():
        memories = torch.sign(trained.model.readout(stable.points.float()))
    patterns = {tuple(int(v) for v in row) for row in memories.tolist()}
    assert len(patterns) == 8  # each stable point stores one of the 2^3 bit patterns
    # the memories sit at the corners of a cube: a saddle with 1 unstable direction on each of its 12 edges,
    # with 2 on each of its 6 faces, with 3 at its centre -- 27 fixed points in all
    dims = [int(res.fixed.n_unstable[i]) for i, s in enumerate(res.fixed.stability) if s.startswith("saddle")]
    assert len(res.fixed) == 27
    assert [dims.count(d) for d in (1, 2, 3)] == [12, 6, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flip_flop_gru_default_search_finds_all_27_and_says_saturated(flip_flop_gru, seed):
    # the README's call: one wave of 256 starts found 25-27 of them depending on the seed
    trained, inputs = flip_flop_gru
    res = find_fixed_points(trained.model.rnn, inputs=inputs, n_starts=256, seed=seed)
    assert len(res.fixed) == 27 and len(res.fixed.stable) == 8
    assert res.status == neurodyn.Status.SATURATED and res.saturation.new_roots[-2:] == [0, 0]
    _assert_exact(trained.model.rnn, res, torch.zeros(1, 3, dtype=torch.float64))


def test_deflation_finds_the_root_every_start_misses():
    # dx/dt = x^2 - 1 from starts all in the basin of x = 1: only deflation reaches x = -1
    flow = neurodyn.Flow(lambda t, x: x * x - 1, 1, name="x^2-1")
    starts = torch.full((8, 1), 0.9, dtype=torch.float64)
    plain = find_fixed_points(flow, starts=starts, deflation_rounds=0)
    assert plain.points.flatten().tolist() == pytest.approx([1.0], abs=1e-12)
    deflated = find_fixed_points(flow, starts=starts, deflation_rounds=1)
    assert sorted(deflated.points.flatten().tolist()) == pytest.approx([-1.0, 1.0], abs=1e-12)
    stab = dict(zip([round(v) for v in deflated.points.flatten().tolist()], deflated.fixed.stability, strict=True))
    assert stab == {-1: "stable node", 1: "unstable node"}


def test_slow_point_without_fixed_point():
    # dx/dt = x^2 + 0.01 has no equilibrium; q = (x^2 + 0.01)^2 / 2 has its minimum 5e-5 at x = 0
    flow = neurodyn.Flow(lambda t, x: x * x + 0.01, 1, name="ghost")
    res = find_fixed_points(flow, starts=torch.linspace(-1, 1, 9).unsqueeze(-1), slow_q=1e-3)
    assert len(res.fixed) == 0 and res.status == neurodyn.Status.NONE_FOUND
    assert len(res.slow) == 1
    assert abs(float(res.slow.points[0, 0])) < 1e-6
    assert float(res.slow.q[0]) == pytest.approx(5e-5, rel=1e-6)


def test_singular_jacobian_is_reported_not_fatal():
    # dx/dt = (-x2, -x2): a line of equilibria x2 = 0, where the Jacobian [[0, -1], [0, -1]] is singular
    line = neurodyn.Flow(lambda t, x: torch.stack([-x[..., 1], -x[..., 1]], -1), 2, name="line")
    res = find_fixed_points(line, starts=torch.tensor([[0.5, 0.3]]))
    assert res.points.tolist() == [[0.5, 0.0]]
    assert res.fixed.stability == ["non-hyperbolic (singular Jacobian)"]
    # dx/dt = (-x1^3, -x2) at its degenerate equilibrium: found, and the zero eigenvalue is reported
    cubic = neurodyn.Flow(lambda t, x: torch.stack([-x[..., 0] ** 3, -x[..., 1]], -1), 2, name="cubic")
    res = find_fixed_points(cubic, starts=torch.tensor([[0.0, 0.3], [0.0, -0.2]]))
    assert res.points.tolist() == [[0.0, 0.0]]
    assert res.fixed.stability == ["non-hyperbolic (singular Jacobian)"]
    assert res.fixed.eigenvalues[0].tolist() == [0, -1]


@pytest.mark.parametrize(
    "A, kind, label, unstable",
    [
        ([[-1.0, 0], [0, -2]], "flow", "stable node", 0),
        ([[-0.1, 1], [-1, -0.1]], "flow", "stable focus", 0),
        ([[1.0, 0], [0, -2]], "flow", "saddle", 1),
        ([[0.1, 1], [-1, 0.1]], "flow", "unstable focus", 2),
        ([[0.5, 0], [0, 0.2]], "map", "stable node", 0),
        ([[0.5, 0], [0, 2.0]], "map", "saddle", 1),
        ([[0.0, -1.2], [1.2, 0]], "map", "unstable focus", 2),
        ([[-0.5, 0], [0, -3.0]], "map", "saddle", 1),
    ],
)
def test_linear_systems_classification(A, kind, label, unstable):
    A = torch.tensor(A, dtype=torch.float64)
    if kind == "flow":
        system = neurodyn.Flow(lambda t, x: x @ A.T, 2, jacobian=lambda t, x: A.expand(*x.shape[:-1], 2, 2))
    else:
        system = neurodyn.Map(lambda x, u: x @ A.T, 2)
    starts = torch.tensor([[1.0, -2.0], [0.3, 0.7], [-1.5, 0.2]], dtype=torch.float64)
    res = find_fixed_points(system, starts=starts)
    assert res.points.shape == (1, 2)  # the one equilibrium, nothing spurious
    assert float(res.points.abs().max()) < 1e-12
    assert res.fixed.stability == [label]
    assert int(res.fixed.n_unstable[0]) == unstable
    ev = torch.linalg.eigvals(A)
    assert torch.allclose(res.fixed.eigenvalues[0].abs().sort().values, ev.abs().sort().values, atol=1e-12)


def test_input_driven_map_uses_u_star():
    # x' = 0.5 x + u has the fixed point 2 u* for every constant input u*
    m = neurodyn.Map(lambda x, u: 0.5 * x + u, 2, input_dim=2, name="affine")
    res = find_fixed_points(m, u_star=torch.tensor([0.3, -1.0], dtype=torch.float64), n_starts=16)
    assert res.points.tolist() == [pytest.approx([0.6, -2.0], abs=1e-12)]
    assert res.u_star.tolist() == pytest.approx([0.3, -1.0])


def test_result_serialises_and_plots(tmp_path):
    res = find_fixed_points(neurodyn.lorenz(), n_starts=32)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["type"] == "FixedPoints" and len(d["fixed"]["points"]) == 3
    assert set(d["fixed"]["eigenvalues"]) == {"real", "imag"}
    res.save_json(tmp_path / "fp.json")
    ax = res.plot()
    assert ax.get_xlabel().startswith("PC1")
    # every equilibrium of Lorenz is a saddle: one scatter collection holding the three
    assert [len(c.get_offsets()) for c in ax.collections] == [3]
    assert "3 fixed" in repr(res)


def test_user_module_and_global_rng_untouched():
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 8)
    before = {k: v.clone() for k, v in gru.state_dict().items()}
    state = torch.get_rng_state()
    find_fixed_points(gru, n_starts=16)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(before[k], v) for k, v in gru.state_dict().items())
    assert gru.training and gru.weight_hh_l0.dtype == torch.float32 and gru.weight_hh_l0.requires_grad


def test_two_layer_gru_points_are_fixed_points_of_the_step():
    """The GRU path iterates on an equivalent residual; every reported point still satisfies step(x) = x."""
    torch.manual_seed(1)
    gru = torch.nn.GRU(2, 6, num_layers=2)
    system = neurodyn.from_torch(gru)
    u = torch.tensor([0.3, -0.2], dtype=torch.float64)
    res = find_fixed_points(system, u_star=u, n_starts=64)
    assert len(res.fixed) >= 1
    F = system.step(res.points, u.expand(len(res.points), 2)) - res.points
    assert float(torch.linalg.vector_norm(F, dim=-1).max()) <= TOL
    torch.testing.assert_close(res.fixed.residual, torch.linalg.vector_norm(F, dim=-1), rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "system",
    [
        neurodyn.Map(lambda x, u: torch.tanh(x), 1, name="tanh"),  # pitchfork: triple root at 0
        neurodyn.Flow(lambda t, x: -x**3, 1, name="cubic"),
        neurodyn.logistic(1.0),  # transcritical: double root at 0
    ],
)
def test_degenerate_root_is_one_non_hyperbolic_point(system):
    res = find_fixed_points(system, n_starts=64)
    assert len(res.fixed) == 1
    assert abs(float(res.points[0, 0])) < 1e-7
    assert res.fixed.stability == ["non-hyperbolic (singular Jacobian)"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unstable_points_off_the_trajectories_are_found(seed):
    # h' = tanh(2 h) in each of 2 units: 3^2 = 9 fixed points (origin unstable node, 4 saddles, 4 stable nodes)
    rnn = torch.nn.RNN(1, 2, bias=False)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(2 * torch.eye(2))
        rnn.weight_ih_l0.zero_()
    res = find_fixed_points(rnn, seed=seed)
    a = 0.9575040240772687  # a = tanh(2a)
    vals = torch.tensor([-a, 0.0, a], dtype=torch.float64)
    expected = torch.cartesian_prod(vals, vals)
    _match(res.points, expected, 1e-12)
    assert sorted(res.fixed.stability) == ["saddle"] * 4 + ["stable node"] * 4 + ["unstable node"]


def test_flow_equilibrium_far_from_the_attractor():
    # Rössler (0.2, 0.2, 5.7): x = (c ± sqrt(c^2 - 4ab)) / 2, y = -x/a, z = x/a; the "+" one lies far outside
    a, b, c = 0.2, 0.2, 5.7
    ross = neurodyn.Flow(lambda t, x: torch.stack([-x[..., 1] - x[..., 2], x[..., 0] + a * x[..., 1],
                                                   b + x[..., 2] * (x[..., 0] - c)], -1), 3, name="rossler")
    res = find_fixed_points(ross, n_starts=64)
    xs = [(c + s * math.sqrt(c * c - 4 * a * b)) / 2 for s in (1, -1)]
    expected = torch.tensor([[x, -x / a, x / a] for x in xs], dtype=torch.float64)
    _match(res.points, expected, 1e-9)


def test_settings_record_params_and_box():
    res = find_fixed_points(neurodyn.lorenz(), params={"rho": 0.5}, n_starts=16)
    assert res.settings["params"] == {"rho": 0.5}
    assert res.points.abs().max() < 1e-12  # rho < 1: the origin is the only equilibrium
    assert res.fixed.stability == ["stable node"]
    res = find_fixed_points(neurodyn.henon(), starts="box", box=(-2.0, 2.0), n_starts=16)
    assert res.settings["box"] == [-2.0, 2.0] and res.settings["starts"] == "box"
    assert float(res.points.abs().max()) <= 2.0 * (1 + 2 * 0.5)  # inside the box widened by margin = 0.5
    again = find_fixed_points(neurodyn.henon(), starts="box", box=(-2.0, 2.0), n_starts=16)
    assert torch.equal(res.points, again.points) and res.settings == again.settings  # seeded: the same run
    other = find_fixed_points(neurodyn.henon(), starts="box", box=(-2.0, 2.0), n_starts=16, seed=1)
    assert other.settings["seed"] == 1 and other.settings["state_scale"] != res.settings["state_scale"]


def test_chaotic_random_network_fixed_points():
    """h' = tanh(W h) with g = 1.5 (chaotic): fixed points lie well inside the attractor's hull; the origin
    has one unstable direction per eigenvalue of W outside the unit circle."""
    n, g = 300, 1.5
    system = neurodyn.random_tanh_rnn(n, g, seed=0)
    res = find_fixed_points(system, n_starts=128, max_starts=128)  # one wave: a chaotic net has too many to find
    _assert_exact(system, res)
    assert res.status == neurodyn.Status.MAY_BE_INCOMPLETE
    norms = res.points.norm(dim=-1)
    origin = int(norms.argmin())
    assert float(norms[origin]) < 1e-12
    W0 = torch.randn(n, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / n**0.5
    outside = int((torch.linalg.eigvals(g * W0).abs() > 1).sum())
    assert int(res.fixed.n_unstable[origin]) == outside
    assert len(res.fixed) >= 2
    for i, x in enumerate(res.points):  # unstable dimension from an independent eigen-decomposition
        J = (1 - torch.tanh(g * W0 @ x) ** 2).unsqueeze(-1) * (g * W0)
        assert int(res.fixed.n_unstable[i]) == int((torch.linalg.eigvals(J).abs() > 1).sum())
