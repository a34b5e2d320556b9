"""Systems: the :class:`Map`/:class:`Flow` protocol, PyTorch adapters and reference systems."""

from neurodyn.systems.fields import TanhForm, tanh_family, tanh_field
from neurodyn.systems.protocol import Flow, Map, System
from neurodyn.systems.reference import (
    davis_skodje,
    henon,
    leaky_rotation,
    logistic,
    lorenz,
    planted_tanh,
    random_tanh_family,
    random_tanh_field,
    random_tanh_rnn,
)
from neurodyn.systems.torch_adapters import from_torch, state_from_torch, state_to_torch

__all__ = ["Flow", "Map", "System", "from_torch", "henon", "logistic", "lorenz", "random_tanh_rnn", "state_from_torch",
           "state_to_torch", "TanhForm", "tanh_family", "tanh_field", "davis_skodje", "planted_tanh",
           "leaky_rotation", "random_tanh_family", "random_tanh_field"]
