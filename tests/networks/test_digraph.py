"""Digraph measures: samples, the node-slice particle method of the Vlasov limit, the Ott-Antonsen equation on
slices, Wasserstein distances to the limit and the observed rate."""

import math

import numpy as np
import pytest
import torch

import neurodyn as nd
from neurodyn import networks as nw

THIRD = nw.Atom(0.8, lambda x: (x + 1 / 3) % 1)  # node x listens to node x + 1/3 with weight 0.8


def _eta(atom=THIRD):
    # directed density W(x, y) = 0.3 + x (1 - y) (weight of y -> x; not symmetric) plus one sparse link per node
    return nw.DigraphMeasure(lambda x, y: 0.3 + x * (1 - y), (atom,), name="test")


def test_sample_carries_the_atoms_as_sparse_links_of_weight_n_a():
    n = 9
    A = _eta().sample(n).A
    y = nw.node_positions(n)
    density = 0.3 + y[:, None] * (1 - y[None, :])
    links = A - density
    for i in range(n):  # T(y_i) = y_i + 1/3 is the midpoint of node i + 3 (mod 9): weight n a = 7.2
        expected = torch.zeros(n, dtype=torch.float64)
        expected[(i + 3) % n] = 0.8 * n
        assert torch.allclose(links[i], expected, rtol=0, atol=1e-14)
    atoms_only = nw.DigraphMeasure(atoms=(THIRD,)).sample(n)
    assert isinstance(atoms_only, nw.SparseGraph) and atoms_only.edges == n
    # in-degree eta^x([0, 1]) = 0.3 + x/2 + 0.8, and the sample's row sums / n tend to it
    x = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    assert torch.allclose(_eta().in_degree(x), 1.1 + x / 2, rtol=0, atol=1e-14)
    # positions off [0, 1] or not finite are named as such (an atom-only measure took x = 2 silently)
    with pytest.raises(nd.InvalidInputError, match=r"x in \[0, 1\]"):
        nw.DigraphMeasure(atoms=(THIRD,)).in_degree(torch.tensor([0.5, 2.0]))
    with pytest.raises(nd.NonFiniteError, match="node positions"):
        _eta().in_degree(torch.tensor([0.5, float("nan")]))


