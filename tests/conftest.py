import pytest
import torch


@pytest.fixture(autouse=True)
def _isolate_global_rng():
    """Tests may seed torch's global RNG to build modules; restore it so tests stay independent.
    (That the library itself never touches it is asserted in tests/lyapunov/test_spectrum.py.)"""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)
