"""Writing output files safely: whole or not at all, never through a planted path, never over a user's file.

Every file neurodyn writes goes through :func:`atomic_write`: the bytes go to a fresh, uniquely named
temporary file created in the target folder (``O_EXCL``, so a pre-existing name or a planted symlink is never
opened), which is then renamed over the target with :func:`os.replace` (atomic on one file system). A target
that already exists is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from neurodyn.errors import OutputExistsError, OutputPathError


def check_output_dir(folder: str | Path, *, name: str = "the output folder") -> Path:
    """Create ``folder`` if needed and check that files can be created in it, before any work is done.

    Raises :class:`~neurodyn.errors.OutputPathError` naming the folder when it is a file, cannot be created
    or is not writable.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{name} {str(folder)!r} is a file, not a folder; give a folder path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".neurodyn-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"cannot write into {name} {str(folder)!r} ({exc.strerror or exc}); "
                              "give a folder you can write to") from None
    return folder


def check_new_file(path: str | Path, *, overwrite: bool, flag: str = "overwrite=True") -> Path:
    """``path`` as a :class:`Path`, refused when something already exists there and ``overwrite`` is false."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{str(path)!r} is a folder; give a file name to write")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputExistsError(f"{str(path)!r} already exists and was left untouched; pass {flag} to replace it "
                                "or choose another name")
    return path


def atomic_write(path: str | Path, data: bytes | str, *, overwrite: bool = False,
                 flag: str = "overwrite=True") -> Path:
    """Write ``data`` to ``path`` whole or not at all (see the module docstring); returns the path.

    The file gets the permissions a plain ``open`` would give it (those of the file it replaces, else
    ``0o666`` less the umask) and is flushed to disk before it takes the name. Without ``overwrite`` it takes
    the name with a hard link, which fails atomically if anything appeared there meanwhile. ``flag`` is how
    the caller's user asks for replacement (``"--overwrite"`` on the command line), quoted in the error when
    ``path`` exists and ``overwrite`` is false.
    """
    if not isinstance(data, (str, bytes, bytearray)):
        raise TypeError(f"atomic_write writes str or bytes, got {type(data).__name__}")
    path = check_new_file(path, overwrite=overwrite, flag=flag)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputPathError(f"cannot write {str(path)!r}: {exc.strerror or exc} in {str(path.parent)!r}; give a "
                              "file in an existing folder you can write to") from None
    try:
        os.fchmod(fd, _mode(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path, flag)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _mode(path: Path) -> int:
    """The permission bits for ``path``: the replaced file's, else what ``open`` gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _link_new(tmp: str, path: Path, flag: str) -> None:
    """Give the finished ``tmp`` the name ``path`` only if nothing is there (hard link, atomic)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExistsError(f"{str(path)!r} appeared while writing and was left untouched; pass {flag}") from None
    except OSError:  # a file system without hard links: check, then rename (a narrow window remains)
        if path.exists() or path.is_symlink():
            raise OutputExistsError(f"{str(path)!r} appeared while writing and was left untouched; pass {flag}") \
                from None
        os.replace(tmp, path)