def test_block_graph_interaction_equals_the_dense_kronecker_product():
    B = _eta().cell_matrix(3)
    g = nw.BlockGraph(B, 4)
    dense = nw.DenseGraph(torch.kron(B, torch.ones(4, 4, dtype=torch.float64)))
    x = torch.randn(2, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for coupling in (nw.sine_coupling(0.4), nw.tanh_coupling()):
        assert torch.allclose(g.interact(coupling, x), dense.interact(coupling, x), rtol=0, atol=1e-12)


def _final_state(n):
    # Kuramoto on the size-n sample, omega(y) = sin(2 pi y)/2, x0(y) = y^2: each node's state is a Dirac mass, so
    # the Vlasov equation reduces to dx(t, y)/dt = omega(y) + K int sin(x(t, y') - x(t, y)) deta^y(y'), and the
    # n-node network is its midpoint discretisation in the node variable (the atom's target is itself a node).
    y = nw.node_positions(n)
    net = nw.kuramoto(_eta().sample(n), 0.5 * torch.sin(2 * math.pi * y), K=1.0)
    return nw.simulate(net, y * y, t_end=1.0, dt=0.02, every=100).final


def test_finite_networks_converge_to_the_vlasov_limit_with_the_observed_rates():
    # Reference N = 3^7; sizes 3 .. 729 (more than two decades), nested midpoints. The state at matching nodes
    # converges at the midpoint rule's O(N^-2) (measured 2.014); the per-slice Wasserstein-1 distance of the
    # empirical phase measures (3 slices) at O(N^-1), the quantisation of the node variable (measured 1.023; t = 1).
    # Tolerance 0.1 on each rate: the reference's own error biases the fit by a few hundredths.
    ref = _final_state(3 ** 7)
    sizes = [3 ** k for k in range(1, 7)]
    sup, w1 = [], []
    for n in sizes:
        x = _final_state(n)
        step = 3 ** 7 // n
        sup.append(float((x - ref[step // 2::step]).abs().max()))
        w1.append(float(nw.slice_wasserstein(x, ref, 3).mean()))
    for distances, rate in ((sup, 2.0), (w1, 1.0)):
        fit = nw.convergence_rate(sizes, distances)
        assert fit.status == "ok" and fit.monotone
        assert abs(fit.rate - rate) < 0.1


def test_particle_method_on_the_digraph_measure_matches_the_ott_antonsen_profile():
    # Lorentzian frequencies (gamma = 1/2), K = 2, atom weight a(x) = 1/2 + x: the Vlasov equation's slices stay
    # on the Ott-Antonsen manifold, so the local order parameters of M = 6 slices of P = 4000 particles each
    # (the P Lorentzian quantiles in every slice, all phases 0 at t = 0, which is on the manifold) must follow
    # dz_m/dt = -gamma z_m + (K/2)(Z_m - conj(Z_m) z_m^2), Z_m = (1/M) sum_l B_ml z_l. At t = 30 the profile
    # |z| runs from 0.72 to 0.86; tolerance 0.01 for the finite-P sampling of the frequencies (measured 2.4e-3).
    eta = _eta(nw.Atom(lambda x: 0.5 + x, lambda x: (x + 1 / 3) % 1))
    m, p, gamma, K = 6, 4000, 0.5, 2.0
    oa = nw.ott_antonsen(gamma, K=K, measure=eta, slices=m)
    s0 = torch.cat((torch.ones(m, dtype=torch.float64), torch.zeros(m, dtype=torch.float64)))
    limit = nw.oa_order_parameter(nw.simulate(oa, s0, t_end=30.0, dt=0.02, every=1500).final)
    net = nw.kuramoto(eta.particle_graph(m, p), nw.Lorentzian(gamma).quantiles(p).repeat(m), K=K)
    x = nw.simulate(net, torch.zeros(m * p, dtype=torch.float64), t_end=30.0, dt=0.02, every=1500).final
    z = torch.polar(torch.ones_like(x), x).reshape(m, p).mean(-1)
    assert float(limit.abs().max() - limit.abs().min()) > 0.1  # a non-trivial profile
    assert float((z - limit).abs().max()) < 0.01


def test_slice_wasserstein_is_the_exact_one_dimensional_formula():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(12, generator=g, dtype=torch.float64), torch.randn(12, generator=g, dtype=torch.float64)
    # equal counts: W1 = mean |sorted a - sorted b| per slice
    exact = (a.reshape(3, 4).sort(-1).values - b.reshape(3, 4).sort(-1).values).abs().mean(-1)
    assert torch.allclose(nw.slice_wasserstein(a, b, 3), exact, rtol=0, atol=1e-15)
    # unequal counts: a point mass at 0 against two at -1 and 1 -> W1 = 1
    assert float(nw.slice_wasserstein(torch.zeros(1), torch.tensor([-1.0, 1.0]), 1)) == pytest.approx(1.0)
    fit = nw.convergence_rate([10, 100], [1.0, 0.01])
    assert fit.rate == pytest.approx(2.0) and fit.status == "too short"  # two points: no rate is trusted
    assert np.isfinite(fit.rate)


def test_bad_digraph_measures_are_refused():
    with pytest.raises(nd.InvalidInputError, match="empty"):
        nw.DigraphMeasure()
    with pytest.raises(nd.InvalidInputError, match="negative"):
        nw.DigraphMeasure(lambda x, y: x - y).sample(5)
    with pytest.raises(nd.NonFiniteError, match="non-finite"):
        nw.DigraphMeasure(lambda x, y: 1 / (x - y)).sample(4)
    with pytest.raises(nd.InvalidInputError, match="outside \\[0, 1\\]"):
        nw.DigraphMeasure(atoms=(nw.Atom(1.0, lambda x: x + 0.5),)).sample(5)
    with pytest.raises(nd.InvalidInputError, match="negative weight"):
        nw.DigraphMeasure(atoms=(nw.Atom(-1.0, lambda x: x),)).sample(5)
    with pytest.raises(nd.InvalidInputError, match="multiple of slices"):
        nw.slice_wasserstein(torch.zeros(10), torch.zeros(9), 3)
    block = _eta().particle_graph(3, 4)
    with pytest.raises(nd.InvalidInputError, match="N = 12"):
        block.interact(nw.sine_coupling(), torch.zeros(10, dtype=torch.float64))
    with pytest.raises(nd.InvalidInputError, match="one value per node"):
        nw.kuramoto(block, torch.zeros(10))
    with pytest.raises(nd.InvalidInputError, match="particles per slice"):
        nw.BlockGraph(torch.ones(2, 2), 0)
    with pytest.raises(nd.InvalidInputError, match="either graphon or measure"):
        nw.ott_antonsen(0.5, graphon=nw.constant_graphon(0.5), measure=_eta(), slices=3)
