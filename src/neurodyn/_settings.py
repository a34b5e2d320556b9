"""Settings records of the drivers: ``driver(..., settings=XSettings(...), **options)``, where a keyword option
replaces one field of ``settings`` (one helper for every driver with a settings object)."""

from __future__ import annotations

import dataclasses

from neurodyn.errors import InvalidInputError


def with_options(cls, settings, options: dict, caller: str, *, arguments: tuple[str, ...] = ()):
    """``settings`` (default ``cls()``) with the fields named in ``options`` replaced.

    A keyword given together with ``settings=`` wins over that field of ``settings``: ``settings`` is a set of
    defaults that single keywords adjust. A ``settings`` of another type, or an option that is not a field of
    ``cls``, raises :class:`~neurodyn.InvalidInputError` naming it and listing the valid names (the driver's own
    ``arguments`` and the fields of ``cls``)."""
    if settings is None:
        settings = cls()
    elif not isinstance(settings, cls):
        raise InvalidInputError(f"{caller}: settings must be a {cls.__name__}, got {type(settings).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        listed = f"its arguments are {sorted(arguments)} and the {cls.__name__} fields {sorted(names)}"
        raise InvalidInputError(f"{caller} got unknown argument(s) {unknown}; {listed}")
    return dataclasses.replace(settings, **options) if options else settings
