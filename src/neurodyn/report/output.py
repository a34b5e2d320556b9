"""An output folder checked before the work and written at the end: every file whole, nothing replaced unasked.

:class:`OutputFolder` is how the commands and reports write: :meth:`~OutputFolder.check` runs before any
analysis (the folder can be created and written, none of the planned files exists unless ``overwrite``),
:meth:`~OutputFolder.write` puts each file in place with :func:`neurodyn._files.atomic_write` (a unique
temporary name in the folder, then a rename; a planted ``name.tmp`` or symlink is never opened), and
:meth:`~OutputFolder.discard` removes the folder again when the work failed and the check had created it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from neurodyn._files import atomic_write, check_new_file, check_output_dir


@dataclass
class OutputFolder:
    """The files ``names`` planned in ``folder``. ``flag`` is how the user asks to replace existing files
    (``"--overwrite"`` on the command line, ``"overwrite=True"`` in Python), quoted in the errors."""

    folder: Path
    names: tuple[str, ...] = ()
    overwrite: bool = False
    flag: str = "overwrite=True"
    what: str = "the output folder"
    _created: list[Path] = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.folder = Path(self.folder)

    def check(self, *extra: str | Path) -> OutputFolder:
        """Create the folder if needed, check it is writable and that no planned file (nor ``extra`` paths)
        exists unless ``overwrite``; raises :class:`~neurodyn.errors.OutputPathError` otherwise."""
        missing = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
        check_output_dir(self.folder, name=f"{self.what}")
        self._created = missing  # deepest first
        for name in self.names:
            check_new_file(self.folder / name, overwrite=self.overwrite, flag=self.flag)
        for path in extra:
            check_new_file(path, overwrite=self.overwrite, flag=self.flag)
        return self

    def path(self, name: str) -> Path:
        return self.folder / name

    def write(self, name: str, data: bytes | str) -> Path:
        """Write ``data`` to ``folder/name`` whole or not at all."""
        return atomic_write(self.folder / name, data, overwrite=self.overwrite, flag=self.flag)

    def write_json(self, name: str, data) -> Path:
        """A result's ``to_dict()`` (or JSON-safe data) as ``folder/name``."""
        from neurodyn.results import to_jsonable

        payload = data.to_dict() if hasattr(data, "to_dict") else to_jsonable(data)
        return self.write(name, json.dumps(payload, indent=1, allow_nan=False))

    def discard(self) -> None:
        """Remove the folders :meth:`check` created, if they are still empty (after a failed run)."""
        for path in self._created:
            try:
                path.rmdir()
            except OSError:
                break
        self._created = []
