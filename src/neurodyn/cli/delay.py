"""Delay systems for the analysis commands: the reference ``mackey-glass`` and user modules with
``forward(t, x, x_tau)`` (their delay read from an attribute ``tau`` or ``delays``)."""

from __future__ import annotations

import inspect

from neurodyn.delay.system import DelayFlow, takes_t_x_xtau
from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.systems.reference import mackey_glass

DELAY_REFERENCES = {"mackey-glass": mackey_glass, "mackey_glass": mackey_glass}


def reference_runs(tau: float) -> dict:
    """Lyapunov run defaults for a delay system: about one node per time unit (``dt`` dividing ``tau``), 3000 time
    units measured after 500 of transient and frame alignment, 8 histories."""
    dt = tau / max(1, round(tau))
    return dict(dt=dt, steps=round(3000 / dt), transient=round(300 / dt), tangent_transient=round(200 / dt), batch=8)


def delay_system(system: str, weights, params: dict) -> tuple[DelayFlow, dict] | None:
    """``(DelayFlow, run defaults)`` when ``system`` names a delay system, else ``None`` (not a delay system; a
    model spec is then built a second time by the caller's ``build_system``). User modules: ``dt = tau / 20``,
    2000 measured steps."""
    if system in DELAY_REFERENCES:
        if weights is not None:
            raise InvalidInputError(f"--weights applies to a user's model, not to the reference system {system!r}")
        factory = DELAY_REFERENCES[system]
        unknown = set(params) - set(inspect.signature(factory).parameters)
        if unknown:
            raise InvalidInputError(f"{system} has no parameter(s) {sorted(unknown)}; it takes "
                                    f"{sorted(inspect.signature(factory).parameters)}")
        flow = factory(**params)
        return flow, reference_runs(flow.tau_max)
    if ":" not in system:
        return None
    from neurodyn.io import load_model

    model = load_model(system, weights)
    if not takes_t_x_xtau(model):
        return None
    delays = getattr(model, "delays", getattr(model, "tau", None))
    if delays is None:
        raise UnsupportedModelError(f"{system}: a delay module (forward(t, x, x_tau)) must say its delay in an "
                                    "attribute tau (or delays, a list)")
    if params:
        raise InvalidInputError("--param applies to reference systems only")
    flow = DelayFlow.from_module(model, delays, name=system)
    return flow, dict(dt=flow.tau_max / 20, steps=2000, transient=200, tangent_transient=200, batch=8)
