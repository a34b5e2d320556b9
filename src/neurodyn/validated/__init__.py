"""Computer-assisted proofs: interval backends and rigorous equilibria, stability and Hopf bifurcations."""

from neurodyn.validated.backend import ArbBackend, Backend, FastBackend, get_backend
from neurodyn.validated.balls import Ball
from neurodyn.validated.equilibrium import prove_equilibrium, prove_stability
from neurodyn.validated.gain_study import GainBifurcations, tanh_gain_bifurcations
from neurodyn.validated.hopf import prove_hopf, prove_hopf_points
from neurodyn.validated.proof import Proof, Proofs

__all__ = ["ArbBackend", "Backend", "Ball", "FastBackend", "GainBifurcations", "Proof", "Proofs", "get_backend",
           "prove_equilibrium", "prove_hopf", "prove_hopf_points", "prove_stability", "tanh_gain_bifurcations"]
