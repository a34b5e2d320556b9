"""Property: a step or field function that returns the wrong thing (wrong shape, dtype, NaN/inf, numpy, a
scalar, nothing) makes every analysis raise a NeurodynError before it runs; it never yields a result."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neurodyn as nd

N = 2


def _bad_output(kind: str, x: torch.Tensor, extra: int):
    """What a broken user function returns for states ``x: (..., N)``."""
    if kind == "wider":
        return torch.cat([x] * (extra + 1), dim=-1)  # (..., N * (extra + 1))
    if kind == "narrower":
        return x[..., :1]
    if kind == "extra_dim":
        return x.unsqueeze(0).expand(extra + 1, *x.shape)
    if kind == "flattened":
        return x.reshape(-1)
    if kind == "float32":
        return x.float()
    if kind == "int64":
        return x.long()
    if kind == "nan":
        return x + float("nan")
    if kind == "inf":
        out = x.clone()
        out[..., -1] = float("inf") if extra % 2 else -float("inf")
        return out
    if kind == "numpy":
        return np.asarray(x.detach())
    if kind == "scalar":
        return 0.5
    if kind == "constant":
        return torch.tensor(1.0, dtype=x.dtype)
    return None  # "none"


KINDS = ["wider", "narrower", "extra_dim", "flattened", "float32", "int64", "nan", "inf", "numpy", "scalar",
         "constant", "none"]


def _map(kind, extra):
    return nd.Map(lambda x, u: _bad_output(kind, x, extra), N, name=f"broken-{kind}")


def _flow(kind, extra, *, params=False):
    if params:
        return nd.Flow(lambda t, x, p: _bad_output(kind, x, extra), N, params={"a": 0.0}, name=f"broken-{kind}")
    return nd.Flow(lambda t, x: _bad_output(kind, x, extra), N, name=f"broken-{kind}")


class _Module(torch.nn.Module):
    """A user's vector-field module ``forward(t, x)`` whose output is broken in the given way."""

    def __init__(self, kind, extra):
        super().__init__()
        self.kind, self.extra = kind, extra
        self.dim = N

    def forward(self, t, x):
        return _bad_output(self.kind, x, self.extra)


PTS = torch.full((3, N), 0.25, dtype=torch.float64)
DRIVERS = {
    "lyapunov_spectrum(map)": lambda k, e: nd.lyapunov_spectrum(_map(k, e), steps=20),
    "lyapunov_spectrum(flow)": lambda k, e: nd.lyapunov_spectrum(_flow(k, e), steps=20, dt=0.1),
    "max_lyapunov(map)": lambda k, e: nd.max_lyapunov(_map(k, e), steps=20),
    "max_lyapunov(flow)": lambda k, e: nd.max_lyapunov(_flow(k, e), steps=20, dt=0.1),
    "ftle(map)": lambda k, e: nd.ftle(_map(k, e), PTS, steps=3),
    "ftle(flow)": lambda k, e: nd.ftle(_flow(k, e), PTS, t=0.3, dt=0.1),
    "find_fixed_points(map)": lambda k, e: nd.find_fixed_points(_map(k, e), n_starts=8),
    "find_fixed_points(flow)": lambda k, e: nd.find_fixed_points(_flow(k, e), n_starts=8),
    "continue_equilibria": lambda k, e: nd.continue_equilibria(_flow(k, e, params=True), param="a", start=0.0,
                                                               stop=0.1, max_points=5),
    "find_hopf_points": lambda k, e: nd.find_hopf_points(_flow(k, e, params=True), param="a", start=0.0),
    "time_scales": lambda k, e: nd.time_scales(_flow(k, e), PTS),
    "slow_fast": lambda k, e: nd.slow_fast(_flow(k, e), PTS),
    "lyapunov_spectrum(module)": lambda k, e: nd.lyapunov_spectrum(nd.from_torch(_Module(k, e)), steps=20, dt=0.1),
}
@pytest.mark.parametrize("driver", list(DRIVERS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), extra=st.integers(min_value=1, max_value=3))
def test_a_broken_function_never_yields_a_result(driver, kind, extra):
    with pytest.raises(nd.NeurodynError):
        DRIVERS[driver](kind, extra)


# (from_torch checks a module's output when it builds the system, with its own message naming the module)
@pytest.mark.parametrize("driver", [d for d in DRIVERS if "module" not in d])
def test_the_error_names_the_function(driver):
    with pytest.raises(nd.InvalidInputError, match="function of 'broken-wider'.*returned shape"):
        DRIVERS[driver]("wider", 1)
