"""The system protocol: :class:`Map` (``x[t+1] = step(x[t], u[t])``) and :class:`Flow` (``dx/dt = field(t, x)``).

A system wraps a user function that is *batched over any leading dimensions*: it takes states of shape
``(..., n)`` (and, for maps, inputs ``(..., m)`` or ``None``) and returns ``(..., n)``. Jacobians come from
an analytic function when one is given, otherwise from ``torch.func`` forward mode (``jvp``, with the
tangent vectors as an extra batch dimension). Products with a single tangent vector (:meth:`System.jvp`)
always use forward mode, so no Jacobian is formed where only its action is needed.

Both kinds share one internal signature, ``f(x, c)``, where ``c`` is the input ``u`` of a map or the time
``t`` of a flow; every analysis is written once against it.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Mapping

import torch
from torch.func import jvp as _torch_jvp

from neurodyn._checks import as_tensor, positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError

Sampler = Callable[[int, torch.Generator], torch.Tensor]
INPUT_LAYOUTS = ("batch_first", "time_first")


@contextlib.contextmanager
def torch_internal_deprecations_ignored():
    """Ignore the ``torch.jit.script(_method) is deprecated`` warnings that torch raises from its own modules while
    loading its forward-mode decompositions or its compiler (neither neurodyn nor the user calls TorchScript), and
    the ``torch._prims_common.check is deprecated`` warning its compiler raises from its own lowering code; every
    other warning passes."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.* is deprecated", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*torch\._prims_common\.check.* is deprecated",
                                category=FutureWarning)
        yield


@functools.cache
def load_forward_ad() -> None:
    """Load torch's forward-mode decompositions once, without the ``torch.jit.script is deprecated`` warning that
    torch raises from its own module ``torch._decomp.decompositions_for_jvp`` the first time any forward-mode
    product (``torch.func.jvp``, ``jacfwd``, dual tensors) runs in a process. Called when this module is imported,
    so that no forward-mode use anywhere in the library (continuation, training, maximal exponents) shows it."""
    with torch_internal_deprecations_ignored():
        try:
            import torch._decomp.decompositions_for_jvp  # noqa: F401
        except ImportError:  # pragma: no cover - older or newer torch without the module
            pass


load_forward_ad()


@functools.lru_cache(maxsize=16)
def _identity(n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The ``(n, n)`` identity, made once per shape: the seed of every reverse-mode Jacobian."""
    return torch.eye(n, dtype=dtype, device=device)


def _is_batched_input(c) -> bool:
    """A map's input ``(..., m)`` with batch dimensions (a flow's time and ``None`` are not)."""
    return isinstance(c, torch.Tensor) and c.ndim >= 2


def _check_output(out, shape, dtype, *, label: str, expected: str) -> None:
    """Raise a clear error unless ``out`` is a finite floating tensor of ``shape`` (see :meth:`System.probe`)."""
    if not isinstance(out, torch.Tensor):
        raise InvalidInputError(f"{label} returned {type(out).__name__}, not a torch tensor; it must return a "
                                f"tensor of shape {expected} (build it with torch operations, not numpy)")
    if tuple(out.shape) != tuple(shape):
        raise InvalidInputError(f"{label} returned shape {tuple(out.shape)}; it must return {expected}, "
                                f"here {tuple(shape)}")
    if out.dtype != dtype:
        raise InvalidInputError(f"{label} returned dtype {out.dtype} for {dtype} states; it must keep the "
                                "states' dtype (do not cast inside the function)")
    if not bool(torch.isfinite(out).all()):
        bad = int((~torch.isfinite(out)).sum())
        raise NonFiniteError(f"{label} returned {bad} non-finite value(s) (NaN or inf) at the starting states; "
                             "check the function and the states it is started from")


def reverse_jacobian(g: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(g(x), dg/dx)`` for a function ``g: (..., n) -> (..., n)`` batched over leading dimensions, from one
    reverse-mode pass.

    ``g`` is evaluated on ``n`` copies of each state, ``(..., n, n)``, and the backward pass is seeded with the
    identity: copy ``i`` receives the output cotangent ``e_i``, so its gradient is row ``i`` of the Jacobian.
    One backward pass replaces ``n`` forward-mode products, whose per-operation cost is far higher for small
    states (Lorenz: about 0.07 ms against 1.8 ms per Jacobian), and seeding with the identity rather than
    differentiating the sum of the output's diagonal halves the backward pass on small systems. Inputs that
    ``g`` needs per state must be expanded along the copies by the caller.
    """
    n = x.shape[-1]
    with torch.enable_grad():
        xs = x.detach().unsqueeze(-2).expand(*x.shape[:-1], n, n).clone().requires_grad_(True)
        out = g(xs)
        if not out.requires_grad:  # the function ignores x (or cuts the graph): its Jacobian is zero
            return out[..., 0, :], torch.zeros_like(xs)
        (J,) = torch.autograd.grad(out, xs, _identity(n, out.dtype, out.device).expand(out.shape),
                                   allow_unused=True)
    return out.detach()[..., 0, :], (torch.zeros_like(xs) if J is None else J)


