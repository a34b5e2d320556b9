"""Delay differential equations: the :class:`DelayFlow` system kind, the method-of-steps integrator,
Lyapunov spectra on the discretised history, equilibria and their characteristic roots, memory capacity."""

from neurodyn.delay.experiment import MemorySweep, SweepSettings, memory_sweep
from neurodyn.delay.memory import MemoryCapacity, NeuralDDE, lipschitz_bound, memory_capacity
from neurodyn.delay.solve import DelaySolution, solve_dde
from neurodyn.delay.stability import CharacteristicRoots, DelayEquilibria, characteristic_roots, delay_equilibria
from neurodyn.delay.system import DelayFlow

__all__ = [
    "CharacteristicRoots", "DelayEquilibria", "DelayFlow", "DelaySolution", "MemoryCapacity", "MemorySweep",
    "NeuralDDE", "SweepSettings", "characteristic_roots", "delay_equilibria", "lipschitz_bound", "memory_capacity",
    "memory_sweep", "solve_dde",
]
