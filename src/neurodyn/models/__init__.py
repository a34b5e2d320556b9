"""Small seeded models that the examples, the demo and the tests train on embedded tasks."""

from neurodyn.models.flipflop import FlipFlopRNN, train_flip_flop
from neurodyn.models.flipflop_study import FlipFlopStudy, flip_flop_study
from neurodyn.models.mlp import digits_mlp
from neurodyn.models.node import NeuralODEClassifier, ODEField, TrainedClassifier, train_moons_classifier

__all__ = [
    "FlipFlopRNN",
    "FlipFlopStudy",
    "NeuralODEClassifier",
    "ODEField",
    "TrainedClassifier",
    "digits_mlp",
    "flip_flop_study",
    "train_flip_flop",
    "train_moons_classifier",
]
