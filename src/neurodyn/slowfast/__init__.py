"""Time-scale separation of flows: time scales along states, slow/fast coordinates, the slow manifold, the
reduced slow system and its error, what may be frozen or averaged on a time scale, and the switching surfaces of
the large-weight limit."""

from neurodyn.slowfast.error import ReductionError, reduction_error
from neurodyn.slowfast.newton import NewtonOutcome, damped_newton
from neurodyn.slowfast.scales import TimeScales, time_scales
from neurodyn.slowfast.split import SlowFastSplit, slow_fast

__all__ = ["NewtonOutcome", "ReductionError", "SlowFastSplit", "TimeScales", "damped_newton", "reduction_error",
           "slow_fast", "time_scales"]
