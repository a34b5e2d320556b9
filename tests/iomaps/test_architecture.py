import copy
import json

import torch
from iomaps_nets import mlp, set_weights
from torch import nn

import neurodyn as nd
from neurodyn.models.node import NeuralODEClassifier


def test_non_increasing_full_rank_mlp_has_no_critical_points_possible():
    a = nd.architecture_class(mlp(3, 3, 2, 1))
    assert a.widths == [3, 3, 2, 1] and a.ranks == [3, 2, 1] and all(a.full_rank)
    assert a.category == "non-augmented"
    assert a.guarantee.startswith("no critical points")
    assert "Kuehn" in a.reference and a.status == nd.Status.OK and a.equivalent is None


def test_augmented_without_bottleneck_is_generically_morse():
    a = nd.architecture_class(mlp(2, 8, 1))
    assert a.category == "augmented" and "generically Morse" in a.guarantee


def test_bottleneck_forces_degenerate_critical_points():
    a = nd.architecture_class(mlp(3, 2, 5, 1))
    assert a.category == "bottleneck"
    assert "every critical point is degenerate" in a.guarantee and "Hessian rank <= 2 < input width 3" in a.guarantee


def test_linear_maps_without_activation_between_are_composed():
    a = nd.architecture_class(nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 1)).double())
    assert a.widths == [2, 1] and a.category == "non-augmented"


def test_rank_deficient_mlp_equals_its_full_rank_equivalent():
    net = mlp(3, 4, 4, 1)
    with torch.no_grad():  # rank 2 in the hidden layer: W = A B with A (4, 2), B (2, 4)
        gen = torch.Generator().manual_seed(1)
        net[2].weight.copy_(torch.randn(4, 2, generator=gen, dtype=torch.float64)
                            @ torch.randn(2, 4, generator=gen, dtype=torch.float64))
    before = copy.deepcopy(net.state_dict())
    a = nd.architecture_class(net)
    assert a.ranks == [3, 2, 1] and a.full_rank == [True, False, True]
    assert a.category.startswith("degenerate") and a.reduced_widths == [3, 4, 2, 4, 1]
    x = torch.randn(1000, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        assert float((net(x) - a.equivalent(x)).abs().max()) <= 1e-12
    assert a.equivalent_error <= 1e-12
    for layer in a.equivalent:  # every linear map of the equivalent has full rank
        if isinstance(layer, nn.Linear):
            assert int(torch.linalg.matrix_rank(layer.weight.detach())) == min(layer.weight.shape)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # the model is untouched


def test_rank_deficient_first_layer_forces_degenerate_points(line_mlp):
    a = nd.architecture_class(line_mlp)
    assert a.category == "degenerate bottleneck"
    assert "every critical point is degenerate" in a.guarantee and "1-dimensional kernel" in a.guarantee


def test_float32_model_is_read_without_being_changed():
    net = mlp(2, 3, 1, dtype=torch.float32)
    a = nd.architecture_class(net)
    assert a.category == "augmented" and net[0].weight.dtype == torch.float32


def test_neural_ode_classifier_with_and_without_augmentation():
    plain = nd.architecture_class(NeuralODEClassifier(2, 2, augment=0))
    assert plain.kind == "node" and plain.widths == [2, 2, 2] and plain.category == "non-augmented"
    assert plain.guarantee.startswith("no critical points")
    aug = nd.architecture_class(NeuralODEClassifier(2, 2, augment=3))
    assert aug.widths == [2, 5, 2] and aug.category == "augmented" and "generically Morse" in aug.guarantee
    zero = NeuralODEClassifier(2, 2, augment=1)
    with torch.no_grad():
        zero.readout.weight.zero_()
    assert nd.architecture_class(zero).category == "degenerate"


def test_result_serialises_and_reads(tmp_path):
    net = set_weights(mlp(2, 2, 1), ([[1.0, 2.0], [2.0, 4.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0]))
    a = nd.architecture_class(net)
    d = json.loads(json.dumps(a.to_dict()))
    assert d["type"] == "ArchitectureClass" and d["ranks"] == [1, 1] and "Linear" in d["equivalent"]
    assert "full-rank equivalent" in repr(a) and "1*" in repr(a)
    a.save_json(tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["category"] == a.category
