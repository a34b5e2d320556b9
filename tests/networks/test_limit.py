"""Finite networks against their graphon limit as N grows."""

import math

import numpy as np
import pytest
import torch

from neurodyn import networks as nw


def _final_state(n, t_end=2.0):
    # Kuramoto on the deterministic sample of the rank-2 graphon W(x, y) = (x + y)/2 = U V^T, node frequencies
    # omega(y) = sin(2 pi y)/2, initial phases x0(y) = y^2: the N-node network is the midpoint-rule (Nystrom)
    # discretisation of dx(t, y)/dt = omega(y) + K int_0^1 W(y, y') sin(x(t, y') - x(t, y)) dy'.
    y = nw.node_positions(n)
    graph = nw.LowRankGraph(torch.stack((y / 2, torch.full_like(y, 0.5)), 1), torch.stack((torch.ones_like(y), y), 1))
    net = nw.kuramoto(graph, 0.5 * torch.sin(2 * math.pi * y), K=1.0)
    return nw.simulate(net, y * y, t_end=t_end, dt=0.01, observe=lambda x: x[..., :1], every=100).final


def test_deterministic_graphon_network_converges_to_its_limit_at_second_order():
    # Reference: N = 3^8 = 6561 nodes; refining by 3 keeps every coarse midpoint (i - 1/2)/N as a fine one, so the
    # coarse states are compared with the reference at the same positions (same RK4 step, so the time error is
    # common). Smooth W, omega and x0: the midpoint rule's error, hence the distance, is O(N^-2); over
    # N = 9 .. 729 (two decades) the fitted rate must be 2 +- 0.1 (measured 1.995) and the distance must fall at
    # every refinement.
    ref = _final_state(3 ** 8)
    sizes = [3 ** k for k in range(2, 7)]
    distances = []
    for n in sizes:
        step = 3 ** 8 // n
        distances.append(float((_final_state(n) - ref[step // 2::step]).abs().max()))
    assert all(b < a for a, b in zip(distances, distances[1:], strict=False))
    rate = -np.polyfit(np.log(sizes), np.log(distances), 1)[0]
    assert abs(rate - 2.0) < 0.1


def test_rate_network_leading_lyapunov_exponent_tends_to_the_limit_stability():
    # dx_i/dt = -x_i + (J/N) sum_j W(y_i, y_j) tanh(x_j): at the equilibrium 0 the Jacobian is -1 + (J/N) A, so the
    # leading Lyapunov exponent there is -1 + J lambda_max(A/N); as N grows this tends to the graphon limit's
    # linear stability -1 + J lambda_max(W) at the midpoint rule's O(N^-2). W = (x + y)/2: lambda_max =
    # 1/4 + 1/(2 sqrt 3), second eigenvalue 1/4 - 1/(2 sqrt 3) < 0, so after the tangent transient (gap 0.87 per
    # unit time, t = 15) the QR exponent equals the eigenvalue up to RK4 and rounding errors.
    import neurodyn as nd

    W = nw.Graphon(lambda x, y: (x + y) / 2)
    J, n = 1.5, 100
    graph = W.sample(n)
    net = nw.rate_network(graph, J=J)
    spec = nd.lyapunov_spectrum(net, k=1, steps=200, dt=0.05, tangent_transient=300,
                                x0=torch.zeros(1, n, dtype=torch.float64), strict=False)
    leading = float(spec.exponents.reshape(-1)[0])
    finite = -1 + J * float(torch.linalg.eigvals(graph.A / n).real.max())
    assert abs(leading - finite) < 1e-8
    limit = -1 + J * W.leading_eigenvalue()
    half = -1 + J * float(torch.linalg.eigvals(W.sample(n // 2).A / (n // 2)).real.max())
    assert abs(finite - limit) < 1e-5  # measured 5.4e-6 at N = 100
    assert (half - limit) / (finite - limit) == pytest.approx(4.0, rel=0.01)  # O(N^-2): halving N quadruples it
