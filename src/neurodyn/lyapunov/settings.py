"""The public settings of the Lyapunov drivers: :class:`LyapunovSettings` (:func:`~neurodyn.lyapunov_spectrum`,
:func:`~neurodyn.max_lyapunov`) and :class:`FTLESettings` (:func:`~neurodyn.ftle`).

Each driver takes ``settings=`` and, as keyword shorthands, every field of it: ``lyapunov_spectrum(sys,
steps=1000, dt=0.01)`` is ``lyapunov_spectrum(sys, steps=1000, settings=LyapunovSettings(dt=0.01))``. A keyword
given together with ``settings=`` replaces that field (the settings are defaults that single keywords adjust);
an unknown keyword raises :class:`~neurodyn.InvalidInputError` listing the valid ones. The fields are checked
when the run is planned, with the same messages as the keywords.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class LyapunovSettings:
    """How a Lyapunov spectrum or maximal exponent is measured (everything but the states and inputs).

    Attributes:
        k: number of leading exponents (default: all ``system.tangent_dim``; :func:`~neurodyn.max_lyapunov`
            measures one and accepts only ``None`` or 1).
        transient: steps of the state alone before the frame starts (lets the state reach the attractor).
        tangent_transient: steps of state and frame whose growth is discarded (aligns the frame).
        batch: number of initial states to sample when neither ``x0`` nor ``inputs`` fixes it (default 1).
        dt: flows only: the step (fixed-step ``method``) or the interval between re-orthonormalisations of an
            adaptive solve (``method="dopri5"`` etc. with ``rtol``, ``atol``), in time units.
        method: the integration scheme of a flow (default ``"rk4"``, classical RK4). rtol, atol: tolerances of
            an adaptive ``method`` (default 1e-9 each).
        qr_every: ``"auto"`` (default) or a fixed number of steps between re-orthonormalisations. An interval
            whose growth spread is ``s = log(R_11 / R_kk)`` costs the exponents a rounding error of about
            ``2 sqrt(m) u e^s`` per interval (``u`` the unit roundoff, ``m`` the tangent dimension;
            :mod:`neurodyn.lyapunov.schedule`). ``"auto"`` starts at 1, measures the spread of every interval and
            takes the longest next interval (at most doubling, at most 16, and at most ``steps // 10`` so that
            the convergence diagnostic still gets its ten re-orthonormalisations) whose predicted error stays
            below 1e-4 per step or time unit, well under any converged run's standard error; an interval that
            overshot is redone one step at a time. The result's settings report what was used: ``qr_tol``,
            ``qr_loss`` (the predicted error), ``qr_max_interval`` and ``qr_longest_interval``. ``qr_every=1``
            (a QR every step) is the classical algorithm, exact to rounding for identities such as a map's
            exponent sum (its new frame ``A R^-1`` agrees with Householder's ``Q`` only to ``u e^s``). A fixed
            interval whose spread exceeds ``-ln(u) / 2`` (18 nats in float64) raises
            :class:`~neurodyn.InvalidInputError` naming ``qr_every`` and an interval that fits.
        seed: seeds the initial frame (and sampled initial states) through a private generator (default 0).
        base: ``"e"`` (nats, default) or ``2`` (bits).
        layout: how 3-D ``inputs`` are laid out: ``"batch_first"`` ``(batch, T, input_dim)`` or ``"time_first"``
            ``(T, batch, input_dim)``; default the system's ``input_layout``, which :func:`~neurodyn.from_torch`
            takes from the module (``batch_first=False``, PyTorch's default, means time first).
        convergence_tol: absolute drift (in the result's units) accepted as converged even when the standard
            error is smaller (default 1e-3).
        progress: show a progress bar (without one, a run predicted to take over 3 minutes from its first timed
            steps warns).
        compile: push the state and frame with one ``torch.compile``'d function per step (maps, fixed-step
            flows and delay flows; :func:`~neurodyn.lyapunov_spectrum` only; an adaptive ``method`` is refused).
            Default ``False``. Compiling takes seconds to tens of seconds once per run and then makes each step of
            a small system several times cheaper (a user-written Lorenz: about 3x below the eager analytic path),
            so it pays for long runs (tens of thousands of steps); compiled kernels round differently, so a
            chaotic run agrees with the eager one within the standard errors, not bit for bit.

    See also: :class:`FTLESettings`, :class:`~neurodyn.continuation.ContinuationSettings`.
    """

    k: int | None = None
    transient: int = 0
    tangent_transient: int = 0
    batch: int | None = None
    dt: float | None = None
    method: str = "rk4"
    rtol: float = 1e-9
    atol: float = 1e-9
    qr_every: int | str = "auto"
    seed: int = 0
    base: float | str = "e"
    layout: str | None = None
    convergence_tol: float = 1e-3
    progress: bool = False
    compile: bool = False

    def run_fields(self) -> dict:
        """The fields that shape the run itself (all but ``convergence_tol`` and ``progress``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("convergence_tol", "progress")}


@dataclass(frozen=True)
class FTLESettings:
    """How finite-time Lyapunov exponents are computed (everything but the points, horizon and inputs).

    Attributes:
        k: how many leading FTLEs to return (default 1; at most ``n``, or ``m`` with ``directions``).
        dt: the step of a fixed-step ``method`` for a flow (default 0.01 time units, adjusted to divide ``T``;
            unused by an adaptive ``method``, which integrates ``[0, T]`` in one solve).
        method: the integration scheme of a flow (default ``"rk4"``, classical RK4; ``"dopri5"`` etc. are
            adaptive with ``rtol``, ``atol``, default 1e-9 each).
        layout: ``"batch_first"`` or ``"time_first"`` reading of 3-D ``inputs``; default the system's
            ``input_layout`` (for :func:`~neurodyn.from_torch`, the module's ``batch_first``).
        matrix_free: power iteration for ``k = 1`` with a fixed-step scheme: memory ``O(n)`` per point instead of
            ``O(n m)``, for thousands of dimensions (default ``False``: the frame, much faster for moderate
            ``n``). power_tol: its relative stopping tolerance on ``sigma_1`` (default 1e-10). power_maxiter:
            its most iterations (default 200). seed: its start vectors (default 0).
        chunk: points processed together (default 4096; bounds the memory to ``chunk * n * m`` numbers per
            array; the result does not depend on it).

    See also: :class:`LyapunovSettings`.
    """

    k: int = 1
    dt: float = 0.01
    method: str = "rk4"
    rtol: float = 1e-9
    atol: float = 1e-9
    layout: str | None = None
    matrix_free: bool = False
    power_tol: float = 1e-10
    power_maxiter: int = 200
    seed: int = 0
    chunk: int = 4096
