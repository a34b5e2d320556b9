"""Lyapunov spectra of delay systems on the discretised history (the plan for the shared QR loop).

The state of a delay equation is the history segment ``x|[t - tau_max, t]``; discretised at the integrator's
nodes it is the window of :mod:`neurodyn.delay.scheme`: values and slopes at the ``N + 1`` nodes, a vector of
``D = 2 (N + 1) n`` numbers (the cubic Hermite representation of the segment). One step of the method of
steps is a map ``z -> step(z)`` on these vectors; its tangent map pushes a frame ``Q: (B, D, k)`` through the
same scheme linearised (the field's Jacobians at every stage, the ``k`` columns as an extra batch dimension),
so the exponents of this map are those of the delay equation up to the discretisation error, which vanishes
as ``dt -> 0`` (Farmer 1982, Physica D 4, 366, measured Mackey–Glass this way; Breda & Van Vleck 2014,
Numer. Math. 126, 225, for the convergence of the discretised exponents).

:func:`plan_delay_run` builds the same :class:`~neurodyn.lyapunov.plan.RunPlan` that maps and flows get, so the
QR loop, its collapse guard, the standard errors, the drift test and the status are the ones of
:func:`neurodyn.lyapunov_spectrum` (which dispatches here for a :class:`~neurodyn.DelayFlow`).
"""

from __future__ import annotations

import torch

from neurodyn._checks import positive_int
from neurodyn._resources import GIB, available_bytes
from neurodyn.delay.scheme import DelayScheme, make_scheme
from neurodyn.delay.solve import initial_window
from neurodyn.delay.system import DelayFlow
from neurodyn.errors import InvalidInputError
from neurodyn.integrate.compiled import compile_quietly
from neurodyn.lyapunov.plan import RunOptions, RunPlan, _units


class DelayStepper:
    """``advance(z, Q, i)`` for the QR loop: step ``i`` of the flattened window ``z: (B, D)`` and of the tangent
    frame ``Q: (B, D, k)`` (``None``: the state alone). State and frame advance as the columns of one window
    (:meth:`DelayScheme.advance`).

    ``compile=True`` runs the step of state and frame through ``torch.compile`` (fixed shapes; the state alone, a
    short transient, stays eager): the first call compiles (seconds; a failure raises
    :class:`~neurodyn.InvalidInputError` naming ``compile``), later ones run the fused kernel. The operations, and
    so the numbers up to rounding, are those of the eager step.
    """

    def __init__(self, scheme: DelayScheme, compile: bool = False):
        self.scheme = scheme
        self.shape = (2, scheme.nodes + 1, scheme.system.dim)
        self.compile = compile
        self._state, self._frame = self._state_step, self._frame_step
        self._unchecked = set()
        if compile:
            self._frame = compile_quietly(self._frame_step)
            self._unchecked = {"frame"}

    def advance(self, z: torch.Tensor, Q: torch.Tensor | None, i: int):
        t = torch.tensor(i * self.scheme.dt, dtype=z.dtype, device=z.device)
        which = "state" if Q is None else "frame"
        if which in self._unchecked:  # the first compiled call: the system's field ran eagerly in the probe
            try:
                out = (self._state(z, t), None) if Q is None else self._frame(z, Q, t)
            except Exception as exc:
                raise InvalidInputError(f"compile=True: torch.compile could not compile the delay step of "
                                        f"{self.scheme.system.name!r} ({type(exc).__name__}: {exc}); run with "
                                        "compile=False") from exc
            self._unchecked.discard(which)
            return out
        return (self._state(z, t), None) if Q is None else self._frame(z, Q, t)

    def _state_step(self, z: torch.Tensor, t: torch.Tensor):
        return self.scheme.advance(z.unflatten(-1, self.shape).unsqueeze(-1), t).flatten(-4)

    def _frame_step(self, z: torch.Tensor, Q: torch.Tensor, t: torch.Tensor):
        W = torch.cat((z.unsqueeze(-1), Q), dim=-1).unflatten(-2, self.shape)  # (B, 2, N + 1, n, 1 + k)
        W = self.scheme.advance(W, t).flatten(-4, -2)
        return W[..., 0].contiguous(), W[..., 1:].contiguous()  # fixed strides: one compiled graph


