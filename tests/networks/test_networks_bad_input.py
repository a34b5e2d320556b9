"""Bad input gives a NeurodynError that names the object and what to do."""

import pytest
import torch

import neurodyn as nd
from neurodyn import networks as nw


def test_state_size_must_match_the_graph():
    net = nw.kuramoto(nw.CompleteGraph(10), torch.zeros(10, dtype=torch.float64))
    with pytest.raises(nd.InvalidInputError, match="N = 10"):
        net.field(0.0, torch.zeros(3, 11, dtype=torch.float64))
    with pytest.raises(nd.InvalidInputError):
        nw.simulate(net, torch.zeros(11, dtype=torch.float64), t_end=1.0, dt=0.1)
    with pytest.raises(nd.InvalidInputError, match="one value per node"):
        nw.kuramoto(nw.DenseGraph(torch.ones(4, 4)), torch.zeros(5))


def test_non_finite_weights_are_refused():
    A = torch.ones(4, 4, dtype=torch.float64)
    A[1, 2] = float("nan")
    with pytest.raises(nd.NonFiniteError, match="adjacency"):
        nw.DenseGraph(A)
    bad = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), torch.tensor([1.0, float("inf")]), (2, 2),
                                  check_invariants=True)
    with pytest.raises(nd.NonFiniteError, match="sparse adjacency"):
        nw.SparseGraph(bad)
    with pytest.raises(nd.InvalidInputError, match="square"):
        nw.DenseGraph(torch.ones(3, 4))
    with pytest.raises(nd.InvalidInputError, match="torch.sparse"):
        nw.SparseGraph(torch.ones(3, 3))


def test_negative_or_non_probability_graphon_values_are_refused_where_forbidden():
    signed = nw.Graphon(lambda x, y: x - y, name="x - y")
    with pytest.raises(nd.InvalidInputError, match="outside \\[0, 1\\]"):
        signed.sample(20, random=True, generator=torch.Generator().manual_seed(0))
    with pytest.raises(nd.InvalidInputError, match="negative"):
        signed.leading_eigenvalue()
    with pytest.raises(nd.InvalidInputError, match="not symmetric"):
        nw.Graphon(lambda x, y: x * x * y).leading_eigenvalue()
    with pytest.raises(nd.InvalidInputError, match="generator"):
        nw.constant_graphon(0.5).sample(20, random=True)
    assert isinstance(signed.sample(20), nw.DenseGraph)  # a signed weighted graph itself is allowed


def test_graphon_with_non_finite_values_is_refused():
    singular = nw.Graphon(lambda x, y: 1.0 / (x - y), name="1/(x-y)")
    with pytest.raises(nd.NonFiniteError, match="1/\\(x-y\\)"):
        singular.sample(10)
    with pytest.raises(nd.NonFiniteError):
        nw.critical_coupling(nw.Lorentzian(1.0), graphon=nw.Graphon(lambda x, y: torch.log(x * 0 + y - y)))


def test_frequency_law_without_density_has_no_critical_coupling():
    with pytest.raises(nd.InvalidInputError, match="no density"):
        nw.critical_coupling(nw.EmpiricalFrequencies(torch.tensor([-1.0, 0.0, 1.0])))
    with pytest.raises(nd.InvalidInputError, match="gamma"):
        nw.Lorentzian(0.0)


def test_non_separable_coupling_on_low_rank_graph_is_unsupported():
    graph = nw.LowRankGraph(torch.ones(5, 1), torch.ones(5, 1))
    net = nw.ParticleNetwork(lambda x, om, p: x * 0, lambda xi, xj: torch.sin(xj - xi), graph)
    with pytest.raises(nd.UnsupportedModelError, match="SeparableCoupling"):
        net.field(0.0, torch.zeros(5, dtype=torch.float64))


def test_scale_must_name_a_parameter():
    with pytest.raises(nd.InvalidInputError, match="scale"):
        nw.ParticleNetwork(lambda x, om, p: x, nw.tanh_coupling(), nw.CompleteGraph(3), scale="J")


def test_run_settings_are_checked():
    net = nw.kuramoto(nw.CompleteGraph(4), torch.zeros(4, dtype=torch.float64))
    with pytest.raises(nd.InvalidInputError, match="whole number of steps"):
        nw.simulate(net, torch.zeros(4, dtype=torch.float64), t_end=1.05, dt=0.1)
    with pytest.raises(nd.InvalidInputError, match="x0 has shape"):
        nw.sweep_coupling(net, [1.0, 2.0], torch.zeros(2, 4), t_end=1.0, dt=0.1, average_from=0.5)
    with pytest.raises(nd.InvalidInputError, match="elementwise"):
        nw.Graphon(lambda x, y: torch.ones(3, 3)).sample(5)
