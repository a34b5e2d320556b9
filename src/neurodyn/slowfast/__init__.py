"""Time-scale separation of flows: time scales along states, slow/fast coordinates, the slow manifold, the
reduced slow system and its error, what may be frozen or averaged on a time scale, and the switching surfaces of
the large-weight limit."""

from neurodyn.slowfast.decision import TimeScaleDecision, decide
from neurodyn.slowfast.error import ReductionError, reduction_error
from neurodyn.slowfast.scales import TimeScales, time_scales
from neurodyn.slowfast.split import SlowFastSplit, slow_fast
from neurodyn.slowfast.switching import SwitchingSurfaces, switching_surfaces

__all__ = ["ReductionError", "SlowFastSplit", "SwitchingSurfaces", "TimeScaleDecision", "TimeScales",
           "decide", "reduction_error", "slow_fast", "switching_surfaces", "time_scales"]
