"""Validate the arguments of a Lyapunov run once and turn them into a :class:`RunPlan`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, check_last_dim, positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError
from neurodyn.integrate.variational import VariationalIntegrator
from neurodyn.lyapunov.resources import check_memory
from neurodyn.lyapunov.settings import LyapunovSettings
from neurodyn.systems.protocol import INPUT_LAYOUTS as LAYOUTS
from neurodyn.systems.protocol import Flow, System
from neurodyn.systems.torch_adapters import as_system


@dataclass(frozen=True)
class RunOptions(LyapunovSettings):
    """The arguments of :func:`~neurodyn.lyapunov_spectrum` / :func:`~neurodyn.max_lyapunov` as given: the
    :class:`~neurodyn.LyapunovSettings` fields (one list of fields and defaults) and the run's own data."""

    steps: int | None = None
    x0: object = None
    inputs: object = None
    use_jvp: bool = False


@dataclass(frozen=True)
class RunPlan:
    """A validated measurement: the system, its first states and frame, the integrator and the phases.

    ``qr_every`` is ``None`` for the adaptive (``"auto"``) schedule; ``time_per_step`` is ``dt`` for flows and
    1 for maps; ``log_scale`` turns nats into the result's units.
    """

    system: System
    x: torch.Tensor  # (B, n)
    Q0: torch.Tensor  # (B, m, k)
    integ: VariationalIntegrator
    steps: int
    transient: int
    tangent_transient: int
    qr_every: int | None
    time_per_step: float
    log_scale: float
    units: str
    settings: dict

    @property
    def total(self) -> int:
        return self.transient + self.tangent_transient + self.steps

    @property
    def is_flow(self) -> bool:
        """Continuous time (a flow or a delay flow): exponents per unit time, ``dt`` the knob."""
        return self.system.kind != "map"


def plan_run(system, opts: RunOptions) -> RunPlan:
    """Check every argument, probe the user's function on the first states, check the memory the run
    needs, and draw the initial frame (seeded by ``opts.seed``). A :class:`~neurodyn.DelayFlow` is planned
    on its discretised history by :func:`neurodyn.delay.lyapunov.plan_delay_run`."""
    if getattr(system, "kind", None) == "delay":
        from neurodyn.delay.lyapunov import plan_delay_run

        return plan_delay_run(system, opts)
    system = as_system(system)
    name, m = system.name, system.tangent_dim
    k = m if opts.k is None else positive_int(opts.k, name="k")
    if k > m:
        raise InvalidInputError(f"k={k} exceeds the tangent dimension {m} of {name!r}; use k <= {m}")
    transient = positive_int(opts.transient, name="transient", minimum=0)
    tangent_transient = positive_int(opts.tangent_transient, name="tangent_transient", minimum=0)
    qr_every = None if opts.qr_every == "auto" else positive_int(opts.qr_every, name="qr_every")
    log_scale, unit = _units(opts.base)
    dt = _time_step(system, opts.dt)
    steps = None if opts.steps is None else positive_int(opts.steps, name="steps")
    batch = None if opts.batch is None else positive_int(opts.batch, name="batch")
    if batch is not None and (opts.x0 is not None or opts.inputs is not None):
        raise InvalidInputError("batch applies only to sampled initial states; x0 or inputs already fix the "
                                "batch, so drop batch")
    inputs, steps = _inputs(system, opts, steps, transient + tangent_transient)
    gen = torch.Generator().manual_seed(int(opts.seed))
    x = _initial_states(system, opts.x0, inputs, batch, gen)
    system.probe(x, None if inputs is None else inputs[:, 0])
    need = check_memory(system, batch=x.shape[0], k=k, method=opts.method if dt is not None else None,
                 records=min(steps, 1000))
    Q0 = torch.linalg.qr(torch.randn(x.shape[0], m, k, generator=gen, dtype=system.dtype))[0].to(system.device)
    integ = VariationalIntegrator(system, inputs=inputs, dt=dt, method=opts.method, rtol=opts.rtol, atol=opts.atol,
                                  use_jvp=opts.use_jvp, compile=bool(opts.compile))
    if opts.compile:  # compile before the run starts, so that the run's timing (and its warning) sees steps only
        integ.advance(x, Q0, 0)
    is_flow = dt is not None
    settings = {
        "steps": steps, "k": k, "transient": transient, "tangent_transient": tangent_transient,
        "qr_every": "auto" if qr_every is None else qr_every, "seed": int(opts.seed),
        "base": "2" if unit == "bits" else "e", "batch": x.shape[0], "dt": dt,
        "method": opts.method if is_flow else None, "rtol": opts.rtol if is_flow else None,
        "atol": opts.atol if is_flow else None, "driven": inputs is not None, "dim": system.dim, "tangent_dim": m,
        "analytic_jacobian": system.has_analytic_jacobian and not opts.use_jvp, "compile": bool(opts.compile),
        "memory_need_bytes": need,
    }
    return RunPlan(system=system, x=x, Q0=Q0, integ=integ, steps=steps, transient=transient,
                   tangent_transient=tangent_transient, qr_every=qr_every, time_per_step=dt if is_flow else 1.0,
                   log_scale=log_scale, units=f"{unit}/{'time' if is_flow else 'step'}", settings=settings)


