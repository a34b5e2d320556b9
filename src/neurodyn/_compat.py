"""Keyword arguments renamed for one name per idea across the API; the old names work for one release (one
helper for every driver)."""

from __future__ import annotations

import warnings

from neurodyn.errors import InvalidInputError

_MISSING = object()


def renamed(caller: str, old: str, old_value, new: str, new_value, default=_MISSING):
    """The value of the argument ``new``, taking the deprecated ``old`` (with a ``DeprecationWarning``) when it is
    given instead; both given is an error, neither gives ``default`` (an error when there is none)."""
    if old_value is not None:
        if new_value is not None:
            raise InvalidInputError(f"{caller}: pass {new}= only ({old}= is its deprecated old name)")
        warnings.warn(f"{caller}({old}=...) is deprecated; use {new}=", DeprecationWarning, stacklevel=3)
        return old_value
    if new_value is None:
        if default is _MISSING:
            raise InvalidInputError(f"{caller} needs {new}=")
        return default
    return new_value
