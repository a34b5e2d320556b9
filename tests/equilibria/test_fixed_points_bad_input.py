"""Bad input to find_fixed_points: one clear NeurodynError naming the object."""

import pytest
import torch

import neurodyn
from neurodyn import InvalidInputError, NonFiniteError, UnsupportedModelError, find_fixed_points


def test_unsupported_system():
    with pytest.raises(UnsupportedModelError, match="expected a neurodyn Map or Flow"):
        find_fixed_points(lambda x: x)
    with pytest.raises(UnsupportedModelError):
        find_fixed_points(torch.nn.Linear(3, 3))


def test_starts_of_the_wrong_shape():
    with pytest.raises(InvalidInputError, match="starts has shape"):
        find_fixed_points(neurodyn.henon(), starts=torch.zeros(4, 3))
    with pytest.raises(InvalidInputError, match="starts must be one of"):
        find_fixed_points(neurodyn.henon(), starts="everywhere")


def test_non_finite_starts():
    with pytest.raises(NonFiniteError, match="starts"):
        find_fixed_points(neurodyn.henon(), starts=torch.tensor([[float("nan"), 0.0]]))


def test_inputs_and_u_star_checked():
    gru = neurodyn.from_torch(torch.nn.GRU(2, 4))
    with pytest.raises(InvalidInputError, match="u_star has shape"):
        find_fixed_points(gru, u_star=torch.zeros(3))
    with pytest.raises(InvalidInputError, match="inputs has shape"):
        find_fixed_points(gru, inputs=torch.zeros(4, 10, 3))
    with pytest.raises(InvalidInputError, match="takes no input"):
        find_fixed_points(neurodyn.henon(), u_star=torch.zeros(1))


def test_bad_settings():
    with pytest.raises(InvalidInputError, match="tol"):
        find_fixed_points(neurodyn.henon(), tol=-1)
    with pytest.raises(InvalidInputError, match="box"):
        find_fixed_points(neurodyn.henon(), starts="box", box=(1.0, -1.0))
    with pytest.raises(InvalidInputError, match="no parameter"):
        find_fixed_points(neurodyn.henon(), params={"c": 1.0})


def test_escaping_flow_is_a_clear_error():
    flow = neurodyn.Flow(lambda t, x: x * x, 1, name="blow-up")
    with pytest.raises(neurodyn.DivergenceError, match="blow-up"):
        find_fixed_points(flow, dt=1.0)


def test_more_bad_arguments():
    gru = torch.nn.GRU(3, 4)
    with pytest.raises(InvalidInputError, match="at least one step"):
        find_fixed_points(gru, inputs=torch.zeros(2, 0, 3))
    with pytest.raises(InvalidInputError, match="box must be a pair"):
        find_fixed_points(neurodyn.lorenz(), starts="box", box=(torch.zeros(2), torch.ones(2)))
    with pytest.raises(InvalidInputError, match="seed"):
        find_fixed_points(neurodyn.henon(), seed=None)
    with pytest.raises(InvalidInputError, match="eig_tol"):
        find_fixed_points(neurodyn.henon(), eig_tol=-1.0)
    with pytest.raises(InvalidInputError, match="dt applies to flows"):
        find_fixed_points(neurodyn.henon(), dt=0.1)


def test_unknown_settings_are_named_and_a_settings_object_is_the_same_as_keywords():
    with pytest.raises(InvalidInputError, match=r"unknown argument\(s\) \['n_start'\]"):
        find_fixed_points(neurodyn.henon(), n_start=16)
    with pytest.raises(InvalidInputError, match="settings must be a SearchSettings"):
        find_fixed_points(neurodyn.henon(), settings={"n_starts": 16})
    with pytest.raises(InvalidInputError, match="patience"):
        find_fixed_points(neurodyn.henon(), patience=0)
    settings = neurodyn.equilibria.SearchSettings(n_starts=16, seed=3)
    a = find_fixed_points(neurodyn.henon(), settings=settings)
    b = find_fixed_points(neurodyn.henon(), n_starts=16, seed=3)
    c = find_fixed_points(neurodyn.henon(), settings=settings, seed=4)  # keywords replace the object's fields
    assert torch.equal(a.points, b.points) and a.settings == b.settings
    assert c.settings["seed"] == 4 and a.settings["seed"] == 3
