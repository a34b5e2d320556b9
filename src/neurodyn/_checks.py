"""Boundary validation shared by every analysis (DESIGN.md §4.4): validate once, name the object."""

from __future__ import annotations

import operator

import torch

from neurodyn.errors import InvalidInputError, NonFiniteError


def as_tensor(value, *, name: str, dtype: torch.dtype, device: torch.device | str | None) -> torch.Tensor:
    """``value`` as a tensor of ``dtype`` on ``device``; a clear error if it cannot be one or is not finite."""
    try:
        # Python numbers go straight to ``dtype``: through float32 first, 1.4 would lose its digits.
        t = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
        if not isinstance(value, torch.Tensor) and not hasattr(value, "dtype") and t.is_floating_point():
            t = torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"{name} must be a tensor or array of numbers, got {type(value).__name__}") from exc
    if t.is_complex():
        raise InvalidInputError(f"{name} must be real, got dtype {t.dtype}")
    t = t.to(dtype=dtype, device=device)
    if not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise NonFiniteError(f"{name} contains {bad} non-finite value(s) (NaN or inf); pass finite values")
    return t


def check_last_dim(t: torch.Tensor, n: int, *, name: str, what: str) -> None:
    if t.ndim == 0 or t.shape[-1] != n:
        raise InvalidInputError(f"{name} has shape {tuple(t.shape)}; its last dimension must be {what} = {n}")


def positive_int(value, *, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int >= minimum`` (numpy and torch integers accepted, bools and floats refused)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        v = operator.index(value)
    except TypeError:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if v < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def positive_float(value, *, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a positive number, got {value!r}") from exc
    if not (v > 0 and v < float("inf")):
        raise InvalidInputError(f"{name} must be a positive finite number, got {value!r}")
    return v


def state_batch(value, *, n: int, name: str, dtype: torch.dtype, device) -> torch.Tensor:
    """``value`` as a non-empty ``(B, n)`` batch of states (one state ``(n,)`` becomes ``(1, n)``)."""
    x = as_tensor(value, name=name, dtype=dtype, device=device)
    if x.ndim == 1:
        x = x.unsqueeze(0)
    check_last_dim(x, n, name=name, what="the state dimension")
    if x.ndim != 2 or len(x) == 0:
        raise InvalidInputError(f"{name} has shape {tuple(x.shape)}; give a ({name} count, {n}) batch of states")
    return x
