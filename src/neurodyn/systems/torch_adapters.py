"""Turn PyTorch modules into neurodyn systems without touching them.

``nn.RNN`` (tanh/relu), ``nn.GRU``, ``nn.LSTM`` and their ``*Cell`` variants become input-driven
:class:`~neurodyn.systems.Map` s whose state stacks every layer's hidden state, in PyTorch's own order:
``[h_1, ..., h_L]`` (RNN, GRU) and ``[h_1, ..., h_L, c_1, ..., c_L]`` (LSTM, i.e. ``cat(h_n, c_n)``
flattened). An ``nn.Module`` whose ``forward(t, x)`` is a vector field becomes a :class:`Flow`.

Weights are copied (detached, converted to the analysis dtype) once; the user's module keeps its
parameters, ``requires_grad`` flags, train/eval mode, dtype and device.
"""

from __future__ import annotations

import torch
from torch import nn

from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.systems import cells
from neurodyn.systems.modules import copy_weight, forward_takes_time, module_flow
from neurodyn.systems.protocol import Flow, Map

_RECURRENT = (nn.RNN, nn.GRU, nn.LSTM, nn.RNNCell, nn.GRUCell, nn.LSTMCell)


def from_torch(
    module: nn.Module,
    *,
    lstm_state: str = "full",
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    name: str | None = None,
    dim: int | None = None,
    params: tuple[str, ...] | list[str] = (),
) -> Map | Flow:
    """A system for a PyTorch module.

    Args:
        module: ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (any ``num_layers``, ``batch_first`` either way, with or
            without bias; unidirectional, no LSTM projection), an ``nn.RNNCell``/``GRUCell``/``LSTMCell``,
            or a module with ``forward(t, x)`` returning ``dx/dt`` (its first argument named ``t``, ``time``,
            ``tau`` or ``s``, so that a cell's ``forward(u, h)`` is never mistaken for a vector field); it is
            evaluated on a private copy in evaluation mode.
        lstm_state: ``"full"`` (default) analyses the ``(h, c)`` state, ``2*L*N`` dimensions;
            ``"h"`` restricts the linearisation to the hidden states, i.e. the product of the blocks
            ``d h[t+1] / d h[t]`` with the cell state treated as driven (as some published RNN tools do).
            The trajectory itself always evolves the full state.
        dtype: analysis dtype (default float64).
        device: where the copied weights live (default: the module's device).
        name: label for results (default: the module's class name).
        dim: state dimension of a vector-field module (default: its integer attribute ``dim``, else the
            input width of its first weight matrix); checked by evaluating the field once.
        params: names (as in ``module.state_dict()``, e.g. ``"alpha"`` or ``"field.gain"``) of one-element
            parameters or buffers of a vector-field module that become the flow's ``params``, starting at their
            current values: the field then reads them from ``system.params``, so that continuation and Hopf
            search can vary them (``system.with_params(alpha=0.3)``); the module itself is not changed.

    Returns:
        A :class:`Map` for recurrent modules (``input_dim = input_size``; the step is the module's
        evaluation-mode step, inter-layer dropout off), a :class:`Flow` for vector-field modules.
        The map follows the module's own layout of input sequences: its ``input_layout`` is
        ``"time_first"`` (inputs ``(T, batch, input_size)``) for ``batch_first=False`` (PyTorch's
        default) and ``"batch_first"`` (``(batch, T, input_size)``) for ``batch_first=True`` and the Cells;
        analyses read 3-D ``inputs`` that way unless given ``layout=``.

    The Jacobians of the recurrent cells are analytic (see :mod:`neurodyn.systems.cells`).
    """
    if not isinstance(module, nn.Module):
        raise UnsupportedModelError(
            f"from_torch expects an nn.Module, got {type(module).__name__}; wrap plain functions in "
            "neurodyn.Map(step, dim) or neurodyn.Flow(field, dim)"
        )
    if lstm_state not in ("full", "h"):
        raise InvalidInputError(f"lstm_state must be 'full' or 'h', got {lstm_state!r}")
    if device is None:
        first = next(iter(module.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")
    name = name or type(module).__name__
    if params and not (forward_takes_time(module, 2) and not isinstance(module, _RECURRENT)):
        raise InvalidInputError(f"params= applies to vector-field modules (forward(t, x)), not to "
                                f"{type(module).__name__}")
    if isinstance(module, _RECURRENT) and type(module).forward is _base_forward(module):
        stack = _RecurrentStack(module, dtype=dtype, device=device, name=name)
        index = None
        if stack.cell == "lstm" and lstm_state == "h":
            index = torch.arange(stack.L * stack.N)
        return Map(
            stack.step, stack.dim, jacobian=stack.jacobian, name=name, input_dim=stack.input_size,
            sample_state=stack.sample_state, tangent_index=index, dtype=dtype, device=device,
            frame_push_forward=stack.push_forward,  # structured J @ V: the Lyapunov hot path
            fresh_jacobian=True,  # each call returns a new tensor that callers may modify
            fixed_point_residual=stack.fixed_point_residual if stack.cell == "gru" else None,
            input_layout="time_first" if getattr(module, "batch_first", True) is False else "batch_first",
        )
    if forward_takes_time(module, 2):
        return module_flow(module, dtype=dtype, device=device, name=name, dim=dim, params=tuple(params))
    from neurodyn.delay.system import takes_t_x_xtau

    if takes_t_x_xtau(module):
        raise UnsupportedModelError(f"{type(module).__name__}.forward(t, x, x_tau) is a delay field, which needs its "
                                    "delay: use neurodyn.DelayFlow.from_module(module, tau)")
    raise UnsupportedModelError(
        f"cannot turn {type(module).__name__} into a system: supported are nn.RNN/GRU/LSTM and their Cell "
        "variants (with PyTorch's own forward) and modules whose forward(t, x) returns dx/dt. "
        "For anything else build neurodyn.Map(step, dim) or neurodyn.Flow(field, dim) yourself"
    )


def as_system(system) -> Map | Flow:
    """A :class:`Map`/:class:`Flow` as is; a module :func:`from_torch` accepts, converted; anything else refused."""
    if isinstance(system, nn.Module):
        return from_torch(system)
    if not isinstance(system, (Map, Flow)):
        raise UnsupportedModelError(
            f"expected a neurodyn Map or Flow (or an nn.Module), got {type(system).__name__}; wrap a step function "
            "with neurodyn.Map(step, dim) or a vector field with neurodyn.Flow(field, dim)"
        )
    return system


def _layout(module: nn.Module) -> tuple[int, int, bool, bool]:
    """``(layers, hidden size, is LSTM, is Cell)`` of a PyTorch recurrent module."""
    if not isinstance(module, _RECURRENT):
        raise UnsupportedModelError(f"{type(module).__name__} has no recurrent hidden state; expected nn.RNN/GRU/LSTM "
                                    "or a Cell variant")
    is_cell = isinstance(module, (nn.RNNCell, nn.GRUCell, nn.LSTMCell))
    return (1 if is_cell else module.num_layers), module.hidden_size, isinstance(module, (nn.LSTM, nn.LSTMCell)), \
        is_cell


def state_to_torch(module: nn.Module, x: torch.Tensor):
    """A stacked state ``x: (B, n)`` or ``(n,)`` of :func:`from_torch`'s map as PyTorch's hidden state for
    ``module``: ``h`` (or ``(h, c)`` for an LSTM) shaped ``(L, B, N)`` / ``(L, N)``, or ``(B, N)`` / ``(N,)``
    for a Cell."""
    L, N, lstm, is_cell = _layout(module)

    def part(block):  # (..., L*N) -> (L, ..., N), or (..., N) for a cell
        if is_cell:
            return block
        return block.reshape(*block.shape[:-1], L, N).movedim(-2, 0).contiguous()

    h = part(x[..., : L * N])
    return (h, part(x[..., L * N:])) if lstm else h


def state_from_torch(module: nn.Module, hidden) -> torch.Tensor:
    """The inverse of :func:`state_to_torch`: PyTorch's ``h`` or ``(h, c)`` as the stacked state ``(B, n)``
    (or ``(n,)`` for unbatched input), in the layout ``[h_1..h_L]`` / ``[h_1..h_L, c_1..c_L]``."""
    L, N, lstm, is_cell = _layout(module)
    parts = hidden if lstm else (hidden,)

    def flat(block):  # (L, ..., N) -> (..., L*N)
        return block if is_cell else block.movedim(0, -2).reshape(*block.shape[1:-1], L * N)

    return torch.cat([flat(p) for p in parts], dim=-1)


def _base_forward(module: nn.Module):
    for base in _RECURRENT:
        if isinstance(module, base):
            return base.forward
    return None


class _RecurrentStack:
    """The stacked-state step and Jacobian of a (multi-layer) PyTorch RNN/GRU/LSTM."""

    def __init__(self, module: nn.Module, *, dtype, device, name: str):
        self.L, self.N, lstm, is_cell = _layout(module)
        if lstm:
            self.cell = "lstm"
        elif isinstance(module, (nn.GRU, nn.GRUCell)):
            self.cell = "gru"
        else:
            self.cell = "rnn_relu" if module.nonlinearity == "relu" else "rnn_tanh"
        if not is_cell:
            if module.bidirectional:
                raise UnsupportedModelError(
                    f"{name} is bidirectional: its backward direction reads the future, so it is not a "
                    "causal dynamical system; analyse a unidirectional model (bidirectional=False)"
                )
            if getattr(module, "proj_size", 0):
                raise UnsupportedModelError(
                    f"{name} has proj_size={module.proj_size}; LSTMs with projections are not supported yet"
                )
        self.input_size = module.input_size
        self.comps = ("h", "c") if self.cell == "lstm" else ("h",)
        self.dim = len(self.comps) * self.L * self.N
        gates = {"lstm": 4, "gru": 3}.get(self.cell, 1)
        self.layers = []
        for layer in range(self.L):
            sfx = "" if is_cell else f"_l{layer}"

            def get(kind, layer=layer, sfx=sfx):
                t = getattr(module, f"{kind}{sfx}", None)
                if t is None:  # bias=False
                    return torch.zeros(gates * self.N, dtype=dtype, device=device)
                return copy_weight(t, what=f"{name}.{kind}{sfx}", dtype=dtype, device=device)

            self.layers.append(cells.LayerWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")))
        self.dtype, self.device = dtype, device

    def _slice(self, comp: str, layer: int) -> slice:
        start = (self.comps.index(comp) * self.L + layer) * self.N
        return slice(start, start + self.N)

    def _layer_state(self, x, layer):
        return [x[..., self._slice(c, layer)] for c in self.comps]

    def step(self, x: torch.Tensor, u: torch.Tensor | None) -> torch.Tensor:
        out = [None] * (len(self.comps) * self.L)
        inp = u
        for layer, w in enumerate(self.layers):
            state = self._layer_state(x, layer)
            if self.cell == "lstm":
                new = cells.lstm_step(inp, *state, w)
            elif self.cell == "gru":
                new = (cells.gru_step(inp, *state, w),)
            else:
                new = (cells.rnn_step(inp, *state, w, self.cell == "rnn_relu"),)
            for ci, part in enumerate(new):
                out[ci * self.L + layer] = part
            inp = new[0]
        return _stack(out)

    def _blocks(self, inp, x, layer, w):
        state = self._layer_state(x, layer)
        need_din = layer > 0  # the first layer's input is the external u, not part of the state
        if self.cell == "lstm":
            return cells.lstm_blocks(inp, *state, w, need_din)
        if self.cell == "gru":
            return cells.gru_blocks(inp, *state, w, need_din)
        return cells.rnn_blocks(inp, *state, w, self.cell == "rnn_relu", need_din)

    def push_forward(self, x: torch.Tensor, u: torch.Tensor | None, V: torch.Tensor):
        """``(step(x, u), J @ V)`` without forming ``J``: per layer, one batched matmul of the dense blocks of all
        state components (stacked, :data:`cells.STACKED`) with the frame's ``h`` rows, the diagonal blocks added
        in place as elementwise products, and the chain rule through the layer input."""
        out, JV = [None] * len(self.comps) * self.L, [None] * len(self.comps) * self.L
        inp, prev = u, None
        for layer, w in enumerate(self.layers):
            new, blocks = self._blocks(inp, x, layer, w)
            # (..., C*N, k), computed transposed so that it is laid out column-major: the frame comes back from the
            # re-orthonormalisation column-major, and LAPACK's QR then reads the image without a transposing copy
            rows = (V[..., self._slice("h", layer), :].mT @ blocks[cells.STACKED].mT).mT
            if prev is not None:
                rows += blocks[cells.STACKED_DIN] @ prev
            for ai, a in enumerate(self.comps):
                part = rows[..., ai * self.N:(ai + 1) * self.N, :]
                for b in self.comps:
                    blk = blocks[(a, b)]
                    if blk.ndim == part.ndim - 1:  # a diagonal block, stored as its diagonal
                        part.addcmul_(blk.unsqueeze(-1), V[..., self._slice(b, layer), :])
                out[ai * self.L + layer], JV[ai * self.L + layer] = new[ai], part
            inp, prev = new[0], JV[layer]
        if self.L == 1:  # the stacked rows are already the frame's image, in the state's order
            return _stack(out), rows
        return _stack(out), torch.cat(JV, dim=-2)

    def jacobian(self, x: torch.Tensor, u: torch.Tensor | None) -> torch.Tensor:
        """``(..., n, n)`` assembled from the cell blocks: ``O(n^2)`` per state for one layer (no product with
        an identity frame); deeper layers add the chain rule through their input, one matmul each."""
        batch = x.shape[:-1] if u is None else torch.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        if self.L == 1 and self.comps == ("h",):  # one dense block: it is the Jacobian
            J = self._blocks(u, x, 0, self.layers[0])[1][("h", "h")]
            return J if J.shape[:-2] == batch else J.expand(*batch, self.dim, self.dim).clone()
        J = x.new_zeros(*batch, self.dim, self.dim)
        inp = u
        for layer, w in enumerate(self.layers):
            new, blocks = self._blocks(inp, x, layer, w)
            for a in self.comps:
                rows = J[..., self._slice(a, layer), :]
                for b in self.comps:
                    blk, cols = blocks[(a, b)], self._slice(b, layer)
                    if blk.ndim == rows.ndim - 1:  # a diagonal block, stored as its diagonal
                        rows[..., cols].diagonal(dim1=-2, dim2=-1).add_(blk)
                    else:
                        rows[..., cols] += blk
                if layer > 0:
                    rows += blocks[(a, "din")] @ J[..., self._slice("h", layer - 1), :]
            inp = new[0]
        return J

    def fixed_point_residual(self, x: torch.Tensor, u: torch.Tensor | None, with_jacobian: bool = True):
        """GRU only: ``G(x) = [n_l(h_{l-1}, h_l) - h_l]_l`` (``h_{-1} = u``), whose zeros are exactly the
        fixed points of the step (see :func:`cells.gru_candidate_blocks`), and ``dG/dx`` if asked."""
        batch = x.shape[:-1] if u is None else torch.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        G = [None] * self.L
        J = None if not with_jacobian or self.L == 1 else x.new_zeros(*batch, self.dim, self.dim)
        for layer, w in enumerate(self.layers):
            rows = self._slice("h", layer)
            inp = u if layer == 0 else x[..., self._slice("h", layer - 1)]
            if not with_jacobian:
                G[layer] = cells.gru_candidate(inp, x[..., rows], w) - x[..., rows]
                continue
            n, blocks = cells.gru_candidate_blocks(inp, x[..., rows], w, need_din=layer > 0)
            G[layer] = n - x[..., rows]
            if J is None:  # one layer: the block is the Jacobian
                J = blocks[("h", "h")]
                if J.shape[:-2] != batch:
                    J = J.expand(*batch, self.dim, self.dim).clone()
            else:
                J[..., rows, rows] = blocks[("h", "h")]
                if layer > 0:
                    J[..., rows, self._slice("h", layer - 1)] = blocks[("h", "din")]
            J.diagonal(dim1=-2, dim2=-1)[..., rows].sub_(1)
        G = _stack(G)
        return (G, J) if with_jacobian else G

    def sample_state(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        return 2 * torch.rand(batch, self.dim, generator=generator, dtype=self.dtype) - 1


def _stack(parts: list[torch.Tensor]) -> torch.Tensor:
    """Concatenate per-layer states (broadcasting a zero-input layer's bias-only state) into ``(..., n)``."""
    shape = torch.broadcast_shapes(*(p.shape for p in parts))
    if len(parts) == 1:
        return parts[0].expand(shape)
    return torch.cat([p.expand(shape) for p in parts], dim=-1)
