import math

import matplotlib
import pytest
import torch
from iomaps_nets import mlp, set_weights

import neurodyn as nd
from neurodyn import rank_loss

matplotlib.use("Agg")

B1, B3 = 0.7, -0.3  # the planted line x1 = -(B1 + B3) / 2


@pytest.fixture
def folded_mlp():
    """2 -> 3 -> 2: f(x) = (tanh(x1 + B1) - tanh(x1 + B3), tanh(x2)), so D f = diag(sech^2(x1 + B1) -
    sech^2(x1 + B3), sech^2(x2)), which loses rank exactly on the line x1 = -(B1 + B3) / 2 (sech^2 is even), with
    left null vector (1, 0): the first output is critical in x1 there."""
    return set_weights(mlp(2, 3, 2), ([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [B1, 0.0, B3]),
                       ([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], [0.0, 0.0]))


def test_planted_rank_drop_is_found_on_its_line(folded_mlp):
    r = rank_loss(folded_mlp, (-2.0, 2.0), n_starts=64)
    assert r.status == nd.Status.OK and len(r) >= 10 and r.full_rank == 1 + 1
    line = -(B1 + B3) / 2
    assert float((r.points[:, 0] - line).abs().max()) <= 1e-10
    assert float(r.singular_values[:, -1].max()) <= 1e-10  # rank 1 there
    # the other singular value is sech^2(x2) (the second output's slope), not small
    expected = torch.cosh(r.points[:, 1]) ** -2
    assert torch.allclose(r.singular_values[:, 0], expected, atol=1e-9)
    assert torch.allclose(r.null.abs(), torch.tensor([1.0, 0.0], dtype=torch.float64).expand_as(r.null), atol=1e-9)
    assert float(r.residual.max()) <= 1e-10
    # the points spread along the line (a sample of the singular set, not one point)
    assert float(r.points[:, 1].max() - r.points[:, 1].min()) >= 2.0


def test_full_rank_non_increasing_mlp_never_loses_rank():
    # J = W2 D W1 with W1 (3 x 3), W2 (2 x 3) of full rank: a product of surjective maps, rank 2 everywhere
    net = mlp(3, 3, 2, seed=4)
    assert nd.architecture_class(net).category == "non-augmented"
    r = rank_loss(net, (-3.0, 3.0), n_starts=64)
    assert len(r) == 0 and r.status == nd.Status.NONE_FOUND
    assert r.starts["converged"] == 0


def test_more_outputs_than_inputs_uses_the_right_null_vector():
    # f(x) = (g(x), 2 g(x)) with g(s) = tanh(s + 1/2) - tanh(s - 1/2): J = (g'(x), 2 g'(x))^T is 0 at x = 0 only
    net = set_weights(mlp(1, 2, 2), ([[1.0], [1.0]], [0.5, -0.5]), ([[1.0, -1.0], [2.0, -2.0]], [0.0, 0.0]))
    r = rank_loss(net, (-2.0, 2.0), n_starts=32)
    assert len(r) == 1 and abs(float(r.points[0, 0])) <= 1e-10
    assert r.full_rank == 1 and float(r.null[0].abs()) == pytest.approx(1.0, abs=1e-12)


def test_scalar_output_gives_the_critical_points(folded_mlp):
    # m = 1: rank loss is grad f = 0; the first output alone is critical on the same line
    first = set_weights(mlp(2, 3, 1), ([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [B1, 0.0, B3]),
                        ([[1.0, 0.0, -1.0]], [0.0]))
    r = rank_loss(first, (-2.0, 2.0), n_starts=32)
    assert len(r) >= 2 and float((r.points[:, 0] + (B1 + B3) / 2).abs().max()) <= 1e-10
    assert math.isclose(float(r.points[:, 0].mean()), -(B1 + B3) / 2, abs_tol=1e-10)


def test_plot_json_and_bad_input(folded_mlp, tmp_path):
    r = rank_loss(folded_mlp, (-2.0, 2.0), n_starts=16)
    ax = r.plot()
    assert ax.get_legend_handles_labels()[1] == ["rank < 2"]
    assert r.to_dict()["type"] == "RankLoss" and "R^2 -> R^2" in repr(r)
    r.save_json(tmp_path / "r.json")
    with pytest.raises(nd.InvalidInputError, match="empty"):
        rank_loss(folded_mlp, (1.0, -1.0))
    with pytest.raises(nd.InvalidInputError, match="2-D"):
        rank_loss(mlp(3, 2, 2), (-1.0, 1.0), n_starts=4).plot()
