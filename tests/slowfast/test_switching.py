"""Large-weight limit: switching surfaces and the Filippov sliding field against a closed-form example."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn.results import Status
from neurodyn.slowfast import switching_surfaces


def _system(eps: float) -> nd.Flow:
    # x1' = -x1 - tanh(x1/eps) + 0.5, x2' = -x2 + 0.8 tanh(x1/eps) + 0.3 tanh(x2/eps) + 0.2
    W = torch.eye(2, dtype=torch.float64) / eps
    W_out = torch.tensor([[-1.0, 0.0], [0.8, 0.3]], dtype=torch.float64)
    return nd.tanh_field(W, W_out=W_out, b_out=torch.tensor([0.5, 0.2], dtype=torch.float64), leak=1.0)


def _on_layer(eps: float, x2: torch.Tensor) -> torch.Tensor:
    """States on the smooth system's slow manifold in the layer of x1 = 0: x1 = eps atanh(0.5 - x1)."""
    x1 = torch.zeros_like(x2)
    for _ in range(60):  # a contraction with factor eps / (1 - 0.25)
        x1 = eps * torch.atanh(0.5 - x1)
    return torch.stack((x1, x2), -1)


def test_sliding_on_x1_zero_with_the_exact_filippov_field():
    x2 = torch.linspace(0.1, 2.0, 7, dtype=torch.float64)
    gaps = {}
    for eps in (1e-2, 1e-3):
        res = switching_surfaces(_system(eps), _on_layer(eps, x2))
        assert res.status == Status.OK
        assert res.surfaces == [0] and res.sliding_units == [0] and bool(res.sliding.all())
        # w.f+ = (-1 + 0.5)/eps < 0 < w.f- = (1 + 0.5)/eps: alpha = 1.5 / 2, equivalent sign 2 alpha - 1 = 0.5
        assert torch.allclose(res.alpha, torch.full_like(x2, 0.75), rtol=1e-14)
        exact = torch.stack((torch.zeros_like(x2), 0.8 * 0.5 + 0.3 + 0.2 - x2), -1)
        assert torch.allclose(res.filippov, exact, atol=1e-14)
        gaps[eps] = float((res.field - res.filippov).abs().max())
    # the smooth field on its slow manifold approaches the sliding field like eps: -0.8 x1 = -0.8 eps atanh(~0.5)
    assert gaps[1e-3] < 1e-3 and gaps[1e-2] / gaps[1e-3] == pytest.approx(10, rel=0.05)
    assert gaps[1e-2] == pytest.approx(0.8 * 1e-2 * math.atanh(0.5), rel=0.05)


def test_crossing_surface_intersection_and_far_states():
    eps = 1e-3
    states = torch.tensor([[0.5, 0.0],      # on x2 = 0 with x1 > 0 saturated: both sides push x2 up, it crosses
                           [0.0, 0.0],      # on both surfaces: an intersection, not treated
                           [0.5, 0.5]], dtype=torch.float64)  # on none
    res = switching_surfaces(_system(eps), states)
    assert res.unit.tolist() == [1, -2, -1]
    assert res.sliding.tolist() == [False, False, False]
    assert res.surfaces == [1] and res.sliding_units == []
    assert bool(torch.isnan(res.filippov).all())


def test_none_found_and_unsupported_systems():
    res = switching_surfaces(_system(1e-3), torch.tensor([[0.5, 0.5]], dtype=torch.float64))
    assert res.status == Status.NONE_FOUND
    with pytest.raises(nd.UnsupportedModelError, match="tanh_form"):
        switching_surfaces(nd.davis_skodje(), torch.zeros(1, 2, dtype=torch.float64))
    with pytest.raises(nd.InvalidInputError, match="width"):
        switching_surfaces(_system(1e-3), torch.zeros(1, 2, dtype=torch.float64), width=0.0)