class Parametrised:
    """What every system kind with a ``params`` dict (``name``, ``dtype``, ``device`` too) can do with it."""

    def with_params(self, **updates):
        """A copy of this system with some parameters replaced (the original is unchanged)."""
        if self.params is None or not set(updates) <= set(self.params):
            unknown = sorted(set(updates) - set(self.params or {}))
            raise InvalidInputError(f"{self.name!r} has no parameter(s) {unknown}; it has {sorted(self.params or {})}")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.params = dict(self.params)
        for k, v in updates.items():
            new.params[k] = as_tensor(v, name=f"parameter {k!r}", dtype=self.dtype, device=self.device)
        return new


class System(Parametrised):
    """Common machinery of :class:`Map` and :class:`Flow`; not constructed directly."""

    kind: str = "system"

    def __init__(
        self,
        fn: Callable,
        dim: int,
        *,
        jacobian: Callable | None = None,
        params: Mapping[str, object] | None = None,
        name: str | None = None,
        input_dim: int = 0,
        sample_state: Sampler | None = None,
        tangent_index: torch.Tensor | None = None,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
        frame_push_forward: Callable | None = None,
        tanh_form=None,
        fresh_jacobian: bool = False,
        fixed_point_residual: Callable | None = None,
        input_layout: str = "batch_first",
    ):
        if not callable(fn):
            raise InvalidInputError(f"the {self.kind} function must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.dim = positive_int(dim, name="dim")
        self.input_dim = positive_int(input_dim, name="input_dim", minimum=0)
        self.name = name or getattr(fn, "__name__", self.kind)
        self.dtype = dtype
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self._jacobian = jacobian
        for label, fn_opt in (("frame_push_forward", frame_push_forward),
                              ("fixed_point_residual", fixed_point_residual)):
            if fn_opt is not None and not callable(fn_opt):
                raise InvalidInputError(f"{label} of {self.name!r} must be callable, got {type(fn_opt).__name__}")
        self.frame_push_forward = frame_push_forward
        self.tanh_form = tanh_form
        self.fresh_jacobian = bool(fresh_jacobian)
        self.fixed_point_residual = fixed_point_residual
        if input_layout not in INPUT_LAYOUTS:
            raise InvalidInputError(f"input_layout of {self.name!r} must be one of {INPUT_LAYOUTS}, "
                                    f"got {input_layout!r}")
        self.input_layout = input_layout
        self._sample_state = sample_state
        self.params: dict[str, torch.Tensor] | None = None
        if params is not None:
            if not isinstance(params, Mapping):
                raise InvalidInputError(f"params of {self.name!r} must be a dict of named tensors")
            self.params = {
                str(k): as_tensor(v, name=f"parameter {k!r} of {self.name!r}", dtype=dtype, device=self.device)
                for k, v in params.items()
            }
        if tangent_index is not None:
            tangent_index = torch.as_tensor(tangent_index, dtype=torch.long, device=self.device)
            if (tangent_index.ndim != 1 or len(tangent_index) == 0 or int(tangent_index.min()) < 0
                    or int(tangent_index.max()) >= dim or len(torch.unique(tangent_index)) != len(tangent_index)):
                raise InvalidInputError(
                    f"tangent_index of {self.name!r} must list distinct coordinates in [0, {dim})"
                )
        self.tangent_index = tangent_index

    # -- the one internal signature ---------------------------------------------------------------------
    def _call(self, fn: Callable, x: torch.Tensor, c):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def f(self, x: torch.Tensor, c=None) -> torch.Tensor:
        """The map's next state or the flow's velocity, ``(..., n)``."""
        return self._call(self.fn, x, c)

    def probe(self, x: torch.Tensor, c=None) -> torch.Tensor:
        """Evaluate the user's function once at ``x: (..., n)`` and check what it returns; returns ``f(x)``.

        Every analysis calls this on its first states before trusting the function (a single state ``(n,)``
        is probed as a batch of two copies): the result must be a torch tensor of the states' shape
        ``(..., n)`` and floating dtype, with finite values (and an analytic ``jacobian``, when given, must
        return finite ``(..., n, n)``). Anything else raises
        :class:`~neurodyn.InvalidInputError` (:class:`~neurodyn.NonFiniteError` for NaN/inf) naming the
        function, what was expected and what came back.
        """
        if x.ndim != 1:
            return self._check_call(x, c)
        # one state is probed as a batch of two: a function that mishandles batch dimensions shows itself
        c2 = c.expand(2, -1).clone() if self.kind == "map" and isinstance(c, torch.Tensor) and c.ndim == 1 else c
        try:
            return self._check_call(x.expand(2, -1).clone(), c2)[0]
        except InvalidInputError as exc:
            self._check_call(x, c)  # broken for the one state too: that error, without the hint below
            raise type(exc)(f"{exc} (one state was evaluated as a batch of two: the function must accept "
                            "leading batch dimensions, (..., n) -> (..., n))") from exc

    def _check_call(self, x: torch.Tensor, c) -> torch.Tensor:
        """:meth:`probe` for the states ``x`` as given."""
        what = "step" if self.kind == "map" else "field"
        label = f"the {what} function of {self.name!r}"
        try:
            out = self.f(x, c)
        except Exception as exc:
            raise InvalidInputError(f"{label} failed on states of shape {tuple(x.shape)} and dtype {x.dtype}: "
                                    f"{type(exc).__name__}: {exc}") from exc
        _check_output(out, x.shape, x.dtype, label=label, expected=f"(..., {self.dim}) like its input")
        if self._jacobian is not None:
            J = self._call(self._jacobian, x, c)
            _check_output(J, (*x.shape, self.dim), x.dtype, label=f"the jacobian of {self.name!r}",
                          expected=f"(..., {self.dim}, {self.dim})")
        return out

    @property
    def tangent_dim(self) -> int:
        """Dimension of the tangent space the analyses see (``dim`` unless ``tangent_index`` restricts it)."""
        return self.dim if self.tangent_index is None else len(self.tangent_index)

    @property
    def has_analytic_jacobian(self) -> bool:
        return self._jacobian is not None

    def jacobian(self, x: torch.Tensor, c=None) -> torch.Tensor:
        """Jacobian ``d f / d x`` at ``x``: ``(..., n, n)`` (restricted to ``tangent_index`` if set)."""
        if self._jacobian is not None:
            return self._restrict_matrix(self._call(self._jacobian, x, c))
        # forward mode, so that the Jacobian can itself be differentiated or used under torch.func transforms
        eye = torch.eye(self.tangent_dim, dtype=x.dtype, device=x.device)
        return self.push_forward(x, c, eye.expand(*x.shape[:-1], -1, -1), prefer_jvp=True)[1]

    def jvp(self, x: torch.Tensor, c, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(f(x), J(x) v)`` for one tangent vector per state, ``v: (..., tangent_dim)``."""
        out, jv = self.push_forward(x, c, v.unsqueeze(-1), prefer_jvp=True)
        return out, jv.squeeze(-1)

    def push_forward(
        self, x: torch.Tensor, c, V: torch.Tensor, *, prefer_jvp: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(f(x), J(x) @ V)`` for a frame ``V: (..., tangent_dim, k)``.

        With a structured analytic push-forward (the recurrent adapters attach one that uses their
        Jacobians' block structure) or an analytic Jacobian, and ``prefer_jvp`` False, that is used.
        Otherwise, when the frame has at least ``n / 2`` columns (and ``prefer_jvp`` is False), ``J`` is formed
        by one reverse-mode pass over ``n`` copies of each state (:meth:`_rows_by_reverse_mode`) and
        multiplied in; for thinner frames (or ``prefer_jvp``) the ``k`` columns are pushed through one
        forward-mode pass (``torch.func.jvp``) as an extra batch dimension, and no Jacobian is formed.
        """
        if self.frame_push_forward is not None and not prefer_jvp:
            out, JV = self.frame_push_forward(x, c, self._embed_frame(V))
            return out, self._restrict_frame(JV)
        if self._jacobian is not None and not prefer_jvp:
            return self.f(x, c), self.jacobian(x, c) @ V
        if not prefer_jvp and self.dim <= 2 * V.shape[-1]:
            out, J = self._rows_by_reverse_mode(x, c)
            return out, self._restrict_frame(J @ self._embed_frame(V))
        load_forward_ad()
        # The k columns ride along as an extra batch dimension of one forward-mode pass: the function is
        # batched over leading dimensions, and this avoids vmap's per-call overhead on small systems.
        full = self._embed_frame(V).transpose(-1, -2)  # (..., k, n)
        k = full.shape[-2]
        xs = x.unsqueeze(-2).expand(*x.shape[:-1], k, x.shape[-1]).contiguous()
        cs = c.unsqueeze(-2).expand(*c.shape[:-1], k, c.shape[-1]) if _is_batched_input(c) else c
        out, JV = _torch_jvp(lambda y: self.f(y, cs), (xs,), (full,))
        return out[..., 0, :], self._restrict_frame(JV.transpose(-1, -2))

    def _rows_by_reverse_mode(self, x: torch.Tensor, c) -> tuple[torch.Tensor, torch.Tensor]:
        """``(f(x), J(x))`` by :func:`reverse_jacobian` (one reverse-mode pass over ``n`` copies of each state)."""
        cs = c.unsqueeze(-2).expand(*c.shape[:-1], x.shape[-1], c.shape[-1]) if _is_batched_input(c) else c
        return reverse_jacobian(lambda xs: self.f(xs, cs), x)

    # -- tangent restriction (e.g. the h-only view of an LSTM) ------------------------------------------
    def _embed(self, v: torch.Tensor) -> torch.Tensor:
        if self.tangent_index is None:
            return v
        full = v.new_zeros(*v.shape[:-1], self.dim)
        full[..., self.tangent_index] = v
        return full

    def _restrict(self, v: torch.Tensor) -> torch.Tensor:
        return v if self.tangent_index is None else v[..., self.tangent_index]

    def _embed_frame(self, V: torch.Tensor) -> torch.Tensor:
        return self._embed(V.transpose(-1, -2)).transpose(-1, -2)

    def _restrict_frame(self, V: torch.Tensor) -> torch.Tensor:
        return V if self.tangent_index is None else V[..., self.tangent_index, :]

    def _restrict_matrix(self, J: torch.Tensor) -> torch.Tensor:
        if self.tangent_index is None:
            return J
        idx = self.tangent_index
        return J[..., idx, :][..., :, idx]

    # -- states ---------------------------------------------------------------------------------------
    def sample_state(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """``batch`` initial states ``(batch, n)`` drawn with ``generator`` (standard normal by default)."""
        if self._sample_state is not None:
            x = self._sample_state(batch, generator)
        else:
            x = torch.randn(batch, self.dim, generator=generator, dtype=self.dtype)
        return x.to(dtype=self.dtype, device=self.device)

    def __repr__(self) -> str:
        p = "" if not self.params else f", params={sorted(self.params)}"
        u = f", input_dim={self.input_dim}" if self.input_dim else ""
        return f"{type(self).__name__}({self.name!r}, dim={self.dim}{u}{p})"


class Map(System):
    """A discrete-time system ``x[t+1] = step(x[t], u[t])`` (``step(x, u, params)`` when ``params`` is given).

    Args:
        step: batched function ``(x: (..., n), u: (..., m) | None) -> (..., n)``. ``u`` is ``None`` for an
            autonomous map (``input_dim=0``).
        dim: state dimension ``n``.
        jacobian: optional analytic ``d step / d x`` with the same arguments, returning ``(..., n, n)``.
        params: optional dict of named tensors, passed as the third argument.
        name: a label used in messages and results.
        input_dim: dimension ``m`` of the driving input (0: autonomous).
        sample_state: optional ``(batch, generator) -> (batch, n)`` giving typical initial states.
        tangent_index: optional coordinates to which the linearisation is restricted (the others are
            treated as driven), e.g. the ``h`` half of an LSTM state.
        dtype, device: of the states the analyses use (default float64 on the CPU).

    Optional capabilities (keyword-only; each is also a public attribute of the same name, ``None``/``False``
    when absent, so analyses ask for them rather than probe):
        frame_push_forward: ``(x, c, V: (..., n, k)) -> (f(x), J(x) @ V)`` without forming ``J`` (the
            recurrent adapters use their Jacobians' block structure); used wherever an analytic Jacobian
            would be. ``c`` is the input ``u`` of a map or the time ``t`` of a flow.
        tanh_form: a :class:`neurodyn.systems.TanhForm` saying that the field is
            ``-leak x + W_out tanh(W x + b) + b_out`` (what the interval proofs need).
        fresh_jacobian: ``True`` when ``jacobian`` returns a new tensor on every call, which callers may
            then modify in place.
        fixed_point_residual: ``(x, c, with_jacobian: bool) -> G`` or ``(G, dG/dx)``, a residual with
            exactly the map's fixed points as zeros but better conditioned than ``step(x) - x`` (the GRU
            adapter supplies one); fixed-point searches solve it and judge roots by ``|step(x) - x|``.
        input_layout: how the analyses read 3-D input sequences by default: ``"batch_first"``
            ``(batch, T, input_dim)`` (the default) or ``"time_first"`` ``(T, batch, input_dim)``;
            :func:`~neurodyn.from_torch` sets it from the module's ``batch_first`` (an analysis's
            ``layout=`` argument overrides it).

    Exponents of maps are measured in nats per step.
    """

    kind = "map"

    def _call(self, fn, x, c):
        return fn(x, c) if self.params is None else fn(x, c, self.params)

    step = System.f


class Flow(System):
    """A continuous-time system ``dx/dt = field(t, x)`` (``field(t, x, params)`` when ``params`` is given).

    Args:
        field: batched vector field ``(t: float tensor, x: (..., n)) -> (..., n)``.
        dim: state dimension ``n``.
        jacobian: optional analytic ``d field / d x`` with the same arguments, returning ``(..., n, n)``.
        params, name, sample_state, tangent_index, dtype, device: as for :class:`Map`, and the same
            optional capabilities (``frame_push_forward``, ``tanh_form``, ``fresh_jacobian``,
            ``fixed_point_residual``).

    Exponents of flows are measured in nats per unit time.
    """

    kind = "flow"

    def _call(self, fn, x, c):
        t = c if c is not None else torch.zeros((), dtype=x.dtype, device=x.device)
        return fn(t, x) if self.params is None else fn(t, x, self.params)

    def field(self, t, x: torch.Tensor) -> torch.Tensor:
        """The velocity ``dx/dt`` at time ``t``."""
        return self.f(x, t)
