"""The seeded reference families the CLI builds through systems/: their matrices and Hopf structure."""

import math

import torch

import neurodyn as nd


def test_random_tanh_family_and_field_draw_their_matrices_from_the_seed():
    A = torch.randn(5, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64) / math.sqrt(5)
    fam = nd.systems.random_tanh_family(5, seed=4)
    assert torch.equal(fam.tanh_form.W, A)
    gen = torch.Generator().manual_seed(4)
    W = 1.5 * torch.randn(5, 5, generator=gen, dtype=torch.float64) / math.sqrt(5)
    b = 0.2 * torch.randn(5, generator=gen, dtype=torch.float64)
    field = nd.systems.random_tanh_field(5, gain=1.5, bias=0.2, seed=4)
    x = torch.randn(3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(field.f(x, 0.0), -x + torch.tanh(x @ W.T + b), rtol=0, atol=1e-15)


def test_leaky_rotation_has_its_hopf_point_at_zero():
    hopf = nd.find_hopf_points(nd.systems.leaky_rotation(2.0), param="alpha", start=0.3)
    assert len(hopf) == 1
    assert abs(hopf[0].value) < 1e-10 and abs(hopf[0].omega - 2.0) < 1e-10
