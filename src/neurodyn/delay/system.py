"""The third system kind: :class:`DelayFlow`, ``dx/dt = field(t, x(t), x(t - tau_1), ..., x(t - tau_m))``.

A delay system's state is not ``x(t)`` but the history segment ``x|[t - tau_max, t]``: it is infinite-
dimensional. The analyses of :mod:`neurodyn.delay` discretise that segment at the integrator's nodes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError, UnsupportedModelError
from neurodyn.systems.modules import copy_weight, forward_takes_time
from neurodyn.systems.protocol import Parametrised, _check_output, load_forward_ad

History = Callable[[torch.Tensor], torch.Tensor]


class DelayFlow(Parametrised):
    """A delay differential equation ``dx/dt = field(t, x(t), x_delayed)`` with constant delays.

    The state at time ``t`` is the history segment ``x|[t - tau_max, t]`` (``tau_max = max(delays)``).

    Args:
        field: batched function ``(t, x: (..., n), x_delayed) -> (..., n)`` (``field(t, x, x_delayed, params)``
            when ``params`` is given). Layout of ``x_delayed``: for a single delay given as a number,
            ``x(t - tau)`` with shape ``(..., n)``; for ``delays`` given as a sequence (even of length one),
            ``x_delayed[..., j, :] = x(t - delays[j])`` with shape ``(..., m, n)``. Build it from torch
            operations so that it can be differentiated (training, tangent vectors).
        dim: state dimension ``n``.
        delays: one positive finite delay ``tau`` or a sequence of them (time units).
        history: the default initial history ``phi`` on ``[-tau_max, 0]``: a tensor ``(n,)`` or ``(B, n)`` (a
            constant history; ``B`` histories), or a callable ``phi(t: (T,)) -> (T, n)`` or ``(B, T, n)``
            built from torch operations (its slope ``phi'`` is taken by forward-mode differentiation).
            ``None``: the constant history 1 for :func:`~neurodyn.delay.solve_dde`; Lyapunov runs without ``x0``
            use it when set, else draw ``batch`` histories with ``sample_history``.
        params: optional dict of named tensors, passed as the fourth argument.
        name: a label for messages and results.
        sample_history: optional ``(batch, generator) -> (batch, n)`` drawing constant initial histories
            (for Lyapunov spectra over several histories); default ``1 + 0.1 * N(0, 1)``.
        jacobian: optional analytic derivatives with the field's arguments, returning ``(df/dx (..., n, n),
            df/dx_delayed)``, the second ``(..., n, n)`` for a single delay or ``(..., m, n, n)`` (one block per
            delay); default: reverse-mode autodiff of ``field``. Public attribute of the same name.
        dtype, device: of the states the analyses use (default float64 on the CPU).

    Attributes besides the arguments: ``module`` and ``weights`` (``None`` unless built by :meth:`from_module`:
    the private copy of the module and its copied weights, which :func:`~neurodyn.memory_capacity` reads),
    ``kind = "delay"``, ``tau_max``.

    Exponents of delay systems are measured in nats per unit time.

    See also: :func:`neurodyn.delay.solve_dde`, :func:`neurodyn.lyapunov_spectrum`,
    :func:`neurodyn.memory_capacity`, :func:`neurodyn.systems.mackey_glass`.
    """

    kind = "delay"
    input_dim = 0  # autonomous apart from the time argument: no driving input

    def __init__(self, field: Callable, dim: int, delays, *, history=None, params: Mapping | None = None,
                 name: str | None = None, sample_history: Callable | None = None, jacobian: Callable | None = None,
                 dtype: torch.dtype = torch.float64, device=None):
        if not callable(field):
            raise InvalidInputError(f"the delay field must be callable, got {type(field).__name__}")
        self.fn = field
        self.dim = positive_int(dim, name="dim")
        self.name = name or getattr(field, "__name__", "delay flow")
        self.dtype = dtype
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.single = not isinstance(delays, (Sequence, torch.Tensor)) or (
            isinstance(delays, torch.Tensor) and delays.ndim == 0)
        self.delays = _check_delays(delays, name=self.name)
        self.history = history
        for label, fn in (("sample_history", sample_history), ("jacobian", jacobian)):
            if fn is not None and not callable(fn):
                raise InvalidInputError(f"{label} of {self.name!r} must be callable")
        self.jacobian = jacobian
        self.module: nn.Module | None = None  # set by from_module: the private evaluation copy
        self.weights: dict[str, torch.Tensor] | None = None  # set by from_module: the copied weights
        self._sample_history = sample_history
        self.params: dict[str, torch.Tensor] | None = None
        if params is not None:
            if not isinstance(params, Mapping):
                raise InvalidInputError(f"params of {self.name!r} must be a dict of named tensors")
            self.params = {str(k): as_tensor(v, name=f"parameter {k!r} of {self.name!r}", dtype=dtype,
                                             device=self.device) for k, v in params.items()}

    # -- evaluation --------------------------------------------------------------------------------------
    @property
    def tau_max(self) -> float:
        """The longest delay (the length of the history segment)."""
        return max(self.delays)

    def field(self, t, x: torch.Tensor, x_delayed: torch.Tensor) -> torch.Tensor:
        """``dx/dt`` at time ``t`` from ``x: (..., n)`` and ``x_delayed`` in the layout of the class docstring."""
        return self.fn(t, x, x_delayed) if self.params is None else self.fn(t, x, x_delayed, self.params)

    def stacked_jacobian(self, t, x: torch.Tensor, xd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The analytic ``jacobian`` with the delayed blocks always stacked: ``((..., n, n), (..., m, n, n))``."""
        args = (t, x, xd[..., 0, :] if self.single else xd) + (() if self.params is None else (self.params,))
        Jx, Jd = self.jacobian(*args)
        return Jx, (Jd.unsqueeze(-3) if self.single else Jd)

    def stacked_field(self, t, x: torch.Tensor, xd: torch.Tensor) -> torch.Tensor:
        """The field with the delayed states always stacked, ``xd: (..., m, n)`` (the integrator's view)."""
        return self.field(t, x, xd[..., 0, :] if self.single else xd)

    def probe(self, x: torch.Tensor, xd: torch.Tensor) -> torch.Tensor:
        """Evaluate the field (and the analytic ``jacobian``, if any) once on ``x: (B, n)``, ``xd: (B, m, n)`` and
        check that it returns a finite tensor of ``x``'s shape and dtype (the Jacobian blocks: ``(B, n, n)`` and
        ``(B, m, n, n)``); raises :class:`~neurodyn.InvalidInputError` naming the function otherwise."""
        label = f"the delay field of {self.name!r}"
        t = torch.zeros((), dtype=x.dtype, device=x.device)
        try:
            out = self.stacked_field(t, x, xd)
        except Exception as exc:
            raise InvalidInputError(f"{label} failed on states of shape {tuple(x.shape)}: {type(exc).__name__}: "
                                    f"{exc} (it receives t, x (..., n) and x_delayed {self.delayed_layout})") from exc
        _check_output(out, x.shape, x.dtype, label=label, expected=f"(..., {self.dim}) like x")
        if self.jacobian is not None:
            n, m = self.dim, len(self.delays)
            Jx, Jd = self.stacked_jacobian(t, x, xd)
            _check_output(Jx, (*x.shape, n), x.dtype, label=f"the jacobian (df/dx) of {self.name!r}",
                          expected=f"(..., {n}, {n})")
            _check_output(Jd, (*x.shape[:-1], m, n, n), x.dtype, label=f"the jacobian (df/dx_delayed) of {self.name!r}",
                          expected=f"(..., {n}, {n})" if self.single else f"(..., {m}, {n}, {n})")
        return out

    @property
    def delayed_layout(self) -> str:
        return "(..., n)" if self.single else f"(..., {len(self.delays)}, n)"

    # -- histories ------------------------------------------------------------------------------------------
    def sample_history(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """``batch`` constant initial histories ``(batch, n)`` drawn with ``generator``."""
        if self._sample_history is not None:
            h = self._sample_history(batch, generator)
        else:
            h = 1 + 0.1 * torch.randn(batch, self.dim, generator=generator, dtype=torch.float64)
        return h.to(dtype=self.dtype, device=self.device)

    def history_nodes(self, history, nodes: torch.Tensor, *, name: str = "history") -> tuple[torch.Tensor, ...]:
        """Values and slopes ``(B, T, n)`` of an initial history at the times ``nodes: (T,)`` (in ``[-tau_max, 0]``).

        ``history`` is a constant ``(n,)``/``(B, n)`` tensor or a callable (see the class docstring).
        """
        if history is None:
            history = self.history if self.history is not None else torch.ones(self.dim, dtype=self.dtype)
        if callable(history) and not isinstance(history, torch.Tensor):
            return self._callable_history(history, nodes, name)
        h = as_tensor(history, name=name, dtype=self.dtype, device=self.device)
        if h.ndim == 1:
            h = h.unsqueeze(0)
        if h.ndim != 2 or h.shape[-1] != self.dim or len(h) == 0:
            raise InvalidInputError(f"{name} has shape {tuple(h.shape)}; a constant history of {self.name!r} is "
                                    f"({self.dim},) or (batch, {self.dim}); pass a callable phi(t) for others")
        values = h.unsqueeze(1).expand(-1, len(nodes), -1)
        return values, torch.zeros_like(values)

    def _callable_history(self, phi: History, nodes: torch.Tensor, name: str) -> tuple[torch.Tensor, ...]:
        try:
            load_forward_ad()
            values, slopes = torch.func.jvp(phi, (nodes,), (torch.ones_like(nodes),))
        except Exception as exc:
            raise InvalidInputError(f"{name} failed on times of shape {tuple(nodes.shape)} in [-{self.tau_max:g}, 0]: "
                                    f"{type(exc).__name__}: {exc}; it must map t: (T,) to (T, {self.dim}) or "
                                    f"(B, T, {self.dim}) with torch operations") from exc
        if not isinstance(values, torch.Tensor) or values.shape[-2:] != (len(nodes), self.dim) or values.ndim > 3:
            got = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
            raise InvalidInputError(f"{name} returned {got} for {len(nodes)} times; it must return "
                                    f"({len(nodes)}, {self.dim}) or (batch, {len(nodes)}, {self.dim})")
        if not bool(torch.isfinite(values).all() and torch.isfinite(slopes).all()):
            raise NonFiniteError(f"{name} returned non-finite values (or slopes) on [-{self.tau_max:g}, 0]")
        if values.ndim == 2:
            values, slopes = values.unsqueeze(0), slopes.unsqueeze(0)
        return values.to(self.dtype), slopes.to(self.dtype)

    # -- conveniences (with_params: from Parametrised) --------------------------------------------------------

    @classmethod
    def from_module(cls, module: nn.Module, delays, *, dim: int | None = None, history=None, name: str | None = None,
                    dtype: torch.dtype = torch.float64, device=None) -> DelayFlow:
        """A delay flow from a module with ``forward(t, x, x_tau)`` returning ``dx/dt`` (``x_tau`` in the layout
        of the class docstring). The module is evaluated on a private copy in evaluation mode with copied,
        detached weights (the user's module is not changed); ``dim`` defaults to its integer attribute ``dim``,
        else the output width of its last weight matrix (the field's output is ``dx/dt``).

        The copied weights stay reachable as :attr:`module` (the private copy) and :attr:`weights` (name ->
        tensor), which :func:`~neurodyn.memory_capacity` reads.
        """
        if not takes_t_x_xtau(module):
            raise UnsupportedModelError(f"{type(module).__name__}.forward must take (t, x, x_tau) for a delay flow")
        label = name or type(module).__name__
        weights = {k: copy_weight(v, what=f"{label}.{k}", dtype=dtype, device=device)
                   for k, v in module.named_parameters()}
        buffers = {k: v.detach().clone().to(device=device) for k, v in module.named_buffers()}
        runner = copy.deepcopy(module).eval()  # private: dropout off, the user's module untouched
        state = {**weights, **buffers}

        def field(t, x, xd):
            return torch.func.functional_call(runner, state, (t, x, xd))

        flow = cls(field, dim if dim is not None else _output_dim(module), delays, history=history, name=label,
                   dtype=dtype, device=device)
        flow.module, flow.weights = runner, weights
        return flow

    def __repr__(self) -> str:
        d = ", ".join(f"{v:g}" for v in self.delays)
        return f"DelayFlow({self.name!r}, dim={self.dim}, delays=({d}))"


def _output_dim(module: nn.Module) -> int:
    dim = getattr(module, "dim", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    matrices = [p for p in module.parameters() if p.ndim == 2]
    if not matrices:
        raise UnsupportedModelError(f"cannot infer the state dimension of {type(module).__name__}; give it an "
                                    "integer attribute dim or pass dim=")
    return matrices[-1].shape[0]


def takes_t_x_xtau(module) -> bool:
    """Whether ``module.forward`` takes exactly three required positional arguments, the first a time."""
    return forward_takes_time(module, 3)


def _check_delays(delays, *, name: str) -> tuple[float, ...]:
    """The delays as a tuple of positive finite floats; an error naming ``delays`` otherwise."""
    try:
        values = [float(delays)] if not isinstance(delays, (Sequence, torch.Tensor)) else [
            float(d) for d in (delays.reshape(-1).tolist() if isinstance(delays, torch.Tensor) else delays)]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"delays of {name!r} must be a positive number or a sequence of them, "
                                f"got {delays!r}") from exc
    if not values:
        raise InvalidInputError(f"delays of {name!r} is empty; give at least one positive delay")
    for d in values:
        if not (math.isfinite(d) and d > 0):
            raise InvalidInputError(f"delays of {name!r} must be positive and finite, got {d!r}; a zero delay is an "
                                    "ordinary differential equation (use neurodyn.Flow)")
    return tuple(values)
