"""Systems written as a user would, with and without their Jacobians, shared by the fast-path tests."""

import torch

import neurodyn as nd


def towel_step(x, u):
    """Rössler's (1979) towel map, a 3-D map with two positive exponents."""
    X, Y, Z = x.unbind(-1)
    s = (Y + 0.35) * (1 - 2 * Z)
    return torch.stack((3.8 * X * (1 - X) - 0.05 * s, 0.1 * (s - 1) * (1 - 1.9 * X), 3.78 * Z * (1 - Z) + 0.2 * Y), -1)


def towel_jacobian(x, u):
    X, Y, Z = x.unbind(-1)
    s = (Y + 0.35) * (1 - 2 * Z)
    zero = torch.zeros_like(X)
    rows = (
        torch.stack((3.8 * (1 - 2 * X), -0.05 * (1 - 2 * Z), 0.1 * (Y + 0.35) + zero), -1),
        torch.stack((-0.19 * (s - 1), 0.1 * (1 - 2 * Z) * (1 - 1.9 * X), -0.2 * (Y + 0.35) * (1 - 1.9 * X)), -1),
        torch.stack((zero, 0.2 + zero, 3.78 * (1 - 2 * Z)), -1),
    )
    return torch.stack(rows, -2)


TOWEL_X0 = torch.tensor([[0.085, -0.121, 0.075]], dtype=torch.float64)


def towel(analytic: bool) -> nd.Map:
    return nd.Map(towel_step, 3, jacobian=towel_jacobian if analytic else None, name="towel")