def flatten_window(X: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """``(B, N + 1, n)`` values and slopes as the flat state ``(B, 2 (N + 1) n)``."""
    return torch.stack((X, S), dim=-3).flatten(-3)


def _check_memory(system: DelayFlow, *, batch: int, D: int, k: int, stages: int) -> int:
    """Refuse a run whose tangent windows cannot fit: a step keeps about ``stages + 8`` frame-sized arrays
    ``(batch, D, k)`` alive (the stage tangents, the new windows, the QR's factors; as for maps and flows).
    Returns the estimate in bytes (the run's memory guard bounds its growth by it)."""
    need = (stages + 8) * batch * D * k * torch.empty((), dtype=system.dtype).element_size()
    free = available_bytes(system.device)
    if free is not None and need > free:
        raise InvalidInputError(
            f"the Lyapunov run of {system.name!r} needs about {need / GIB:.3g} GiB ({stages + 8} copies of a {batch} x "
            f"{D} x {k} tangent frame on the discretised history) but {free / GIB:.3g} GiB is free; lower k, the "
            "batch of histories, or raise dt (fewer nodes per delay)")
    return need


def plan_delay_run(system: DelayFlow, opts: RunOptions) -> RunPlan:
    """Validate the arguments of a Lyapunov run of a delay flow and build its plan.

    ``opts.x0`` holds the initial histories (constant ``(n,)``/``(B, n)`` or a callable ``phi(t)``; default
    ``batch`` constant histories from ``system.sample_history``); ``opts.dt`` must divide every delay; ``k`` is
    required (the discretised state has ``D = 2 (N + 1) n`` dimensions, most of them strongly contracting).
    """
    name = system.name
    if opts.inputs is not None or opts.layout is not None:
        raise InvalidInputError(f"{name!r} is a delay flow and takes no inputs; drop inputs/layout")
    if opts.dt is None:
        raise InvalidInputError(f"{name!r} is a delay flow: pass dt (the step, time units; it must divide the delays "
                                f"{list(system.delays)})")
    if opts.k is None:
        raise InvalidInputError(f"{name!r} is a delay flow (infinite-dimensional): pass k, the number of leading "
                                "exponents to measure")
    scheme = make_scheme(system, opts.dt, opts.method)
    D = 2 * (scheme.nodes + 1) * system.dim
    k = positive_int(opts.k, name="k")
    if k > D:
        raise InvalidInputError(f"k={k} exceeds the {D} dimensions of the discretised history of {name!r}; use a "
                                "smaller k or a smaller dt")
    if opts.steps is None:
        raise InvalidInputError("pass steps (the number of measured steps of size dt)")
    steps = positive_int(opts.steps, name="steps")
    transient = positive_int(opts.transient, name="transient", minimum=0)
    tangent_transient = positive_int(opts.tangent_transient, name="tangent_transient", minimum=0)
    qr_every = None if opts.qr_every == "auto" else positive_int(opts.qr_every, name="qr_every")
    log_scale, unit = _units(opts.base)
    gen = torch.Generator().manual_seed(int(opts.seed))
    history = opts.x0
    if history is None:
        batch = 1 if opts.batch is None else positive_int(opts.batch, name="batch")
        if system.history is not None and opts.batch is None:
            history = system.history
        else:
            _check_memory(system, batch=batch, D=D, k=k, stages=scheme.tableau.stages)
            history = system.sample_history(batch, gen)
    elif opts.batch is not None:
        raise InvalidInputError("batch applies only to sampled initial histories; x0 already fixes them, so drop "
                                "batch")
    rows = history.shape[0] if isinstance(history, torch.Tensor) and history.ndim == 2 else 1
    need = _check_memory(system, batch=rows, D=D, k=k, stages=scheme.tableau.stages)  # checked before the windows exist
    X, S, _ = initial_window(scheme, history, name="x0 (the initial histories)")
    z = flatten_window(X, S)
    Q0 = torch.linalg.qr(torch.randn(z.shape[0], D, k, generator=gen, dtype=system.dtype))[0].to(system.device)
    settings = {
        "steps": steps, "k": k, "transient": transient, "tangent_transient": tangent_transient,
        "qr_every": "auto" if qr_every is None else qr_every, "seed": int(opts.seed),
        "base": "2" if unit == "bits" else "e", "batch": z.shape[0], "dt": scheme.dt, "method": opts.method,
        "delays": list(system.delays), "nodes": scheme.nodes, "compile": bool(opts.compile), "dim": system.dim,
        "tangent_dim": D, "memory_need_bytes": need,
    }
    return RunPlan(system=system, x=z, Q0=Q0, integ=DelayStepper(scheme, compile=bool(opts.compile)), steps=steps,
                   transient=transient, tangent_transient=tangent_transient, qr_every=qr_every, time_per_step=scheme.dt,
                   log_scale=log_scale, units=f"{unit}/time", settings=settings)
