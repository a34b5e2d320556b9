"""The confining term's zeros outside the widened box are artefacts: they must not keep the wave test from
calling the search saturated."""

import pytest
import torch
from iomaps_nets import mlp

import neurodyn as nd


def test_spurious_zeros_outside_the_box_do_not_make_the_search_look_incomplete():
    # a random 2-8-1 tanh network (first layer scaled by 3) with 3 critical points in [-1, 1]^2; its confined
    # gradient field also has zeros just outside the widened box (where grad f balances the confining term;
    # the network's own gradient is not zero there). With two waves of 32 starts the second wave hits one more
    # of those and nothing new inside: the search is saturated in the domain (it was "may be incomplete").
    net = mlp(2, 8, 1, seed=17)
    with torch.no_grad():
        net[0].weight.mul_(3.0)
    cp = nd.critical_points(net, (-1.0, 1.0), n_starts=32, max_starts=64)
    assert len(cp) == 3 and cp.status == nd.Status.SATURATED
    x = cp.points.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x).sum(), x)
    assert float(torch.linalg.vector_norm(grad, dim=-1).max()) <= 1e-10


def test_count_box_is_checked():
    flow = nd.Flow(lambda t, x: -x, 2, name="linear")
    with pytest.raises(nd.InvalidInputError, match="count_box"):
        nd.find_fixed_points(flow, starts="box", box=(-1.0, 1.0), n_starts=8, count_box=(0.0,))
