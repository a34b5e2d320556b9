"""A compiled tangent step: ``(x, Q, c) -> (Phi(x, c), D Phi(x, c) @ Q)`` as one ``torch.compile``'d function.

``Phi`` is one step of the system (a map's step, or one fixed Runge–Kutta step of a flow) and ``D Phi`` its
Jacobian by ``torch.func.jacrev`` under ``vmap`` over the batch. The compiler fuses the state's stages, the
reverse pass and the product into a few kernels, which removes the per-operation overhead that dominates small
systems (a user-written Lorenz flow: about 3x less time per step than the eager analytic path). Compiling costs
seconds to tens of seconds once per run (and once more per new input shape), so it pays for long runs of small
systems (tens of thousands of steps), not for short ones.

Every run compiles its own entry for the same function, and torch falls back to eager execution (correct, not
faster) once its recompile limit (``torch._dynamo.config.recompile_limit``, 8 by default) is reached: about eight
``compile=True`` runs on different systems or shapes per process.

Compiled kernels may round differently from eager PyTorch (fused multiply-adds, reordered sums): on a chaotic
system the trajectory then departs from the eager one at the level of rounding and the exponents agree within
their statistical error, not bit for bit.
"""

from __future__ import annotations

import torch
from torch.func import jacrev, vmap

from neurodyn.integrate.tableau import ButcherTableau, rk_step
from neurodyn.systems.protocol import System, torch_internal_deprecations_ignored


def compiled_tangent_step(system: System, tableau: ButcherTableau | None, dt: float | None, *, batched_input: bool):
    """``step(x: (B, n), Q: (B, m, k), c) -> (x', Q')`` compiled once; ``c`` is a map's input ``(B, d)`` (or
    ``None``) or a flow's time (a 0-d tensor). ``tableau`` and ``dt`` are ``None`` for maps."""

    def phi(x, c):
        if tableau is None:
            return system.f(x, c)
        return rk_step(tableau, lambda s, y: (system.f(y[0], s),), c, (x,), dt)[0]

    jac = vmap(jacrev(phi), in_dims=(0, 0 if batched_input else None))

    def step(x, Q, c):
        J = system._restrict_matrix(jac(x, c))
        return phi(x, c), J @ Q

    compiled = compile_quietly(step)

    def run(x, Q, c):
        return compiled(x, Q.contiguous(), c)  # one memory layout: the compiled code is reused, not recompiled

    return run


def compile_quietly(fn, **options):
    """``torch.compile(fn, dynamic=False, **options)``, with the deprecation warnings that torch's compiler raises
    from its own modules (while it is imported, and while it compiles on the first call) ignored; every other
    warning, and every warning of later calls, passes."""
    with torch_internal_deprecations_ignored():  # importing torch's compiler warns from its own modules
        compiled = torch.compile(fn, **{"dynamic": False, **options})
    first = True

    def run(*args):
        nonlocal first
        if not first:
            return compiled(*args)
        first = False
        with torch_internal_deprecations_ignored():  # compilation happens on the first call
            return compiled(*args)

    return run
