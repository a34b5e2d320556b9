"""Computer-assisted proofs: interval backends, rigorous integration, and rigorous equilibria, stability and Hopf
bifurcations."""

from neurodyn.validated.backend import ArbBackend, Backend, FastBackend, get_backend
from neurodyn.validated.balls import Ball
from neurodyn.validated.equilibrium import prove_equilibrium, prove_stability
from neurodyn.validated.flow import FlowEnclosure, FlowSettings, enclose_flow
from neurodyn.validated.ftle_bounds import FTLEBounds, prove_ftle
from neurodyn.validated.gain_study import GainBifurcations, gain_matrix, hopf_first_seed, tanh_gain_bifurcations
from neurodyn.validated.hopf import prove_hopf, prove_hopf_points
from neurodyn.validated.monodromy import modulus_bounds, monodromy_spectrum
from neurodyn.validated.orbit_proof import prove_periodic_orbit
from neurodyn.validated.proof import Proof, Proofs
from neurodyn.validated.showcase import ProvenDynamics, first_loss_hopf, proven_ftle_and_orbit
from neurodyn.validated.taylor import quadratic_field

__all__ = ["ArbBackend", "Backend", "Ball", "FTLEBounds", "FastBackend", "FlowEnclosure", "FlowSettings",
           "GainBifurcations", "Proof", "Proofs", "ProvenDynamics", "enclose_flow", "first_loss_hopf", "gain_matrix",
           "get_backend", "hopf_first_seed", "modulus_bounds", "monodromy_spectrum", "prove_equilibrium", "prove_hopf",
           "prove_hopf_points", "prove_ftle", "prove_periodic_orbit", "prove_stability", "proven_ftle_and_orbit",
           "quadratic_field", "tanh_gain_bifurcations"]
