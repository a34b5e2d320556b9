"""Lyapunov spectra by the QR method (Benettin et al. 1980; Shimada & Nagashima 1979).

A frame ``Q`` of ``k`` orthonormal tangent vectors is pushed forward with the Jacobian, ``Q <- J Q``
(for flows: the variational equation ``dQ/dt = J Q`` integrated with the state), and re-orthonormalised
every ``qr_every`` steps by ``Q R = J Q``. The exponents are the time averages of ``log |R_ii|``:

    lambda_i = lim (1/T) sum log |R_ii|.

The run has three phases: ``transient`` steps of the state alone, ``tangent_transient`` steps in which the
frame aligns with the Oseledets directions (growth discarded), and ``steps`` measured steps.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

from neurodyn._checks import as_tensor, check_last_dim, positive_float, positive_int, state_batch
from neurodyn.errors import ConvergenceWarning, DivergenceError, InvalidInputError
from neurodyn.integrate.variational import VariationalIntegrator
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.systems.protocol import Flow, System
from neurodyn.systems.torch_adapters import as_system

N_BLOCKS = 10
MAX_RECORDS = 1000
CHECK_EVERY = 64  # steps between finiteness checks on accelerators


def lyapunov_spectrum(
    system: System | nn.Module,
    *,
    steps: int | None = None,
    k: int | None = None,
    transient: int = 0,
    tangent_transient: int = 0,
    x0=None,
    inputs=None,
    batch: int | None = None,
    dt: float | None = None,
    method: str = "rk4",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    qr_every: int | str = 1,
    seed: int = 0,
    base: float | str = "e",
    strict: bool = True,
    convergence_tol: float = 1e-3,
    progress: bool = False,
) -> LyapunovSpectrum:
    """The ``k`` leading Lyapunov exponents of a map or flow, by the QR (Benettin) method.

    Args:
        system: a :class:`~neurodyn.Map` or :class:`~neurodyn.Flow` (an ``nn.Module`` is converted with
            :func:`~neurodyn.from_torch`).
        steps: measured steps (maps: applications of the map; flows: steps of size ``dt``, so the measured
            time is ``steps * dt``). For input-driven maps it defaults to what ``inputs`` leaves after the
            transients.
        k: number of leading exponents (default: all ``system.tangent_dim``).
        transient: steps of the state alone before the frame starts (lets the state reach the attractor).
        tangent_transient: steps of state and frame whose growth is discarded (aligns the frame).
        x0: initial state(s) ``(n,)`` or ``(batch, n)``; default ``batch`` states from the system's sampler
            seeded by ``seed``.
        inputs: driving inputs of an input-driven map, ``(batch, T, input_dim)`` or ``(T, input_dim)`` with
            ``T >= transient + tangent_transient + steps``; input ``inputs[:, t]`` drives step ``t``.
            ``None`` drives an input-driven map with zero input. The spectrum is averaged over the batch.
        batch: number of initial states to sample when neither ``x0`` nor ``inputs`` fixes it (default 1).
        dt: flows only: the step (fixed-step ``method``) or the interval between re-orthonormalisations
            of an adaptive solve (``method="dopri5"`` etc. with ``rtol``, ``atol``).
        qr_every: re-orthonormalise every this many steps (1 is safest; more is faster while
            ``exp((lambda_1 - lambda_k) * qr_every * dt)`` stays far from overflow and the frame
            keeps full rank), or ``"auto"``: start at 1 and adapt the interval (up to 16), targeting a
            growth spread ``log(R_11 / R_kk)`` between re-orthonormalisations below ``ln 1e6``: the
            interval is halved when the last spread exceeded it and doubled only while twice the
            spread stays below it, which keeps the frame's condition number, and so the relative
            error of the weakest direction, near or below ``1e6`` times machine precision.
        seed: seeds the initial frame (and sampled initial states) through a private generator.
        base: ``"e"`` (nats, default) or ``2`` (bits).
        strict: raise :class:`~neurodyn.errors.DivergenceError` when a state or the frame becomes
            non-finite; with ``False`` return what was measured with ``status="diverged"``.
        convergence_tol: absolute drift (in the result's units) accepted as converged even when the
            standard error is smaller.
        progress: show a progress bar.

    Returns:
        :class:`LyapunovSpectrum`, exponents in nats (or bits) per step for maps and per unit time for
        flows, sorted descending. A :class:`~neurodyn.errors.ConvergenceWarning` is issued when the drift
        between the estimates at T/2 and T exceeds both 3 standard errors and ``convergence_tol``.

    See also: :func:`max_lyapunov` (one vector, forward-mode JVPs, no Jacobian formed).
    """
    run = _setup(system, steps=steps, k=k, transient=transient, tangent_transient=tangent_transient, x0=x0,
                 inputs=inputs, batch=batch, dt=dt, method=method, rtol=rtol, atol=atol, qr_every=qr_every,
                 seed=seed, base=base, use_jvp=False)
    return _measure(run, strict=strict, convergence_tol=convergence_tol, progress=progress, label="qr")


class _Run:
    """Validated settings of one measurement."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _setup(system, *, steps, k, transient, tangent_transient, x0, inputs, batch, dt, method, rtol, atol,
           qr_every, seed, base, use_jvp) -> _Run:
    system = as_system(system)
    name = system.name
    m = system.tangent_dim
    k = m if k is None else positive_int(k, name="k")
    if k > m:
        raise InvalidInputError(f"k={k} exceeds the tangent dimension {m} of {name!r}; use k <= {m}")
    transient = positive_int(transient, name="transient", minimum=0)
    tangent_transient = positive_int(tangent_transient, name="tangent_transient", minimum=0)
    if qr_every != "auto":
        qr_every = positive_int(qr_every, name="qr_every")
    if base in ("e", math.e):
        log_scale, unit = 1.0, "nats"
    elif base == 2:
        log_scale, unit = 1.0 / math.log(2.0), "bits"
    else:
        raise InvalidInputError(f"base must be 'e' or 2, got {base!r}")
    is_flow = isinstance(system, Flow)
    if is_flow:
        if dt is None:
            raise InvalidInputError(f"{name!r} is a flow: pass dt (the integration step, in time units)")
        dt = positive_float(dt, name="dt")
    elif dt is not None:
        raise InvalidInputError(f"{name!r} is a map: dt does not apply (exponents are per step); drop dt")
    dtype, device = system.dtype, system.device

    if steps is not None:
        steps = positive_int(steps, name="steps")
    if batch is not None:
        batch = positive_int(batch, name="batch")
        if x0 is not None or inputs is not None:
            raise InvalidInputError("batch applies only to sampled initial states; x0 or inputs already fix the "
                                    "batch, so drop batch")
    n_in = None
    if inputs is not None:
        if system.input_dim == 0:
            raise InvalidInputError(f"{name!r} takes no input (input_dim=0) but inputs were given; drop inputs")
        inputs = as_tensor(inputs, name="inputs", dtype=dtype, device=device)
        if inputs.ndim == 2:
            inputs = inputs.unsqueeze(0)
        if inputs.ndim != 3:
            raise InvalidInputError(
                f"inputs has shape {tuple(inputs.shape)}; expected (batch, T, input_dim) or (T, input_dim)"
            )
        check_last_dim(inputs, system.input_dim, name="inputs", what=f"the input_dim of {name!r}")
        n_in = inputs.shape[0]
        available = inputs.shape[1] - transient - tangent_transient
        if available < 1 or (steps is not None and available < steps):
            need = transient + tangent_transient + (steps or 1)
            raise InvalidInputError(
                f"inputs has {inputs.shape[1]} time steps but transient + tangent_transient + steps need at "
                f"least {need}; pass longer inputs, shorter transients or fewer steps"
            )
        steps = available if steps is None else steps
    if steps is None:
        raise InvalidInputError("pass steps (the number of measured steps)")

    gen = torch.Generator().manual_seed(int(seed))
    if x0 is None:
        B = n_in or batch or 1
        x = system.sample_state(B, gen)
    else:
        x = state_batch(x0, n=system.dim, name="x0", dtype=dtype, device=device)
    if n_in is not None and x.shape[0] != n_in:
        if x.shape[0] != 1:
            raise InvalidInputError(
                f"x0 has batch {x.shape[0]} but inputs has batch {n_in}; give one x0 or one per input sequence"
            )
        x = x.expand(n_in, -1).clone()
    Q0 = torch.linalg.qr(torch.randn(x.shape[0], m, k, generator=gen, dtype=dtype))[0].to(device)
    integ = VariationalIntegrator(system, inputs=inputs, dt=dt, method=method, rtol=rtol, atol=atol,
                                  use_jvp=use_jvp)
    settings = {
        "steps": steps, "k": k, "transient": transient, "tangent_transient": tangent_transient,
        "qr_every": qr_every, "seed": int(seed), "base": "2" if unit == "bits" else "e", "batch": x.shape[0],
        "dt": dt, "method": method if is_flow else None, "rtol": rtol if is_flow else None,
        "atol": atol if is_flow else None, "driven": inputs is not None, "dim": system.dim, "tangent_dim": m,
        "analytic_jacobian": system.has_analytic_jacobian and not use_jvp,
    }
    return _Run(system=system, x=x, Q0=Q0, integ=integ, steps=steps, transient=transient,
                tangent_transient=tangent_transient, qr_every=qr_every, time_per_step=dt if is_flow else 1.0,
                log_scale=log_scale, units=f"{unit}/{'time' if is_flow else 'step'}", settings=settings)


