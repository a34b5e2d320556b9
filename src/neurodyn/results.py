"""Shared behaviour of result dataclasses: JSON-safe ``to_dict`` and saving."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import torch


def to_jsonable(value):
    """Tensors/arrays to nested lists, non-finite floats to the strings "nan"/"inf"/"-inf"."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.ndarray) and np.iscomplexobj(value):
        return {"real": to_jsonable(value.real), "imag": to_jsonable(value.imag)}
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()] if value.ndim else to_jsonable(value.item())
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


class Result:
    """Mixin for frozen result dataclasses."""

    def to_dict(self) -> dict:
        """All fields as JSON-safe Python objects (tensors become lists), plus the result type."""
        out = {"type": type(self).__name__}
        for field in dataclasses.fields(self):
            out[field.name] = to_jsonable(getattr(self, field.name))
        return out

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path`` (written whole or not at all)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2))
        tmp.replace(path)
        return path
