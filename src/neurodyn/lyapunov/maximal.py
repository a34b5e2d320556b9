"""The maximal Lyapunov exponent from one tangent vector pushed by forward-mode JVPs."""

from __future__ import annotations

from torch import nn

from neurodyn._compat import renamed
from neurodyn._settings import with_options
from neurodyn.errors import InvalidInputError
from neurodyn.lyapunov.plan import RunOptions, plan_run
from neurodyn.lyapunov.result import LyapunovSpectrum
from neurodyn.lyapunov.settings import LyapunovSettings
from neurodyn.lyapunov.spectrum import ARGUMENTS, measure
from neurodyn.systems.protocol import System


def max_lyapunov(
    system: System | nn.Module,
    *,
    steps: int | None = None,
    x0=None,
    inputs=None,
    strict: bool | None = None,
    settings: LyapunovSettings | None = None,
    **options,
) -> LyapunovSpectrum:
    """The maximal Lyapunov exponent ``lambda_1 = lim (1/T) log |J_T v|`` (Benettin et al. 1980).

    One tangent vector is pushed with ``torch.func.jvp`` (for flows: through every stage of the
    integrator) and renormalised every ``qr_every`` steps; no Jacobian is ever formed, so the cost per
    step is about that of one extra evaluation of the system, whatever its dimension.

    Arguments are those of :func:`~neurodyn.lyapunov_spectrum`: ``steps``, ``x0``, ``inputs``, ``strict``,
    ``settings`` (a :class:`~neurodyn.LyapunovSettings`, whose ``k`` must be ``None`` or 1) and its fields as
    keywords; ``renorm_every`` is the deprecated former name of ``qr_every``. The status (``"converged"``,
    ``"unconverged"``, ``"too short"``, ``"diverged"``) and ``strict`` behave as there.

    Returns a :class:`LyapunovSpectrum` with one exponent (``method="jvp"``), in nats (or bits) per step
    for maps and per unit time for flows.

    See also: :func:`~neurodyn.lyapunov_spectrum` (the leading ``k`` exponents by the QR method).
    """
    qr_every = renamed("max_lyapunov", "renorm_every", options.pop("renorm_every", None), "qr_every",
                       options.pop("qr_every", None), default=None)
    if qr_every is not None:
        options["qr_every"] = qr_every
    s = with_options(LyapunovSettings, settings, options, "max_lyapunov", arguments=ARGUMENTS)
    if s.k not in (None, 1):
        raise InvalidInputError(f"max_lyapunov measures one exponent, got k={s.k!r}; drop k or use "
                                "lyapunov_spectrum for more")
    opts = RunOptions(steps=steps, x0=x0, inputs=inputs, use_jvp=True, **{**s.run_fields(), "k": 1})
    return measure(plan_run(system, opts), strict=strict, convergence_tol=s.convergence_tol, progress=s.progress,
                   label="jvp")
