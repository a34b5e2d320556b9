"""continue_periodic_orbits: steps= (the deprecated name of steps_per_period=) still works, with a warning."""

import pytest
import torch

import neurodyn as nd


def test_deprecated_steps_gives_the_same_branch():
    flow = nd.systems.leaky_rotation(1.0)
    (h,) = nd.find_hopf_points(flow, param="alpha", start=-0.1)
    new = nd.continue_periodic_orbits(flow, h, stop=0.05, step=0.01, max_points=3, steps_per_period=100)
    with pytest.warns(DeprecationWarning, match="steps_per_period="):
        old = nd.continue_periodic_orbits(flow, h, stop=0.05, step=0.01, max_points=3, steps=100)
    assert torch.equal(old.periods, new.periods) and torch.equal(old.x0, new.x0)
    with pytest.raises(nd.InvalidInputError, match="pass steps_per_period= only"):
        nd.continue_periodic_orbits(flow, h, stop=0.05, steps=100, steps_per_period=100)
    with pytest.raises(nd.InvalidInputError, match="stepz"):
        nd.continue_periodic_orbits(flow, h, stop=0.05, stepz=100)
