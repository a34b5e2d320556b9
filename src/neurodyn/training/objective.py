"""A model's full-batch loss as a function of its flattened parameters: value, gradient and Hessian-vector
products (forward-over-reverse, ``torch.func``), chunked over the data so memory stays bounded."""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vjp

from neurodyn._checks import positive_int
from neurodyn.errors import InvalidInputError, NonFiniteError

_MODE_DEPENDENT = (nn.Dropout, nn.modules.batchnorm._BatchNorm)


class Objective:
    """``L(w) = (1/n) sum_i l(model(x_i; w), y_i)`` on a private copy of ``model`` (evaluation mode, ``dtype``).

    ``loss_fn(output, target)`` must return the *mean* loss over the examples it is given (as PyTorch's losses
    do by default); the full-batch loss is then the size-weighted mean over chunks of ``chunk_size`` examples.
    Parameters are the model's trainable ones (``requires_grad``), flattened in ``named_parameters`` order.
    ``hvps`` counts Hessian-vector products over the full batch. With a single chunk the gradient's graph is
    built once and differentiated again for each product (reverse-over-reverse); with several chunks each product
    recomputes each chunk's gradient forward-over-reverse, so memory stays that of one chunk.
    """

    def __init__(self, model: nn.Module, loss_fn, data, *, chunk_size: int | None = None,
                 dtype: torch.dtype = torch.float64):
        if not isinstance(model, nn.Module):
            raise InvalidInputError(f"model must be an nn.Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise InvalidInputError(f"loss_fn must be callable as loss_fn(output, target), got {loss_fn!r}")
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise InvalidInputError("data must be a pair (inputs, targets) of tensors with the examples first")
        with torch.inference_mode(False):  # clones are ordinary tensors even if the caller is in inference mode
            X, y = (torch.as_tensor(d).clone() for d in data)
        if X.ndim == 0 or y.ndim == 0 or len(X) != len(y) or len(X) == 0:
            raise InvalidInputError(f"data has inputs of shape {tuple(X.shape)} and targets of shape "
                                    f"{tuple(y.shape)}; need the same number (> 0) of examples first")
        first = next(iter(model.parameters()), None)
        if first is None:
            raise InvalidInputError(f"{type(model).__name__} has no parameters")
        if model.training and any(isinstance(m, _MODE_DEPENDENT) for m in model.modules()):
            warnings.warn(f"{type(model).__name__} is in training mode and has dropout or batch normalisation: the "
                          "analysis uses the evaluation-mode loss, which is not the loss its training descends",
                          UserWarning, stacklevel=3)
        self.device = first.device
        self.runner = copy.deepcopy(model).to(dtype).eval()
        source = {k: v for k, v in model.named_parameters() if v.requires_grad}
        if not source:
            raise InvalidInputError(f"{type(model).__name__} has no trainable parameters (requires_grad)")
        self.names = list(source)
        self.shapes = [source[k].shape for k in self.names]
        self.sizes = [source[k].numel() for k in self.names]
        with torch.inference_mode(False):
            self.w = torch.cat([source[k].detach().reshape(-1).to(dtype) for k in self.names])
            # everything else the forward needs: buffers and frozen parameters, except other names of a trainable
            # tensor (tied weights follow their first name inside functional_call)
            trainable = {id(p) for k, p in self.runner.named_parameters() if k in source}
            self.fixed = {k: v.detach().to(dtype) if v.is_floating_point() else v.detach()
                          for k, v in self.runner.state_dict(keep_vars=True).items()
                          if k not in source and id(v) not in trainable}
            self.X = X.to(self.device, dtype) if X.is_floating_point() else X.to(self.device)
            self.y = y.to(self.device, dtype) if y.is_floating_point() else y.to(self.device)
        self.n = len(X)
        chunk_size = self.n if chunk_size is None else positive_int(chunk_size, name="chunk_size")
        self.chunks = [slice(i, i + chunk_size) for i in range(0, self.n, chunk_size)]
        self.loss_fn = loss_fn
        self.hvps = 0
        self.forward_over_reverse = True
        self._grad_graph = None
        self._probe(type(model).__name__)

    def _probe(self, name: str) -> None:
        """Check the data are finite and that the model and the loss evaluate on the first examples to a tensor
        and a finite scalar; raise :class:`~neurodyn.errors.InvalidInputError` naming what does not fit."""
        for what, t in (("inputs", self.X), ("targets", self.y)):
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                bad = int((~torch.isfinite(t)).sum())
                raise NonFiniteError(f"the data's {what} hold {bad} NaN/inf value(s); remove or impute them")
        rows = slice(0, min(2, self.n))
        with torch.inference_mode(False), torch.no_grad():
            try:
                out = self.output(self.w, self.X[rows])
            except Exception as exc:
                raise InvalidInputError(f"{name} cannot be evaluated on the data's inputs of shape "
                                        f"{tuple(self.X.shape)} ({type(exc).__name__}: {exc}); give inputs with the "
                                        "feature width the model takes") from None
            if not isinstance(out, torch.Tensor):
                raise InvalidInputError(f"{name} returned {type(out).__name__}, not a tensor (a recurrent module "
                                        "returns (output, hidden)); the model must map (examples, features) "
                                        "inputs to (examples, outputs) tensors")
            try:
                value = self.loss_fn(out, self.y[rows])
            except Exception as exc:
                raise InvalidInputError(f"the loss cannot compare the model's outputs of shape {tuple(out.shape)} "
                                        f"with targets of shape {tuple(self.y[rows].shape)} ({type(exc).__name__}: "
                                        f"{exc}); check the targets and the loss") from None
        if not (isinstance(value, torch.Tensor) and value.numel() == 1):
            raise InvalidInputError(f"loss_fn(output, target) must return a scalar tensor (the mean loss), got "
                                    f"{type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}")
        if not bool(torch.isfinite(value)):
            raise NonFiniteError(f"the loss of {name} on the first examples is {float(value)}; check the model's "
                                 "weights and the data")

    @property
    def dim(self) -> int:
        return self.w.numel()

    def unflatten(self, w: torch.Tensor) -> dict[str, torch.Tensor]:
        return {k: p.view(s) for k, p, s in zip(self.names, w.split(self.sizes), self.shapes, strict=True)}

    def output(self, w: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        return functional_call(self.runner, {**self.fixed, **self.unflatten(w)}, (X,))

    def _chunk_loss(self, w, rows):
        return self.loss_fn(self.output(w, self.X[rows]), self.y[rows])

    def _weight(self, rows: slice) -> float:
        return (min(rows.stop, self.n) - rows.start) / self.n

    def loss(self, w: torch.Tensor | None = None) -> float:
        w = self.w if w is None else w
        with torch.inference_mode(False), torch.no_grad():
            return float(sum(self._weight(r) * self._chunk_loss(w, r) for r in self.chunks))

    def gradient(self, w: torch.Tensor | None = None) -> torch.Tensor:
        w = self.w if w is None else w
        with torch.inference_mode(False):
            return sum(self._weight(r) * grad(self._chunk_loss)(w, r) for r in self.chunks)

    def hvp(self, v: torch.Tensor) -> torch.Tensor:
        """``H v`` at the model's parameters (``v``: ``(dim,)``), summed over chunks."""
        self.hvps += 1
        with torch.inference_mode(False), torch.enable_grad():
            return self._hvp(v)

    def _hvp(self, v: torch.Tensor) -> torch.Tensor:
        if len(self.chunks) == 1:  # one chunk: keep the gradient's graph and differentiate it again per product
            if self._grad_graph is None:
                w = self.w.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(self._chunk_loss(w, self.chunks[0]), w, create_graph=True)
                self._grad_graph = (w, g)
            w, g = self._grad_graph
            return torch.autograd.grad(g, w, v, retain_graph=True)[0]
        out = torch.zeros_like(self.w)
        for r in self.chunks:
            out += self._weight(r) * self._chunk_hvp(r, v)
        return out

    def _chunk_hvp(self, rows: slice, v: torch.Tensor) -> torch.Tensor:
        def g(w):
            return grad(self._chunk_loss)(w, rows)

        if self.forward_over_reverse:
            try:
                return jvp(g, (self.w,), (v,))[1]
            except RuntimeError as exc:
                # some losses lack forward-mode derivatives of their backward (e.g. mse_loss in torch 2.x raises
                # "ZeroTensors are immutable"): reverse-over-reverse from then on
                if "ZeroTensor" not in str(exc) and "forward AD" not in str(exc) and "forward-mode" not in str(exc):
                    raise
                self.forward_over_reverse = False
        return vjp(g, self.w)[1](v)[0]