def _renormalise(Q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Orthonormalise the frame; returns ``(Q, log|R_ii|)`` with shapes ``(B, m, k)``, ``(B, k)``."""
    if Q.shape[-1] == 1:
        norm = torch.linalg.vector_norm(Q, dim=-2)
        return Q / norm.unsqueeze(-1), torch.log(norm)
    # geqrf + orgqr directly: R's diagonal is read off the compact factor, so the triangle that
    # torch.linalg.qr would copy out (an extra pass over (B, k, k)) is never formed
    a, tau = torch.geqrf(Q)
    log_r = torch.log(torch.diagonal(a, dim1=-2, dim2=-1).abs())
    # LAPACK hands Q back column-major; the batched J @ Q that follows is ~20% faster on a row-major copy
    return torch.linalg.householder_product(a, tau).contiguous(), log_r


AUTO_SPREAD = math.log(1e6)
AUTO_MAX_INTERVAL = 16


def _adapt_interval(interval: int, growth: torch.Tensor) -> int:
    """Next re-orthonormalisation interval for ``qr_every="auto"``: halve it when the growth spread over
    the last interval exceeded ``AUTO_SPREAD``, double it when twice the spread would still stay below."""
    spread = float((growth.max(-1).values - growth.min(-1).values).max()) if growth.shape[-1] > 1 else 0.0
    if spread > AUTO_SPREAD:
        return max(1, interval // 2)
    if 2 * spread < AUTO_SPREAD:
        return min(AUTO_MAX_INTERVAL, 2 * interval)
    return interval


class _Diverged(Exception):
    def __init__(self, step, what):
        self.step, self.what = step, what


def _measure(run: _Run, *, strict: bool, convergence_tol: float, progress: bool, label: str) -> LyapunovSpectrum:
    from neurodyn._progress import progress_bar

    B, k = run.x.shape[0], run.Q0.shape[-1]
    total = run.transient + run.tangent_transient + run.steps
    acc = run.x.new_zeros(B, k)
    blocks = run.x.new_zeros(N_BLOCKS, B, k)  # growth summed per time block (single-trajectory stderr)
    block_steps = [0] * N_BLOCKS
    half = None
    records, record_t = [], []
    auto = run.qr_every == "auto"
    interval = 1 if auto else run.qr_every
    record_every = max(1, run.steps // MAX_RECORDS)  # in measured steps
    state = {"x": run.x, "Q": run.Q0, "i": 0, "measured": 0, "qr_events": 0, "last_record": 0}
    every_step = run.x.device.type == "cpu"
    diverged = None

    def evolve(n, *, with_frame, measure, bar):
        nonlocal interval
        x, Q, i = state["x"], state["Q"], state["i"]
        since = 0
        for j in range(n):
            if with_frame:
                x, Q = run.integ.advance(x, Q, i)
            else:
                x = run.integ.advance(x, None, i)[0]
            i += 1
            since += 1
            # On the CPU every step is checked (cheap), so the step reported is exact; on an accelerator a
            # check is a device sync, so it happens every CHECK_EVERY steps and at each re-orthonormalisation.
            if (every_step or i % CHECK_EVERY == 0 or j == n - 1) and not bool(torch.isfinite(x).all()):
                state.update(x=x, Q=Q, i=i)
                raise _Diverged(i, "the state became non-finite (NaN/inf)" if every_step else
                                f"the state became non-finite (NaN/inf) within the {CHECK_EVERY} steps before")
            if with_frame and (since == interval or j == n - 1):
                Q, growth = _renormalise(Q)
                if not bool(torch.isfinite(growth).all()):
                    state.update(x=x, Q=Q, i=i)
                    raise _Diverged(i, "the tangent frame became non-finite (NaN/inf; a Jacobian that is singular "
                                       "or overflows)")
                if auto and since == interval:
                    interval = _adapt_interval(interval, growth)
                if measure:
                    _accumulate(growth, since)
                since = 0
            if bar is not None and i % 64 == 0:
                bar(64)
        state.update(x=x, Q=Q, i=i)

    def _accumulate(growth, n_steps):
        nonlocal acc, half
        start = state["measured"]
        acc = acc + growth
        b = min(N_BLOCKS - 1, start * N_BLOCKS // run.steps)
        blocks[b] += growth
        block_steps[b] += n_steps
        state["measured"] = start + n_steps
        state["qr_events"] += 1
        if half is None and state["measured"] * 2 >= run.steps:
            half = acc / (state["measured"] * run.time_per_step)
        if state["measured"] - state["last_record"] >= record_every or state["measured"] == run.steps:
            state["last_record"] = state["measured"]
            records.append(acc.mean(0) / (state["measured"] * run.time_per_step))
            record_t.append(state["measured"] * run.time_per_step)

    with progress_bar(progress, total, f"Lyapunov ({label}) {run.system.name}") as bar:
        try:
            evolve(run.transient, with_frame=False, measure=False, bar=bar)
            evolve(run.tangent_transient, with_frame=True, measure=False, bar=bar)
            evolve(run.steps, with_frame=True, measure=True, bar=bar)
        except _Diverged as exc:
            diverged = exc
    if diverged is not None and (strict or state["measured"] == 0):
        hint = "or pass strict=False for the partial result" if strict else "nothing was measured before it"
        raise DivergenceError(
            f"{run.system.name!r}: {diverged.what} at step {diverged.step} of {total}; check x0 and the "
            f"parameters, lower dt (or the tolerances) for a flow, {hint}",
            step=diverged.step,
        )

    # the summary is small: compute it on the CPU whatever device the run used
    acc, blocks = acc.cpu(), blocks.cpu()
    half = half.cpu() if half is not None else None
    records = [r.cpu() for r in records]
    T = state["measured"] * run.time_per_step
    per_sample = acc / T
    order = torch.argsort(per_sample.mean(0), descending=True)  # QR already orders them; keep it explicit
    per_sample = per_sample[:, order] * run.log_scale
    exponents = per_sample.mean(0)
    if B >= 2:
        stderr = per_sample.std(0) / math.sqrt(B)
    else:
        filled = [b for b in range(N_BLOCKS) if block_steps[b] > 0]
        if len(filled) > 1:  # rates of consecutive time blocks, each over its own length
            lengths = torch.tensor([block_steps[b] * run.time_per_step for b in filled], dtype=acc.dtype)
            rates = blocks[filled, 0][:, order] / lengths.unsqueeze(-1) * run.log_scale
            stderr = rates.std(0) / math.sqrt(len(filled))
        else:
            stderr = torch.full_like(exponents, float("nan"))
    half_est = (half.mean(0)[order] * run.log_scale) if half is not None else exponents
    drift = (exponents - half_est).abs()
    history = torch.stack(records)[:, order] * run.log_scale if records else exponents.new_zeros(0, k)
    if diverged is not None:
        status = "diverged"
    else:
        allowed = torch.clamp(3 * torch.nan_to_num(stderr, nan=0.0), min=convergence_tol)
        ok = (drift <= allowed).all()
        status = "converged" if bool(ok) else "unconverged"
        if status == "unconverged":
            warnings.warn(
                f"Lyapunov exponents of {run.system.name!r} still drift by up to {float(drift.max()):.3g} "
                f"{run.units} between T/2 and T; increase steps", ConvergenceWarning, stacklevel=3,
            )
    return LyapunovSpectrum(
        exponents=exponents, stderr=stderr, per_sample=per_sample, history=history,
        history_time=torch.tensor(record_t, dtype=torch.float64), drift=drift, status=status,
        units=run.units, system=run.system.name, kind=run.system.kind, method=label,
        settings=dict(run.settings, measured_steps=state["measured"], qr_events=state["qr_events"]),
        diverged_at=None if diverged is None else diverged.step,
    )