def _units(base) -> tuple[float, str]:
    if base in ("e", math.e):
        return 1.0, "nats"
    if base == 2:
        return 1.0 / math.log(2.0), "bits"
    raise InvalidInputError(f"base must be 'e' or 2, got {base!r}")


def _time_step(system: System, dt) -> float | None:
    if isinstance(system, Flow):
        if dt is None:
            raise InvalidInputError(f"{system.name!r} is a flow: pass dt (the integration step, in time units)")
        return positive_float(dt, name="dt")
    if dt is not None:
        raise InvalidInputError(f"{system.name!r} is a map: dt does not apply (exponents are per step); drop dt")
    return None


def batch_major_inputs(system: System, inputs, layout: str | None, *, what: str = "inputs") -> torch.Tensor:
    """``inputs`` as a ``(batch, T, input_dim)`` tensor.

    A 3-D ``inputs`` is read in ``layout``: ``"batch_first"`` ``(batch, T, input_dim)`` or ``"time_first"``
    ``(T, batch, input_dim)``; ``None`` follows the system's own :attr:`~neurodyn.Map.input_layout` (the
    module's ``batch_first`` for :func:`~neurodyn.from_torch`). A 2-D ``(T, input_dim)`` is one sequence.
    """
    name = system.name
    if system.input_dim == 0:
        raise InvalidInputError(f"{name!r} takes no input (input_dim=0) but {what} were given; drop {what}")
    layout = system.input_layout if layout is None else layout
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {LAYOUTS} (or None: the system's own), got {layout!r}")
    inputs = as_tensor(inputs, name=what, dtype=system.dtype, device=system.device)
    if inputs.ndim == 2:
        inputs = inputs.unsqueeze(0)
    elif inputs.ndim == 3 and layout == "time_first":
        inputs = inputs.transpose(0, 1)
    if inputs.ndim != 3:
        shape = "(T, batch, input_dim)" if layout == "time_first" else "(batch, T, input_dim)"
        raise InvalidInputError(f"{what} has shape {tuple(inputs.shape)}; expected {shape} or (T, input_dim)")
    check_last_dim(inputs, system.input_dim, name=what, what=f"the input_dim of {name!r}")
    return inputs


def _inputs(system: System, opts: RunOptions, steps: int | None, warmup: int):
    """The driving inputs ``(batch, T, input_dim)`` (or ``None``) and the number of measured steps."""
    if opts.inputs is None:
        if opts.layout is not None and opts.layout not in LAYOUTS:
            raise InvalidInputError(f"layout must be one of {LAYOUTS}, got {opts.layout!r}")
        if steps is None:
            raise InvalidInputError("pass steps (the number of measured steps)")
        return None, steps
    inputs = batch_major_inputs(system, opts.inputs, opts.layout)
    available = inputs.shape[1] - warmup
    if available < 1 or (steps is not None and available < steps):
        raise InvalidInputError(
            f"inputs has {inputs.shape[1]} time steps but transient + tangent_transient + steps need at least "
            f"{warmup + (steps or 1)}; pass longer inputs, shorter transients or fewer steps"
            + _layout_hint(system, opts.layout)
        )
    return inputs, available if steps is None else steps


def _layout_hint(system: System, layout: str | None) -> str:
    used = system.input_layout if layout is None else layout
    other = "time_first" if used == "batch_first" else "batch_first"
    return f" (inputs were read as {used}; pass layout={other!r} if they are laid out the other way)"


def _initial_states(system: System, x0, inputs, batch: int | None, gen: torch.Generator) -> torch.Tensor:
    n_in = None if inputs is None else inputs.shape[0]
    if x0 is None:
        return system.sample_state(n_in or batch or 1, gen)
    x = state_batch(x0, n=system.dim, name="x0", dtype=system.dtype, device=system.device)
    if n_in is not None and x.shape[0] != n_in:
        if x.shape[0] != 1:
            raise InvalidInputError(
                f"x0 has batch {x.shape[0]} but inputs has batch {n_in}; give one x0 or one per input sequence"
            )
        x = x.expand(n_in, -1).clone()
    return x
