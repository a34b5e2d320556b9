import pytest
import torch
from iomaps_nets import mlp
from torch import nn

import neurodyn as nd
from neurodyn.models.node import NeuralODEClassifier


def test_relu_layer_is_named():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    for fn in (nd.architecture_class, lambda m: nd.critical_points(m, (-1, 1))):
        with pytest.raises(nd.UnsupportedModelError, match=r"layer 1 \(ReLU\)"):
            fn(net)


def test_unsupported_module():
    with pytest.raises(nd.UnsupportedModelError, match="GRU"):
        nd.architecture_class(nn.GRU(2, 3))


def test_vector_output_where_scalar_needed():
    with pytest.raises(nd.InvalidInputError, match="2 outputs"):
        nd.critical_points(mlp(2, 3, 2), (-1, 1))


def test_empty_domain():
    with pytest.raises(nd.InvalidInputError, match="empty"):
        nd.critical_points(mlp(2, 3, 1), (1.0, 1.0))
    with pytest.raises(nd.InvalidInputError, match="empty"):
        nd.embedding_obstructions(lambda x: x, ([0.0, 1.0], [1.0, 0.5]))


def test_non_finite_weights():
    net = mlp(2, 3, 1)
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    for fn in (nd.architecture_class, lambda m: nd.critical_points(m, (-1, 1))):
        with pytest.raises(nd.NonFiniteError, match="layer 2"):
            fn(net)


def test_output_selection_is_checked():
    with pytest.raises(nd.InvalidInputError, match="2 outputs"):
        nd.critical_points(NeuralODEClassifier(2, 2), (-1, 1))
    with pytest.raises(nd.InvalidInputError, match="output=5"):
        nd.critical_points(NeuralODEClassifier(2, 2), (-1, 1), output=5)
    with pytest.raises(nd.InvalidInputError, match="vector of 2 weights"):
        nd.critical_points(mlp(2, 3, 2), (-1, 1), output=[1.0, 2.0, 3.0])


def test_target_map_must_be_square():
    with pytest.raises(nd.InvalidInputError, match="R\\^n -> R\\^n"):
        nd.embedding_obstructions(lambda x: x.sum(-1, keepdim=True), ([0.0, 0.0], [1.0, 1.0]))


def test_bad_search_settings():
    with pytest.raises(nd.InvalidInputError, match="margin"):
        nd.critical_points(mlp(2, 3, 1), (-1, 1), margin=-1.0)
    with pytest.raises(nd.InvalidInputError, match="n_starts"):
        nd.critical_points(mlp(2, 3, 1), (-1, 1), n_starts=0)
    with pytest.raises(nd.InvalidInputError, match="domain"):
        nd.critical_points(mlp(2, 3, 1), (-1, 0, 1))
