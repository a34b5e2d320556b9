"""Interaction sums: every graph representation and the order-parameter path give the same field."""

import math

import pytest
import torch

import neurodyn as nd
from neurodyn import networks as nw


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def low_rank():
    g = _gen(1)
    U = torch.rand(60, 3, generator=g, dtype=torch.float64)
    V = torch.rand(60, 3, generator=g, dtype=torch.float64)
    return U, V


def _graphs(U, V):
    A = U @ V.T
    return {"dense": nw.DenseGraph(A), "sparse_coo": nw.SparseGraph(A.to_sparse_coo()),
            "sparse_csr": nw.SparseGraph(A.to_sparse_csr()), "from_dense": nw.SparseGraph.from_dense(A),
            "low_rank": nw.LowRankGraph(U, V)}


@pytest.mark.parametrize("alpha", [0.0, 0.4])
def test_kuramoto_field_agrees_across_representations(low_rank, alpha):
    U, V = low_rank
    A = U @ V.T
    omega = torch.randn(60, generator=_gen(2), dtype=torch.float64)
    x = 2 * math.pi * torch.rand(3, 60, generator=_gen(3), dtype=torch.float64)
    # direct double sum, the definition
    direct = omega + 1.7 / 60 * (A * torch.sin(x.unsqueeze(-2) - x.unsqueeze(-1) - alpha)).sum(-1)
    for name, graph in _graphs(U, V).items():
        field = nw.kuramoto(graph, omega, K=1.7, alpha=alpha).field(0.0, x)
        assert torch.allclose(field, direct, rtol=0, atol=1e-12), name


def test_rate_field_agrees_across_representations(low_rank):
    U, V = low_rank
    A = U @ V.T
    inputs = torch.randn(60, generator=_gen(4), dtype=torch.float64)
    x = torch.randn(2, 5, 60, generator=_gen(5), dtype=torch.float64)
    direct = -x + torch.tanh(x) @ A.T / 60 + inputs
    for name, graph in _graphs(U, V).items():
        assert torch.allclose(nw.rate_network(graph, inputs).field(0.0, x), direct, rtol=0, atol=1e-12), name


def test_all_to_all_order_parameter_path_agrees_with_dense_sparse_low_rank():
    n = 500
    omega = torch.randn(n, generator=_gen(6), dtype=torch.float64)
    x = 2 * math.pi * torch.rand(4, n, generator=_gen(7), dtype=torch.float64)
    ones = torch.ones(n, n, dtype=torch.float64)
    Z = nw.order_parameter(x).unsqueeze(-1)
    by_z = omega + 2.0 * torch.imag(torch.exp(-1j * (x + 0.3)) * Z)  # (K/N) N Im(e^{-i(x+alpha)} Z)
    graphs = [nw.CompleteGraph(n), nw.DenseGraph(ones), nw.SparseGraph.from_dense(ones),
              nw.LowRankGraph(torch.ones(n, 1, dtype=torch.float64), torch.ones(n, 1, dtype=torch.float64))]
    for graph in graphs:
        field = nw.kuramoto(graph, omega, K=2.0, alpha=0.3).field(0.0, x)
        assert torch.allclose(field, by_z, rtol=0, atol=1e-12), type(graph).__name__


def test_general_pair_coupling_dense_equals_sparse_on_edges():
    g = _gen(8)
    A = (torch.rand(80, 80, generator=g, dtype=torch.float64) < 0.1).to(torch.float64)
    A = A * torch.rand(80, 80, generator=g, dtype=torch.float64)
    x = torch.randn(2, 80, generator=g, dtype=torch.float64)

    def g2(xi, xj):  # a non-separable coupling (second harmonic of the difference, times a state factor)
        return torch.sin(xj - xi) + 0.3 * torch.cos(2 * (xj - xi)) * torch.exp(-xi * xi)

    direct = (A * g2(x.unsqueeze(-1), x.unsqueeze(-2))).sum(-1)
    for graph in (nw.DenseGraph(A), nw.SparseGraph.from_dense(A)):
        net = nw.ParticleNetwork(lambda x, om, p: torch.zeros_like(x), g2, graph)
        assert torch.allclose(net.field(0.0, x), direct / 80, rtol=0, atol=1e-12)
    assert nw.SparseGraph.from_dense(A).edges == int((A != 0).sum())


def test_local_order_parameter_is_the_neighbourhood_mean():
    g = _gen(9)
    A = torch.rand(40, 40, generator=g, dtype=torch.float64)
    x = torch.randn(40, generator=g, dtype=torch.float64)
    direct = (A * torch.exp(1j * x)).sum(-1) / 40
    for graph in (nw.DenseGraph(A), nw.SparseGraph.from_dense(A)):
        assert torch.allclose(nw.local_order_parameter(graph, x), direct, rtol=0, atol=1e-13)
    # all-to-all: every local order parameter is the global one
    assert torch.allclose(nw.local_order_parameter(nw.CompleteGraph(40), x),
                          nw.order_parameter(x).expand(40), rtol=0, atol=1e-14)


def test_particle_network_is_a_flow_the_lyapunov_spectrum_accepts():
    # identical oscillators, all-to-all: the synchronous state has Jacobian -(K/N)(N I - 1 1^T), whose
    # eigenvalues are 0 (the phase shift) and -K (N - 1 times): the Lyapunov spectrum there. J is symmetric and
    # constant along the rotating state, so once the tangent transient has aligned the frame's first vector with
    # (1, ..., 1) (error ~ e^{-K t}, t = 15) the QR exponents are exact up to RK4 and rounding errors.
    n, K = 5, 1.5
    net = nw.kuramoto(nw.CompleteGraph(n), torch.ones(n, dtype=torch.float64), K=K)
    assert isinstance(net, nd.Flow) and net.dim == n
    x0 = torch.full((1, n), 0.3, dtype=torch.float64)
    spec = nd.lyapunov_spectrum(net, steps=400, dt=0.05, tangent_transient=300, x0=x0, strict=False)
    expected = torch.tensor([0.0] + [-K] * (n - 1), dtype=torch.float64)
    assert torch.allclose(spec.exponents.reshape(-1, n)[0], expected, atol=1e-6)


def test_user_separable_coupling_matches_the_sine_coupling():
    # the generic separable path with sin(x_j - x_i - a) = sin x_j cos(x_i + a) - cos x_j sin(x_i + a)
    a = 0.7
    generic = nw.SeparableCoupling(lambda x: torch.stack((torch.cos(x + a), -torch.sin(x + a)), -1),
                                   lambda x: torch.stack((torch.sin(x), torch.cos(x)), -1))
    A = torch.rand(30, 30, generator=_gen(10), dtype=torch.float64)
    x = torch.randn(2, 30, generator=_gen(11), dtype=torch.float64)
    for graph in (nw.DenseGraph(A), nw.SparseGraph.from_dense(A), nw.CompleteGraph(30)):
        assert torch.allclose(graph.interact(generic, x), graph.interact(nw.sine_coupling(a), x), rtol=0, atol=1e-12)
