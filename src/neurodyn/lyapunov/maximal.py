"""The maximal Lyapunov exponent from one tangent vector pushed by forward-mode JVPs."""

from __future__ import annotations

from torch import nn

from neurodyn._compat import renamed
from neurodyn.lyapunov.plan import RunOptions, plan_run
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.spectrum import measure
from neurodyn.systems.protocol import System


def max_lyapunov(
    system: System | nn.Module,
    *,
    steps: int | None = None,
    transient: int = 0,
    tangent_transient: int = 0,
    x0=None,
    inputs=None,
    batch: int | None = None,
    dt: float | None = None,
    method: str = "rk4",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    qr_every: int | str | None = None,
    seed: int = 0,
    base: float | str = "e",
    strict: bool | None = None,
    convergence_tol: float = 1e-3,
    progress: bool = False,
    layout: str | None = None,
    renorm_every: int | None = None,
) -> LyapunovSpectrum:
    """The maximal Lyapunov exponent ``lambda_1 = lim (1/T) log |J_T v|`` (Benettin et al. 1980).

    One tangent vector is pushed with ``torch.func.jvp`` (for flows: through every stage of the
    integrator) and renormalised every ``qr_every`` steps; no Jacobian is ever formed, so the cost per
    step is about that of one extra evaluation of the system, whatever its dimension.

    Arguments are those of :func:`~neurodyn.lyapunov_spectrum` (``k`` is 1); ``renorm_every`` is the
    deprecated former name of ``qr_every``. The status (``"converged"``, ``"unconverged"``, ``"too short"``,
    ``"diverged"``) and ``strict`` behave as there.

    Returns a :class:`LyapunovSpectrum` with one exponent (``method="jvp"``), in nats (or bits) per step
    for maps and per unit time for flows.

    See also: :func:`~neurodyn.lyapunov_spectrum` (the leading ``k`` exponents by the QR method).
    """
    qr_every = renamed("max_lyapunov", "renorm_every", renorm_every, "qr_every", qr_every, default=1)
    opts = RunOptions(steps=steps, k=1, transient=transient, tangent_transient=tangent_transient, x0=x0,
                      inputs=inputs, batch=batch, dt=dt, method=method, rtol=rtol, atol=atol, qr_every=qr_every,
                      seed=seed, base=base, layout=layout, use_jvp=True)
    return measure(plan_run(system, opts), strict=strict, convergence_tol=convergence_tol, progress=progress,
                   label="jvp")
