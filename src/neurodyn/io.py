"""Loading a user's model: a ``package.module:factory`` path and a weights file, never an arbitrary pickle.

Weights are read with ``safetensors`` (``.safetensors``) or ``torch.load(..., weights_only=True)``, which
refuses pickled objects other than tensors and plain containers; such a file raises
:class:`~neurodyn.errors.UnsafeFileError` and nothing in it is executed.
"""

from __future__ import annotations

import importlib
import pickle
import sys
from pathlib import Path

import torch
from torch import nn

from neurodyn.errors import ModelLoadError, UnsafeFileError

_STATE_KEYS = ("state_dict", "model_state_dict", "model")


def load_factory(spec: str) -> nn.Module:
    """Call ``factory()`` from ``"package.module:factory"`` and return the ``nn.Module`` it builds.

    The current directory is searched first, so a ``mymodel.py`` next to you is found as ``mymodel:make``.
    """
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ModelLoadError(f"model {spec!r} must look like 'package.module:factory' (a function returning the model)")
    mod_name, fn_name = spec.split(":")
    cwd = str(Path.cwd())
    added = cwd not in sys.path
    if added:  # only for this import: the interpreter's path is left as it was
        sys.path.insert(0, cwd)
    try:
        mod = importlib.import_module(mod_name)
    except SystemExit as exc:
        raise ModelLoadError(f"importing {mod_name!r} for model {spec!r} called sys.exit({exc.code!r}); a model "
                             "module must not exit when imported (guard scripts with if __name__ == '__main__')") \
            from None
    except Exception as exc:  # ImportError, or any error raised while importing the user's module
        raise ModelLoadError(f"cannot import {mod_name!r} for model {spec!r}: {exc}") from exc
    finally:
        if added:
            sys.path.remove(cwd)
    factory = getattr(mod, fn_name, None)
    if not callable(factory):
        raise ModelLoadError(f"{mod_name!r} has no callable {fn_name!r}; define a function returning the nn.Module")
    try:
        model = factory()
    except SystemExit as exc:
        raise ModelLoadError(f"{spec}() called sys.exit({exc.code!r}) instead of returning the model") from None
    except Exception as exc:
        raise ModelLoadError(f"{spec}() raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(model, nn.Module):
        raise ModelLoadError(f"{spec}() returned {type(model).__name__}, not an nn.Module")
    return model


def read_state_dict(path: str | Path, *, what: str = "weights file") -> dict[str, torch.Tensor]:
    """Tensors from a ``.safetensors`` file or a ``weights_only`` torch checkpoint (a state dict, or a dict
    holding one under ``state_dict``/``model_state_dict``/``model``). ``what`` names the file in errors."""
    path = Path(path)
    if path.is_dir():
        raise ModelLoadError(f"{what} {str(path)!r} is a folder; give the file in it")
    if not path.is_file():
        raise ModelLoadError(f"{what} {str(path)!r} does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:
            raise ModelLoadError(f"{str(path)!r} is not a valid safetensors file: {exc}") from exc
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafeFileError(
            f"refused to load {str(path)!r}: it holds pickled objects beyond tensors, and unpickling them could "
            "run arbitrary code. Save the weights with safetensors or torch.save(model.state_dict(), path)"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(f"cannot read weights file {str(path)!r}: {exc}") from exc
    if isinstance(obj, dict):
        for key in _STATE_KEYS:
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelLoadError(f"{str(path)!r} does not hold a state dict of tensors")
    return obj


def load_model(spec: str, weights: str | Path | None = None) -> nn.Module:
    """The model built by ``spec`` with the weights file (if given) loaded into it (strict key match)."""
    model = load_factory(spec)
    if weights is not None:
        state = read_state_dict(weights)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise ModelLoadError(
                f"weights {str(weights)!r} do not match the model built by {spec!r}: "
                f"{' '.join(line.strip() for line in first[:3])}"
            ) from exc
    return model
