"""Flows with known attractors, shared by the attractor tests and the command-line test."""

from __future__ import annotations

import math

import torch
from torch import nn

import neurodyn as nd

OMEGA = 1.5  # angular speed of the planted field: its cycle has period 2 pi / OMEGA


def planted(omega: float = OMEGA) -> nd.Flow:
    """``r' = -r (r^2 - 1)(r^2 - 4) / 4``, ``theta' = omega`` in the (x, y) plane and ``z' = -z``.

    The origin is a stable focus (exponents -1, -1, -1), the circle ``r = 1`` an unstable cycle, and ``r = 2``,
    ``z = 0`` a stable limit cycle of period ``2 pi / omega`` (exponents 0, -1, -6; multipliers ``e^{-T}``,
    ``e^{-6T}``). The basin of the origin is exactly ``x^2 + y^2 < 1``.
    """

    def field(t, x):
        X, Y, Z = x.unbind(-1)
        g = -(X * X + Y * Y - 1) * (X * X + Y * Y - 4) / 4
        return torch.stack((g * X - omega * Y, g * Y + omega * X, -Z), -1)

    def jacobian(t, x):
        X, Y, Z = x.unbind(-1)
        q = X * X + Y * Y
        g, dg = -(q - 1) * (q - 4) / 4, -(2 * q - 5) / 4
        gX, gY = 2 * X * dg, 2 * Y * dg
        zero, one = torch.zeros_like(X), torch.ones_like(X)
        rows = (torch.stack((g + X * gX, X * gY - omega * one, zero), -1),
                torch.stack((Y * gX + omega * one, g + Y * gY, zero), -1),
                torch.stack((zero, zero, -one), -1))
        return torch.stack(rows, -2)

    return nd.Flow(field, 3, jacobian=jacobian, name="planted")


A_LINEAR = torch.tensor([[-1.0, 3.0, 0.0], [-3.0, -1.0, 0.0], [0.0, 0.0, -2.0]], dtype=torch.float64)
C_LINEAR = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)


def linear() -> nd.Flow:
    """``x' = A (x - c)`` with eigenvalues ``-1 +- 3i`` and ``-2``: one stable equilibrium ``c``, exponents
    ``-1, -1, -2``."""

    def field(t, x):
        return (x - C_LINEAR) @ A_LINEAR.T

    def jacobian(t, x):
        return A_LINEAR.expand(*x.shape[:-1], 3, 3)

    return nd.Flow(field, 3, jacobian=jacobian, name="linear")


class TanhCycle(nn.Module):
    """A Linear -> tanh -> Linear neural-ODE field ``dx/dt = W2 tanh(W1 x)`` with planted weights: two hidden units
    with small input weights act as a leak ``-c tanh(x / c) ~ -x``, two as ``M tanh(x)`` with ``M = k R(theta)``, so
    ``x' ~ -x + M tanh(x)``. The origin is an unstable focus (eigenvalues ``-1 + k e^{+-i theta}``), the field
    points inwards far out, and the only equilibrium is the origin: a stable limit cycle surrounds it."""

    def __init__(self, c: float = 10.0, k: float = 2.0, theta: float = math.pi / 4):
        super().__init__()
        self.inp = nn.Linear(2, 4, bias=False)
        self.out = nn.Linear(4, 2, bias=False)
        rot = torch.tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        with torch.no_grad():
            self.inp.weight.copy_(torch.tensor([[1 / c, 0.0], [0.0, 1 / c], [1.0, 0.0], [0.0, 1.0]]))
            self.out.weight.copy_(torch.cat([-c * torch.eye(2), k * rot], 1))

    def forward(self, t, x):
        return self.out(torch.tanh(self.inp(x)))


def tanh_cycle() -> nn.Module:
    """Factory for the command line (``module:factory``)."""
    return TanhCycle()


def torus(omegas: tuple[float, float] = (1.0, math.sqrt(2.0))) -> nd.Flow:
    """Two uncoupled planar oscillators ``r_k' = r_k (1 - r_k^2)``, ``theta_k' = omega_k``: with incommensurate
    frequencies every start off the axes ends on the 2-torus ``r_1 = r_2 = 1``, exponents ``0, 0, -2, -2``."""

    def field(t, x):
        out = []
        for k, w in enumerate(omegas):
            X, Y = x[..., 2 * k], x[..., 2 * k + 1]
            q = 1 - X * X - Y * Y
            out += [q * X - w * Y, q * Y + w * X]
        return torch.stack(out, -1)

    def jacobian(t, x):
        J = x.new_zeros(*x.shape, 4)
        for k, w in enumerate(omegas):
            i = 2 * k
            X, Y = x[..., i], x[..., i + 1]
            q = 1 - X * X - Y * Y
            J[..., i, i], J[..., i, i + 1] = q - 2 * X * X, -2 * X * Y - w
            J[..., i + 1, i], J[..., i + 1, i + 1] = -2 * X * Y + w, q - 2 * Y * Y
        return J

    return nd.Flow(field, 4, jacobian=jacobian, name="torus")


def two_cycles(omega: float = 1.0, k: float = 1 / 60) -> nd.Flow:
    """``r' = -k r (r^2 - 1)(r^2 - 4)(r^2 - 9)``, ``theta' = omega`` in the plane: stable cycles ``r = 1`` (rate
    ``-48 k``) and ``r = 3`` (rate ``-720 k``), an unstable one ``r = 2`` between them, an unstable focus at the
    origin. The basin of ``r = 1`` is exactly ``0 < r < 2``."""

    def field(t, x):
        X, Y = x.unbind(-1)
        q = X * X + Y * Y
        g = -k * (q - 1) * (q - 4) * (q - 9)
        return torch.stack((g * X - omega * Y, g * Y + omega * X), -1)

    def jacobian(t, x):
        X, Y = x.unbind(-1)
        q = X * X + Y * Y
        g = -k * (q - 1) * (q - 4) * (q - 9)
        dg = -k * ((q - 4) * (q - 9) + (q - 1) * (q - 9) + (q - 1) * (q - 4))
        gX, gY = 2 * X * dg, 2 * Y * dg
        rows = (torch.stack((g + X * gX, X * gY - omega), -1), torch.stack((Y * gX + omega, g + Y * gY), -1))
        return torch.stack(rows, -2)

    return nd.Flow(field, 2, jacobian=jacobian, name="two cycles")
