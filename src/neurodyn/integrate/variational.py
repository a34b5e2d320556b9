"""Advance a state and a tangent frame together: ``x[t+1] = f(x, u)``, ``Q <- J Q`` for maps and
``dx/dt = f(t, x)``, ``dQ/dt = J(t, x) Q`` for flows (the variational equation)."""

from __future__ import annotations

import torch
from torchdiffeq import odeint

from neurodyn.errors import DivergenceError, InvalidInputError
from neurodyn.integrate.compiled import compiled_tangent_step
from neurodyn.integrate.tableau import TABLEAUX, rk_step
from neurodyn.systems.protocol import Flow, System, reverse_jacobian

ADAPTIVE = ("dopri5", "dopri8", "bosh3", "adaptive_heun", "fehlberg2")


class VariationalIntegrator:
    """One ``advance(x, Q, i)`` for every kind of system: step ``i`` of the state and (if ``Q`` is given)
    of the tangent frame ``Q: (..., tangent_dim, k)``.

    For maps a step is one application of the map with input ``inputs[:, i]`` (if any). For flows a step
    advances time by ``dt``: one step of the fixed-step scheme ``method`` (``"rk4"``, ``"rk38"``,
    ``"midpoint"``, ``"euler"``), or an adaptive torchdiffeq solve over ``[t, t + dt]`` for ``"dopri5"``
    and friends with tolerances ``rtol``, ``atol``.

    ``use_jvp`` pushes the frame with forward-mode products instead of forming an analytic Jacobian.
    ``compile`` pushes state and frame with one compiled function per step
    (:func:`~neurodyn.integrate.compiled.compiled_tangent_step`; maps and fixed-step flows).

    A flow with neither an analytic Jacobian nor a frame push-forward (a user's own field), integrated by a
    fixed-step scheme with a frame of at least ``n / 2`` columns, is linearised a whole step at a time: the
    Jacobian ``D Phi`` of the Runge–Kutta step map ``Phi`` comes from one reverse-mode pass through all its
    stages (:func:`~neurodyn.systems.protocol.reverse_jacobian`), and ``Q <- D Phi Q``. An explicit Runge–Kutta
    scheme commutes with linearisation (its stages for ``dQ/dt = J Q`` are ``D Phi``'s chain rule through the
    state's stages), so this is the same frame, up to rounding, as integrating the variational equation stage
    by stage, at one backward pass per step instead of one per stage.
    """

    def __init__(self, system: System, *, inputs=None, dt=None, method="rk4", rtol=1e-9, atol=1e-9,
                 use_jvp=False, compile=False):
        self.system = system
        self.inputs = inputs
        self.use_jvp = use_jvp
        self.is_flow = isinstance(system, Flow)
        if self.is_flow:
            if method in TABLEAUX:
                self.tableau = TABLEAUX[method]
            elif method in ADAPTIVE:
                self.tableau = None
            else:
                raise InvalidInputError(
                    f"unknown method {method!r}; use one of {sorted(TABLEAUX)} (fixed step) or {list(ADAPTIVE)}"
                )
            self.dt, self.method, self.rtol, self.atol = dt, method, rtol, atol
            self.t0 = 0.0
        generic = not system.has_analytic_jacobian and system.frame_push_forward is None
        self.whole_step = self.is_flow and self.tableau is not None and generic and not use_jvp
        self.compiled = None
        if compile:
            if self.is_flow and self.tableau is None:
                raise InvalidInputError(f"compile=True needs a fixed-step method (one of {sorted(TABLEAUX)}), not "
                                        f"the adaptive {method!r}; drop compile or pick a fixed-step method")
            if use_jvp:
                raise InvalidInputError("compile=True applies to the spectrum (lyapunov_spectrum), not to "
                                        "max_lyapunov's forward-mode products; drop compile")
            self.compiled = compiled_tangent_step(system, self.tableau if self.is_flow else None,
                                                  dt if self.is_flow else None,
                                                  batched_input=inputs is not None)

    def _input(self, i: int):
        return None if self.inputs is None else self.inputs[:, i]

    def _rhs(self, t, y):
        if len(y) == 1:
            return (self.system.f(y[0], t),)
        return self.system.push_forward(y[0], t, y[1], prefer_jvp=self.use_jvp)

    def advance(self, x: torch.Tensor, Q: torch.Tensor | None, i: int):
        """State (and frame) after step ``i``; returns ``(x, Q)`` (``Q`` is ``None`` if not given)."""
        if Q is not None and self.compiled is not None:
            c = self._input(i) if not self.is_flow else torch.tensor(self.t0 + i * self.dt, dtype=x.dtype,
                                                                       device=x.device)
            return self.compiled(x, Q, c)
        if not self.is_flow:
            if Q is None:
                return self.system.f(x, self._input(i)), None
            return self.system.push_forward(x, self._input(i), Q, prefer_jvp=self.use_jvp)
        y = (x,) if Q is None else (x, Q)
        t = self.t0 + i * self.dt
        if Q is not None and self.whole_step and 2 * Q.shape[-1] >= self.system.dim:
            return self._linearised_step(x, Q, torch.tensor(t, dtype=x.dtype, device=x.device))
        if self.tableau is not None:
            y = rk_step(self.tableau, self._rhs, torch.tensor(t, dtype=x.dtype, device=x.device), y, self.dt)
        else:
            ts = torch.tensor([t, t + self.dt], dtype=x.dtype, device=x.device)
            try:
                sol = odeint(self._rhs, y, ts, rtol=self.rtol, atol=self.atol, method=self.method)
            except AssertionError as exc:  # torchdiffeq signals a collapsing step size this way
                raise DivergenceError(
                    f"{self.system.name!r}: the adaptive solver {self.method!r} failed in step {i + 1} "
                    f"(t = {t:g} .. {t + self.dt:g}): {exc}; the solution may blow up there, or loosen rtol/atol",
                    step=i + 1,
                ) from exc
            y = tuple(s[-1] for s in sol)
        return y[0], (y[1] if Q is not None else None)

    def _linearised_step(self, x: torch.Tensor, Q: torch.Tensor, t: torch.Tensor):
        """One fixed step of the state and ``D Phi @ Q``, ``D Phi`` by one reverse pass through the whole step."""
        system = self.system
        out, J = reverse_jacobian(lambda xs: rk_step(self.tableau, self._rhs, t, (xs,), self.dt)[0], x)
        return out, system._restrict_frame(J @ system._embed_frame(Q))
