"""The maximal Lyapunov exponent from one tangent vector pushed by forward-mode JVPs."""

from __future__ import annotations

from torch import nn

from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.spectrum import _measure, _setup
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
    renorm_every: int = 1,
    seed: int = 0,
    base: float | str = "e",
    strict: bool = True,
    convergence_tol: float = 1e-3,
    progress: bool = False,
) -> LyapunovSpectrum:
    """The maximal Lyapunov exponent ``lambda_1 = lim (1/T) log |J_T v| `` (Benettin et al. 1980).

    One tangent vector is pushed with ``torch.func.jvp`` (for flows: through every stage of the
    integrator), renormalised every ``renorm_every`` steps; no Jacobian is ever formed, so the cost per
    step is about that of one extra evaluation of the system, whatever its dimension.

    Arguments are those of :func:`~neurodyn.lyapunov_spectrum` (``renorm_every`` is its ``qr_every``).
    Returns a :class:`LyapunovSpectrum` with one exponent (``method="jvp"``), in nats (or bits) per step
    for maps and per unit time for flows.
    """
    run = _setup(system, steps=steps, k=1, transient=transient, tangent_transient=tangent_transient, x0=x0,
                 inputs=inputs, batch=batch, dt=dt, method=method, rtol=rtol, atol=atol, qr_every=renorm_every,
                 seed=seed, base=base, use_jvp=True)
    return _measure(run, strict=strict, convergence_tol=convergence_tol, progress=progress, label="jvp")
