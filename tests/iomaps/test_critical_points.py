import copy
import math

import matplotlib
import pytest
import torch
from iomaps_nets import PLANTED_AT, mlp, set_weights
from torch import nn

import neurodyn as nd

matplotlib.use("Agg")


def test_non_increasing_mlp_has_no_critical_point_and_nonvanishing_gradient():
    net = mlp(2, 2, 1, seed=3)
    cp = nd.critical_points(net, (-50.0, 50.0), n_starts=256)
    assert len(cp) == 0 and cp.status == nd.Status.NONE_FOUND
    assert cp.flat > 0  # far out, tanh saturates: |grad f| < tol there, and those points are not taken
    # on a fine grid: grad f = W1^T (w2 * tanh'(z)) with W1^T injective, so |grad f| >= s_min(W1) |w2 * tanh'(z)| > 0
    g = torch.linspace(-10, 10, 401, dtype=torch.float64)
    X = torch.cartesian_prod(g, g).requires_grad_(True)
    (grad,) = torch.autograd.grad(net(X).sum(), X)
    W1, w2 = net[0].weight.detach(), net[2].weight.detach()[0]
    z = X.detach() @ W1.T + net[0].bias.detach()
    bound = torch.linalg.svdvals(W1)[-1] * torch.linalg.vector_norm(w2 * torch.cosh(z) ** -2, dim=-1)
    assert bool((bound > 0).all())
    assert bool((torch.linalg.vector_norm(grad, dim=-1) >= (1 - 1e-6) * bound).all())


def test_planted_saddle_is_found_with_index_one(saddle_mlp):
    before = copy.deepcopy(saddle_mlp.state_dict())
    assert nd.architecture_class(saddle_mlp).category == "augmented"
    cp = nd.critical_points(saddle_mlp, (-2.5, 2.5), n_starts=256)
    assert len(cp) == 1 and cp.status == nd.Status.SATURATED
    p = torch.tensor(PLANTED_AT, dtype=torch.float64)
    assert float((cp.points[0] - p).abs().max()) <= 1e-10
    assert int(cp.morse_index[0]) == 1 and not bool(cp.degenerate[0])
    # the Hessian at p is diag(-2, 2) by construction; O(|x - p|) error only
    assert torch.allclose(cp.eigenvalues[0], torch.tensor([-2.0, 2.0], dtype=torch.float64), atol=1e-8)
    assert float(cp.gradient_norm[0]) <= 1e-10
    assert all(torch.equal(before[k], v) for k, v in saddle_mlp.state_dict().items())


def test_points_found_in_a_larger_box_are_critical_and_classified(saddle_mlp):
    cp = nd.critical_points(saddle_mlp, (-4.0, 4.0), n_starts=512)
    assert len(cp) >= 2
    x = cp.points.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(saddle_mlp(x).sum(), x)
    assert float(grad.abs().max()) <= 1e-10
    for i in range(len(cp)):  # index = number of negative eigenvalues of the independently computed Hessian
        H = torch.func.hessian(lambda z: saddle_mlp(z[None])[0, 0])(cp.points[i])
        assert int((torch.linalg.eigvalsh(H) < 0).sum()) == int(cp.morse_index[i])


def test_rank_deficient_network_has_degenerate_critical_line(line_mlp):
    cp = nd.critical_points(line_mlp, (-2.0, 2.0), n_starts=64)
    assert len(cp) >= 2 and bool(cp.degenerate.all())
    assert float(cp.points.sum(-1).abs().max()) <= 1e-8  # on the line x1 + x2 = 0
    assert float(cp.eigenvalues.abs().amin(-1).max()) <= 1e-12  # zero along the kernel (1, -1)
    # the other eigenvalue is g''(0) * |(1, 1)|^2 = 2 g''(0), g''(0) = -4 tanh(1/2) / cosh(1/2)^2
    expected = 2 * (-4 * math.tanh(0.5) / math.cosh(0.5) ** 2)
    assert torch.allclose(cp.eigenvalues[:, 0], torch.full((len(cp),), expected, dtype=torch.float64), atol=1e-8)


def test_plot_and_json(saddle_mlp, tmp_path):
    cp = nd.critical_points(saddle_mlp, (-2.5, 2.5), n_starts=64)
    ax = cp.plot()
    assert ax.get_legend_handles_labels()[1] == ["saddle (1)"]
    d = cp.to_dict()
    assert d["type"] == "CriticalPoints" and d["morse_index"] == [1] and d["status"] == "saturated"
    assert "index 1" in repr(cp)
    cp.save_json(tmp_path / "cp.json")


def test_plot_needs_two_dimensions():
    cp = nd.critical_points(mlp(3, 2, 1), (-1.0, 1.0), n_starts=16)
    with pytest.raises(nd.InvalidInputError, match="2-D"):
        cp.plot()


