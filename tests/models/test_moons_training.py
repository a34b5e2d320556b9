"""train_moons_classifier: the model's keywords go to NeuralODEClassifier; unknown ones are refused by name."""

import pytest

import neurodyn as nd
from neurodyn.models import train_moons_classifier


def test_architecture_keywords_reach_the_model_and_unknown_ones_are_named():
    trained = train_moons_classifier(epochs=2, n_train=20, n_test=10, hidden=5, steps=3, method="rk4-3/8")
    model = trained.model
    assert (model.steps, model.method) == (3, "rk4-3/8")
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in nd.models.NeuralODEClassifier(2, 2, hidden=5).parameters())
    with pytest.raises(nd.InvalidInputError, match=r"\['hiden'\].*hidden"):
        train_moons_classifier(hiden=5)
