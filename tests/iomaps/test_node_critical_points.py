import math

import pytest
import torch

import neurodyn as nd
from neurodyn.models.node import NeuralODEClassifier

C = -0.5  # tanh''(C) > 0


def _planted(in_features: int) -> NeuralODEClassifier:
    """Field dz/dt = (0, ..., 0, tanh(x1 + C) + tanh(-x1 + C)) on in_features + 1 dimensions (one augmented):
    the inputs stay put and the augmented coordinate grows by t * g(x1), g(s) = tanh(C + s) + tanh(C - s);
    readout (full rank): logit 0 = augmented coordinate, logit 1 = x1. So f = logit 0 = t g(x1): a critical point where
    x1 = 0 with second derivative t g''(0) = 2 t tanh''(C) (RK schemes integrate this field exactly)."""
    n = in_features + 1
    model = NeuralODEClassifier(in_features, 2, hidden=2, augment=1, t=1.5, steps=4).double()
    W1 = torch.zeros(2, n, dtype=torch.float64)
    W1[0, 0], W1[1, 0] = 1.0, -1.0
    W2 = torch.zeros(n, 2, dtype=torch.float64)
    W2[-1] = 1.0
    R = torch.zeros(2, n, dtype=torch.float64)
    R[0, -1], R[1, 0] = 1.0, 1.0
    with torch.no_grad():
        lin1, lin2 = model.field.net[0], model.field.net[2]
        lin1.weight.copy_(W1)
        lin1.bias.fill_(C)
        lin2.weight.copy_(W2)
        lin2.bias.zero_()
        model.readout.weight.copy_(R)
        model.readout.bias.zero_()
    return model


def test_non_augmented_neural_ode_has_no_critical_points():
    model = NeuralODEClassifier(2, 2, hidden=16, augment=0).double()
    assert nd.architecture_class(model).guarantee.startswith("no critical points")
    for output in (0, [1.0, -1.0]):
        cp = nd.critical_points(model, (-3.0, 3.0), output=output, n_starts=64)
        assert len(cp) == 0 and cp.status == nd.Status.NONE_FOUND


def test_augmented_neural_ode_realises_a_morse_minimum_in_one_dimension():
    model = _planted(1)
    assert nd.architecture_class(model).category == "augmented"
    cp = nd.critical_points(model, (-2.0, 2.0), output=0, n_starts=32)
    assert len(cp) == 1 and abs(float(cp.points[0, 0])) <= 1e-10
    second = 2 * 1.5 * (-2 * math.tanh(C) / math.cosh(C) ** 2)
    assert abs(float(cp.eigenvalues[0, 0]) - second) <= 1e-9
    assert int(cp.morse_index[0]) == 0 and not bool(cp.degenerate[0])
    with torch.no_grad():  # the map analysed is the classifier's own
        assert abs(float(model(cp.points)[0, 0]) - float(cp.values[0])) <= 1e-12


def test_neural_ode_blind_to_an_input_direction_has_degenerate_critical_points():
    model = _planted(2)  # f depends on x1 only: critical on the line x1 = 0, constant along x2
    cp = nd.critical_points(model, (-2.0, 2.0), output=0, n_starts=32)
    assert len(cp) >= 2 and bool(cp.degenerate.all())
    assert float(cp.points[:, 0].abs().max()) <= 1e-10


def test_neural_ode_with_rank_deficient_input_map_has_forced_degenerate_critical_points():
    # input map A x = (x1 + x2, 0) (rank 1) before the planted classifier f = t g(z1): f(x) = t g(x1 + x2) is
    # critical on the line x1 + x2 = 0 and constant along (1, -1): the theorem forces every critical point to be
    # degenerate, with Hessian t g''(0) (1, 1)(1, 1)^T, eigenvalues 0 and 2 t g''(0)
    A = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        A.weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
        A.bias.zero_()
    model = torch.nn.Sequential(A, _planted(2))
    arch = nd.architecture_class(model)
    assert arch.kind == "node" and arch.widths == [2, 3, 2] and arch.ranks == [1, 2]
    assert arch.full_rank == [False, True] and arch.category == "degenerate"
    assert "every critical point is degenerate" in arch.guarantee and "1-dimensional kernel" in arch.guarantee
    cp = nd.critical_points(model, (-2.0, 2.0), output=0, n_starts=32)
    assert len(cp) >= 2 and bool(cp.degenerate.all())
    assert float(cp.points.sum(-1).abs().max()) <= 1e-10
    second = 2 * 1.5 * (-2 * math.tanh(C) / math.cosh(C) ** 2)
    assert torch.allclose(cp.eigenvalues[:, 1], torch.full((len(cp),), 2 * second, dtype=torch.float64), atol=1e-8)
    assert float(cp.eigenvalues[:, 0].abs().max()) <= 1e-10
    with torch.no_grad():  # the map analysed is the model's own
        assert float((model(cp.points)[:, 0] - cp.values).abs().max()) <= 1e-12


def test_full_rank_input_map_keeps_a_plane_neural_ode_free_of_critical_points():
    A = torch.nn.Linear(2, 2).double()
    model = torch.nn.Sequential(A, NeuralODEClassifier(2, 2, hidden=8, augment=0).double())
    arch = nd.architecture_class(model)
    assert arch.category == "non-augmented" and arch.guarantee.startswith("no critical points")
    narrow = torch.nn.Sequential(torch.nn.Linear(3, 2).double(), NeuralODEClassifier(2, 2, augment=1).double())
    assert nd.architecture_class(narrow).category == "degenerate"  # R^3 -> R^2 has a kernel
    with pytest.raises(nd.InvalidInputError, match="takes 2 inputs"):
        nd.architecture_class(torch.nn.Sequential(torch.nn.Linear(2, 3), NeuralODEClassifier(2, 2)))


def test_onto_input_map_with_a_kernel_keeps_a_plane_neural_ode_free_of_critical_points():
    # f(x) = F(A x + a) with A: R^3 -> R^2 onto and F a non-augmented plane classifier: grad f = A^T grad F, A^T
    # injective and grad F != 0 (the flow map is a diffeomorphism), so f has no critical point although A has a
    # kernel (f is constant along it); the search finds none
    model = torch.nn.Sequential(torch.nn.Linear(3, 2).double(), NeuralODEClassifier(2, 2, hidden=8, augment=0).double())
    arch = nd.architecture_class(model)
    assert arch.category == "non-augmented" and arch.guarantee.startswith("no critical points")
    assert arch.ranks == [2, 2] and arch.full_rank == [True, True]
    cp = nd.critical_points(model, (-2.0, 2.0), output=[1.0, -1.0], n_starts=16, max_starts=16)
    assert len(cp) == 0
