"""Small seeded models that the examples, the demo and the tests train on embedded tasks."""

from neurodyn.models.flipflop import FlipFlopRNN, train_flip_flop

__all__ = ["FlipFlopRNN", "train_flip_flop"]
