"""Vector-field modules as flows: an ``nn.Module`` whose ``forward(t, x)`` is ``dx/dt`` becomes a
:class:`~neurodyn.Flow` on a private copy of the module (weights copied to the analysis dtype, evaluation mode),
with its ``tanh_form`` recognised where the field is ``Linear -> Tanh (-> Linear)``. The checks shared with the
other module adapters (recurrent cells, delay modules) live here too: finite copied weights, and whether
``forward`` takes a time first."""

from __future__ import annotations

import copy
import inspect

import torch
from torch import nn
from torch.func import functional_call

from neurodyn.errors import InvalidInputError, NonFiniteError, UnsupportedModelError
from neurodyn.systems.protocol import Flow

TIME_NAMES = ("t", "time", "_t", "tau", "s")  # names a forward's first argument may have when it is the time


def forward_takes_time(module: nn.Module, arity: int) -> bool:
    """Whether ``module.forward`` takes exactly ``arity`` required positional arguments, the first a time
    (named as in :data:`TIME_NAMES`): 2 for a vector field ``forward(t, x)``, 3 for a delay field
    ``forward(t, x, x_tau)``."""
    if not isinstance(module, nn.Module):
        return False
    try:
        sig = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return False
    positional = [
        p for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) == arity and positional[0].name in TIME_NAMES


def copy_weight(t: torch.Tensor, *, what: str, dtype, device) -> torch.Tensor:
    """A detached copy of a module's tensor in ``dtype`` on ``device``; an error naming ``what`` if it is not
    finite."""
    out = t.detach().to(dtype=dtype, device=device, copy=True)
    if not bool(torch.isfinite(out).all()):
        raise NonFiniteError(f"{what} contains NaN or inf; the model's weights must be finite")
    return out


def module_flow(module: nn.Module, *, dtype, device, name: str, dim: int | None, params: tuple = ()) -> Flow:
    weights = {k: copy_weight(v, what=f"{name}.{k}", dtype=dtype, device=device) for k, v in module.named_parameters()}
    buffers = {
        k: v.detach().to(device=device, copy=True).to(dtype) if v.is_floating_point() else v.detach().clone()
        for k, v in module.named_buffers()
    }
    state = {**weights, **buffers}
    scalars = sorted(k for k, v in state.items() if v.is_floating_point() and v.numel() == 1)
    for key in params:
        if key not in scalars:
            raise InvalidInputError(f"{name} has no one-element parameter or buffer {key!r} to vary; it has "
                                    f"{scalars or 'none'} (register one, e.g. self.alpha = nn.Parameter("
                                    "torch.tensor(0.0)), and use it in forward)")
    shapes = {key: state[key].shape for key in params}
    dim = dim if dim is not None else infer_dim(module)
    # A private copy in evaluation mode (dropout off, batch-norm statistics frozen) holding the copied weights in
    # ``dtype`` as constants, called directly: swapping every weight in per call (functional_call) cost more than
    # the field itself on small networks. Only the parameters named in ``params`` are swapped in per call.
    # The user's object is untouched.
    runner = copy.deepcopy(module).to(device=device, dtype=dtype).eval().requires_grad_(False)

    def field(t, x, p=None):
        if p is None:
            return runner(t, x)
        return functional_call(runner, {k: p[k].reshape(shapes[k]) for k in shapes}, (t, x))

    probe = torch.zeros(1, dim, dtype=dtype, device=device)
    try:
        out = field(torch.zeros((), dtype=dtype, device=device), probe)
    except Exception as exc:
        raise UnsupportedModelError(
            f"{name}.forward(t, x) failed on a {dtype} state of shape (1, {dim}): {exc}. Pass dim= if the "
            f"inferred state dimension is wrong, and make forward accept {dtype} tensors"
        ) from exc
    if not isinstance(out, torch.Tensor) or out.shape != probe.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UnsupportedModelError(
            f"{name}.forward(t, x) must return dx/dt with the shape of x (1, {dim}), got {got}; pass dim="
        )
    values = {key: state[key].reshape(()) for key in params}
    form = None if params else tanh_form_of(module, field, dim, dtype=dtype, device=device)
    return Flow(field, dim, name=name, dtype=dtype, device=device, params=values or None, tanh_form=form)


def tanh_form_of(module: nn.Module, field, dim: int, *, dtype, device):
    """The :class:`~neurodyn.systems.TanhForm` of a vector-field module whose field is ``nn.Linear -> nn.Tanh ->
    nn.Linear`` (or ``nn.Linear -> nn.Tanh``, square) on the state, found among its ``nn.Sequential`` submodules
    and confirmed by evaluating the field at a few seeded points (agreement to 1e-12 relative); else ``None``."""
    from neurodyn.systems.fields import TanhForm

    for seq in module.modules():
        parts = list(seq.children()) if isinstance(seq, nn.Sequential) else []
        if not (len(parts) in (2, 3) and isinstance(parts[0], nn.Linear) and isinstance(parts[1], nn.Tanh)
                and (len(parts) == 2 or isinstance(parts[2], nn.Linear))):
            continue
        first, last = parts[0], parts[-1] if len(parts) == 3 else None
        if first.in_features != dim or (last.out_features if last is not None else first.out_features) != dim:
            continue

        def grab(t, n):
            return torch.zeros(n, dtype=dtype, device=device) if t is None else t.detach().to(dtype=dtype,
                                                                                           device=device).clone()
        W, b = grab(first.weight, None), grab(first.bias, first.out_features)
        W_out = torch.eye(dim, dtype=dtype, device=device) if last is None else grab(last.weight, None)
        b_out = torch.zeros(dim, dtype=dtype, device=device) if last is None else grab(last.bias, dim)
        x = torch.randn(8, dim, generator=torch.Generator().manual_seed(0), dtype=dtype).to(device)
        with torch.no_grad():
            got = field(torch.zeros((), dtype=dtype, device=device), x)
            ref = torch.tanh(x @ W.T + b) @ W_out.T + b_out
        if torch.allclose(got, ref, rtol=1e-12, atol=1e-12 * float(ref.abs().max() + 1)):
            return TanhForm(W=W, b=b, W_out=W_out, b_out=b_out, leak=0.0)
    return None


def infer_dim(module: nn.Module) -> int:
    dim = getattr(module, "dim", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    for p in module.parameters():  # the first weight matrix reads the state
        if p.ndim == 2:
            return p.shape[1]
    raise UnsupportedModelError(
        f"cannot infer the state dimension of {type(module).__name__}; give it an integer attribute `dim` "
        "or build neurodyn.Flow(field, dim) yourself"
    )
