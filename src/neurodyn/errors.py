"""Exceptions and warnings raised by neurodyn.

Every user-facing failure is a :class:`NeurodynError` subclass whose message names the offending object
and says what to change.
"""

from __future__ import annotations


class NeurodynError(Exception):
    """Base class of every error neurodyn raises on purpose."""


class InvalidInputError(NeurodynError, ValueError):
    """An argument has the wrong shape, dtype, range or type."""


class NonFiniteError(InvalidInputError):
    """A state, input, parameter or weight contains NaN or inf."""


class UnsupportedModelError(NeurodynError, TypeError):
    """A model (``nn.Module`` or callable) that neurodyn cannot turn into a system."""


class DivergenceError(NeurodynError, FloatingPointError):
    """A run produced NaN/inf; ``step`` is the first step at which it was seen."""

    def __init__(self, message: str, *, step: int):
        super().__init__(message)
        self.step = step


class ConvergenceError(NeurodynError, RuntimeError):
    """An iteration (Newton, shooting, power iteration, a Lyapunov run judged by its diagnostic) that did not
    reach its tolerance; raised by drivers called with ``strict=True``. ``result`` holds the partial result."""

    def __init__(self, message: str, *, result=None):
        super().__init__(message)
        self.result = result


class OutputPathError(NeurodynError, OSError):
    """An output folder or file that cannot be written (a file where a folder is needed, no permission)."""


class OutputExistsError(OutputPathError, FileExistsError):
    """An output file exists already; it is replaced only when the caller asks (``overwrite=True``)."""


class UnsafeFileError(NeurodynError):
    """A weights file that would need arbitrary code execution (a pickle of objects) to load."""


class ModelLoadError(NeurodynError):
    """A model factory that does not import or weights that do not fit the model."""


class ConvergenceWarning(UserWarning):
    """An estimate whose convergence diagnostic says it is not settled yet."""