def test_bottleneck_forces_every_critical_point_to_be_degenerate():
    # 2 -> 1 -> 2 -> 1, all maps full rank: f(x) = G(tanh(x1 + x2)) with G(z) = -tanh(z - 1/2) - tanh(-z - 1/2)
    # even in z, so f is critical on the line x1 + x2 = 0 (and only there), flat along it
    net = nn.Sequential(nn.Linear(2, 1), nn.Tanh(), nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)).double()
    set_weights(net, ([[1.0, 1.0]], [0.0]), ([[1.0], [-1.0]], [-0.5, -0.5]), ([[-1.0, -1.0]], [0.0]))
    a = nd.architecture_class(net)
    assert a.category == "bottleneck" and all(a.full_rank)
    assert "every critical point is degenerate" in a.guarantee
    cp = nd.critical_points(net, (-2.0, 2.0), n_starts=64)
    assert len(cp) >= 2 and bool(cp.degenerate.all())
    assert float(cp.points.sum(-1).abs().max()) <= 1e-8


def test_points_at_the_box_edge_are_kept_inside_and_dropped_outside(saddle_mlp):
    # the planted saddle 1e-3 inside the box's lower x1 face is found (a path to it may pass outside the box,
    # where the field is unmodified within the margin); with the face 1e-3 beyond it, it is outside and dropped
    p = torch.tensor(PLANTED_AT, dtype=torch.float64)
    inside = nd.critical_points(saddle_mlp, ([p[0] - 1e-3, -1.0], [1.5, 1.0]), n_starts=128)
    assert len(inside) == 1 and float((inside.points[0] - p).abs().max()) <= 1e-10
    outside = nd.critical_points(saddle_mlp, ([p[0] + 1e-3, -1.0], [1.5, 1.0]), n_starts=128)
    assert len(outside) == 0 and outside.status == nd.Status.NONE_FOUND


def test_confining_term_leaves_no_spurious_points_and_no_start_escapes():
    # a random 4-input network with many critical points: the field is modified only outside the widened box,
    # so every point reported is a zero of the network's own gradient (checked by autograd), and no start leaves
    net = mlp(4, 32, 1, seed=2)
    with torch.no_grad():
        net[0].weight.mul_(5.0)
        net[0].bias.mul_(2.0)
    cp = nd.critical_points(net, (-2.0, 2.0), n_starts=256, max_starts=256)
    assert cp.starts["outside"] == 0 and cp.starts["diverged"] == 0
    assert len(cp) >= 5 and bool(((cp.points >= -2.0) & (cp.points <= 2.0)).all())
    x = cp.points.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x).sum(), x)
    assert float(torch.linalg.vector_norm(grad, dim=-1).max()) <= 1e-10


def test_analytic_hessian_matches_torch_func_with_mixed_activations():
    # sigmoid then tanh after one layer, identity after another, two linear maps in a row: the one-pass MLP
    # Hessian (Morse data) against torch.func's, at every critical point found
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Tanh(), nn.Linear(8, 6), nn.Identity(),
                            nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(5.0)
    cp = nd.critical_points(net, (-3.0, 3.0), n_starts=128)
    assert len(cp) >= 3 and {0, 1, 2} <= set(cp.morse_index.tolist())  # minima, saddles and maxima
    for i in range(len(cp)):
        H = torch.func.hessian(lambda z: net(z[None])[0, 0])(cp.points[i])
        assert torch.allclose(cp.eigenvalues[i], torch.linalg.eigvalsh(H), rtol=0, atol=1e-12)


def test_critical_points_of_a_tanh_network_are_proven_with_their_index(saddle_mlp, line_mlp):
    prove_critical_points = nd.prove_critical_points
    cp = nd.critical_points(saddle_mlp, (-4.0, 4.0), n_starts=256)
    assert len(cp) >= 3
    for backend in ("fast", "arb"):
        proofs = prove_critical_points(saddle_mlp, cp, backend=backend)
        assert all(p.proved and p.status == nd.Status.PROVED for p in proofs)
        # the proven index is the float one, and each float point lies in its proven ball
        assert [p.conclusion for p in proofs] == [f"index {int(k)}" for k in cp.morse_index]
        assert all(0 < p.radius <= 1e-12 and p.uniqueness_radius > p.radius for p in proofs)
    planted = prove_critical_points(saddle_mlp, torch.tensor(PLANTED_AT, dtype=torch.float64))[0]
    assert planted.proved and planted.conclusion == "index 1"
    # off a critical point, or at a degenerate one, nothing is proved
    off = prove_critical_points(saddle_mlp, torch.tensor([1.0, 1.0], dtype=torch.float64))[0]
    assert not off.proved and off.conclusion == "undecided" and off.reason
    line = prove_critical_points(line_mlp, torch.tensor([0.5, -0.5], dtype=torch.float64))[0]
    assert not line.proved and "singular" in line.reason
    with pytest.raises(nd.UnsupportedModelError, match="one-hidden-layer tanh"):
        prove_critical_points(mlp(2, 3, 3, 1), torch.zeros(1, 2))
    with pytest.raises(nd.InvalidInputError, match=r"\(P, 2\)"):
        prove_critical_points(saddle_mlp, torch.zeros(3, 3))
