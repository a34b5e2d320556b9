"""Networks of oscillators and neurons on graphs and graphons, and their mean-field limits.

``ParticleNetwork`` (a :class:`~neurodyn.Flow`) with dense, sparse, low-rank, all-to-all, graphon-sampled or
digraph-measure-sampled graphs (directed, with sparse links), and the node-slice particle graph of the Vlasov
limit; the Kuramoto and rate-neuron models; order parameters; the Ott–Antonsen reduction (all-to-all and on
graphon or digraph-measure node slices); Wasserstein distances to the limit and the observed convergence rate;
the critical coupling from the graphon operator's leading eigenvalue and by a sweep.
"""

from neurodyn.networks.coupling import (
    PairCoupling,
    SeparableCoupling,
    SineCoupling,
    sine_coupling,
    tanh_coupling,
)
from neurodyn.networks.digraph import Atom, DigraphMeasure
from neurodyn.networks.frequencies import Bimodal, EmpiricalFrequencies, Gaussian, Lorentzian
from neurodyn.networks.graphon import Graphon, constant_graphon, node_positions
from neurodyn.networks.graphs import BlockGraph, CompleteGraph, DenseGraph, LowRankGraph, SparseGraph
from neurodyn.networks.limit import ConvergenceRate, convergence_rate, slice_wasserstein
from neurodyn.networks.ott_antonsen import critical_coupling, oa_order_parameter, oa_stationary_r, ott_antonsen
from neurodyn.networks.particles import ParticleNetwork, kuramoto, rate_network
from neurodyn.networks.phasors import simulate_phasors
from neurodyn.networks.simulate import Trajectory, local_order_parameter, order_parameter, order_parameter_r, simulate
from neurodyn.networks.study import (
    KuramotoConfig,
    build_kuramoto,
    initial_phases,
    kuramoto_grid,
    measure_kuramoto,
    sweep_kuramoto,
)
from neurodyn.networks.sweep import CouplingSweep, sweep_coupling
from neurodyn.networks.synchrony import SyncSettings, SyncSweep, synchrony_sweep

__all__ = [
    "Atom",
    "Bimodal",
    "BlockGraph",
    "ConvergenceRate",
    "DigraphMeasure",
    "convergence_rate",
    "slice_wasserstein",
    "CompleteGraph",
    "CouplingSweep",
    "DenseGraph",
    "EmpiricalFrequencies",
    "Gaussian",
    "Graphon",
    "LowRankGraph",
    "KuramotoConfig",
    "Lorentzian",
    "PairCoupling",
    "ParticleNetwork",
    "SeparableCoupling",
    "SineCoupling",
    "SparseGraph",
    "SyncSettings",
    "SyncSweep",
    "Trajectory",
    "build_kuramoto",
    "constant_graphon",
    "critical_coupling",
    "initial_phases",
    "kuramoto",
    "kuramoto_grid",
    "local_order_parameter",
    "measure_kuramoto",
    "node_positions",
    "oa_order_parameter",
    "oa_stationary_r",
    "order_parameter",
    "order_parameter_r",
    "ott_antonsen",
    "rate_network",
    "simulate",
    "simulate_phasors",
    "sine_coupling",
    "sweep_coupling",
    "sweep_kuramoto",
    "synchrony_sweep",
    "tanh_coupling",
]
