"""Lyapunov spectra by the QR method (Benettin et al. 1980; Shimada & Nagashima 1979).

A frame ``Q`` of ``k`` orthonormal tangent vectors is pushed forward with the Jacobian, ``Q <- J Q``
(for flows: the variational equation ``dQ/dt = J Q`` integrated with the state), and re-orthonormalised
every ``qr_every`` steps by ``Q R = J Q``. The exponents are the time averages of ``log |R_ii|``:

    lambda_i = lim (1/T) sum log |R_ii|.

The run has three phases: ``transient`` steps of the state alone, ``tangent_transient`` steps in which the
frame aligns with the Oseledets directions (growth discarded), and ``steps`` measured steps.
"""

from __future__ import annotations

from torch import nn

from neurodyn._settings import with_options
from neurodyn.errors import DivergenceError
from neurodyn.lyapunov.loop import Diverged, Tally, Trajectory, run_state_only, run_with_frame
from neurodyn.lyapunov.plan import RunOptions, RunPlan, plan_run
from neurodyn.lyapunov.resources import MemoryGuard, RunMeter
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.settings import LyapunovSettings
from neurodyn.lyapunov.summary import summarise
from neurodyn.results import finish
from neurodyn.systems.protocol import System

ARGUMENTS = ("system", "steps", "x0", "inputs", "strict", "settings")


def lyapunov_spectrum(
    system: System | nn.Module,
    *,
    steps: int | None = None,
    x0=None,
    inputs=None,
    strict: bool | None = None,
    settings: LyapunovSettings | None = None,
    **options,
) -> LyapunovSpectrum:
    """The ``k`` leading Lyapunov exponents of a map or flow, by the QR (Benettin) method.

    Args:
        system: a :class:`~neurodyn.Map` or :class:`~neurodyn.Flow` (an ``nn.Module`` is converted with
            :func:`~neurodyn.from_torch`), or a :class:`~neurodyn.DelayFlow`: then the state is the history
            discretised at the nodes of the method of steps (:mod:`neurodyn.delay.lyapunov`), ``k`` is required,
            ``dt`` must divide the delays, ``x0`` holds the initial histories (constant ``(B, n)`` or a callable
            ``phi(t)``) and ``batch`` draws them from ``system.sample_history``.
        steps: measured steps (maps: applications of the map; flows: steps of size ``dt``, so the measured
            time is ``steps * dt``). For input-driven maps it defaults to what ``inputs`` leaves after the
            transients.
        x0: initial state(s) ``(n,)`` or ``(batch, n)``; default ``batch`` states from the system's sampler
            seeded by ``seed``.
        inputs: driving inputs of an input-driven map, ``(batch, T, input_dim)`` or ``(T, input_dim)`` with
            ``T >= transient + tangent_transient + steps`` (``(T, batch, input_dim)`` when the layout is
            ``"time_first"``, see ``layout``); input ``inputs[:, t]`` drives step ``t``. ``None`` drives an
            input-driven map with zero input. The spectrum is averaged over the batch.
        strict: how loudly a run that cannot be trusted fails. ``None`` (default): a run with no answer
            raises, :class:`~neurodyn.DivergenceError` when a state or the frame becomes non-finite and
            :class:`~neurodyn.ConvergenceError` when it is ``"too short"`` to judge; an ``"unconverged"``
            one (the diagnostic ran and says the estimate still drifts) comes back with that status and a
            :class:`~neurodyn.ConvergenceWarning`. ``True``: every status that is not ok raises (the
            ``ConvergenceError`` carries the result as ``.result``). ``False``: nothing raises; the
            result carries its status, ``"diverged"`` holding what was measured before the divergence.
        settings: a :class:`~neurodyn.LyapunovSettings`: ``k``, ``transient``, ``tangent_transient``,
            ``batch``, ``dt``, ``method``, ``rtol``, ``atol``, ``qr_every`` (default ``"auto"``), ``seed``, ``base``,
            ``layout``, ``convergence_tol``, ``progress`` (defaults and meaning there).
        **options: any field of :class:`~neurodyn.LyapunovSettings` as a keyword, e.g. ``dt=0.01, k=3``;
            it replaces that field of ``settings``. An unknown name raises :class:`~neurodyn.InvalidInputError`.

    Before the run the memory it needs (working copies of the ``batch x n x k`` frame) is compared with
    the free memory; a run that cannot fit raises :class:`~neurodyn.InvalidInputError` with the estimate
    and the ``k`` or batch that would fit.

    Returns:
        :class:`LyapunovSpectrum`, exponents in nats (or bits) per step for maps and per unit time for
        flows, sorted descending. Its status is ``"converged"`` when the drift between the estimates at
        T/2 and T is within 3 standard errors or ``convergence_tol``, ``"unconverged"`` when not, and
        ``"too short"`` when the measured part had fewer than 10 re-orthonormalisations (too little data
        for the diagnostic to judge).

    See also: :func:`max_lyapunov` (one vector, forward-mode JVPs, no Jacobian formed).
    """
    s = with_options(LyapunovSettings, settings, options, "lyapunov_spectrum", arguments=ARGUMENTS)
    opts = RunOptions(steps=steps, x0=x0, inputs=inputs, **s.run_fields())
    return measure(plan_run(system, opts), strict=strict, convergence_tol=s.convergence_tol, progress=s.progress,
                   label="qr")


def measure(plan: RunPlan, *, strict: bool | None, convergence_tol: float, progress: bool,
            label: str) -> LyapunovSpectrum:
    """Run the three phases of ``plan`` and summarise; raise as ``strict`` says (see :func:`lyapunov_spectrum`)."""
    from neurodyn._progress import progress_bar

    traj = Trajectory(x=plan.x, Q=plan.Q0, i=0, interval=1 if plan.qr_every is None else plan.qr_every)
    tally = Tally.empty(plan)
    diverged = None
    what = f"{'maximal Lyapunov exponent' if label == 'jvp' else 'Lyapunov spectrum'} of {plan.system.name!r}"
    with progress_bar(progress, plan.total, f"Lyapunov ({label}) {plan.system.name}") as bar:
        memory = MemoryGuard.start(plan.settings["memory_need_bytes"], plan.x.device)
        tick = RunMeter(plan.total, f"the {what}", bar=bar, memory=memory).tick
        try:
            run_state_only(plan, traj, plan.transient, tick)
            run_with_frame(plan, traj, plan.tangent_transient, None, tick)
            run_with_frame(plan, traj, plan.steps, tally, tick)
        except Diverged as exc:
            diverged = exc
    if diverged is not None and (strict is not False or tally.measured == 0):
        hint = "or pass strict=False for the partial result" if tally.measured else "nothing was measured before it"
        raise DivergenceError(f"{plan.system.name!r}: {diverged.what} at step {diverged.step} of {plan.total}; "
                              f"{diverged.knob}, {hint}", step=diverged.step)
    result = summarise(plan, tally, diverged_at=None if diverged is None else diverged.step,
                       convergence_tol=convergence_tol, label=label, extra=memory.settings())
    return finish(result, strict=strict, what=f"the {what}")
