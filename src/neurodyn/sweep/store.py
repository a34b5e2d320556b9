"""The sweep's result store: a Parquet dataset with one row per network, written as each network finishes.

Each row is its own file ``row-<id>.parquet`` in the store's folder, written to a unique temporary name and
renamed into place (atomic on one file system), so a row is either complete or absent, a crash loses no finished
row, and a rerun overwrites a failed row rather than adding a second one. ``pyarrow.parquet.read_table(folder)``
(or pandas, or Dask) reads the whole folder as one table.

Two safeguards make a store safe to share:

* A row file that cannot be read (truncated, not Parquet) is reported with a :class:`CorruptRowWarning` naming
  it, moved aside into ``quarantine/`` (so it is neither lost nor read again) and its network is run again;
  every good row is kept.
* Sweeps running at the same time on the same store claim each network before training it: a claim is a file
  ``claims/<id>.claim`` created with ``O_CREAT | O_EXCL`` (atomic, so exactly one sweep gets it) holding the
  owner's host, process id and time. A claim whose process has died (same host) or that is older than
  ``stale_after`` seconds is taken over (renamed away first, so only one sweep can take it over).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from neurodyn.errors import InvalidInputError


class CorruptRowWarning(UserWarning):
    """A row file of a sweep store could not be read; it was moved into the store's ``quarantine/`` folder."""


class ResultStore:
    """Rows of a sweep in the folder ``path`` (created on first write).

    Args:
        path: the store's folder.
        stale_after: seconds after which another sweep's claim on a network counts as abandoned even when its
            owner cannot be checked (a process on another host); default 24 hours.
    """

    def __init__(self, path, *, stale_after: float = 24 * 3600.0):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InvalidInputError(f"the result store {str(self.path)!r} is a file; give a folder (new or a store)")
        self.stale_after = float(stale_after)
        self.quarantined: list[Path] = []

    def _file(self, row_id: str) -> Path:
        return self.path / f"row-{row_id}.parquet"

    def write(self, row: dict) -> None:
        """Write ``row`` (it has an ``id``) whole, replacing an earlier row of the same id."""
        self.path.mkdir(parents=True, exist_ok=True)
        final = self._file(row["id"])
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{final.name}.", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(pa.Table.from_pylist([row]), tmp)
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _read(self, path: Path) -> dict | None:
        try:
            rows = pq.read_table(path).to_pylist()
            if len(rows) != 1 or "id" not in rows[0] or "status" not in rows[0]:
                raise ValueError(f"expected one row with 'id' and 'status', found {len(rows)} row(s)")
            return rows[0]
        except FileNotFoundError:  # replaced or moved by another sweep meanwhile
            return None
        except Exception as exc:  # pyarrow's ArrowInvalid, OSError, ValueError: the file is not a row
            self._quarantine(path, exc)
            return None

    def _quarantine(self, path: Path, exc: Exception) -> None:
        folder = self.path / "quarantine"
        folder.mkdir(exist_ok=True)
        dest = folder / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}"
        try:
            os.replace(path, dest)
        except FileNotFoundError:
            return
        self.quarantined.append(dest)
        warnings.warn(f"sweep store: row file {str(path)!r} is corrupt ({type(exc).__name__}: {exc}); moved it to "
                      f"{str(dest)!r} and will run its network again", CorruptRowWarning, stacklevel=4)

    def rows(self) -> list[dict]:
        """Every readable row in the store (order of ids); unreadable row files are quarantined (see above)."""
        if not self.path.is_dir():
            return []
        rows = (self._read(f) for f in sorted(self.path.glob("row-*.parquet")))
        return [r for r in rows if r is not None]

    def finished(self) -> set[str]:
        """Ids of the rows that finished without error (a rerun skips them)."""
        return {r["id"] for r in self.rows() if r["status"] == "ok"}

    def is_finished(self, row_id: str) -> bool:
        """Whether the row ``row_id`` is in the store and finished without error."""
        path = self._file(row_id)
        row = self._read(path) if path.exists() else None
        return row is not None and row["status"] == "ok"

    # claims -------------------------------------------------------------------------------------------------
    def _claim_file(self, row_id: str) -> Path:
        return self.path / "claims" / f"{row_id}.claim"

    def claim(self, row_id: str) -> bool:
        """Claim the network ``row_id`` for this process; False when another live sweep holds it."""
        path = self._claim_file(row_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        owner = json.dumps(dict(host=socket.gethostname(), pid=os.getpid(), time=time.time())).encode()
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._take_over_if_stale(path):
                    return False
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(owner)
            return True
        return False

    def _take_over_if_stale(self, path: Path) -> bool:
        """Move an abandoned claim out of the way (only one sweep succeeds); True if the claim is free now."""
        try:
            info = json.loads(path.read_text())
            age = time.time() - float(info["time"])
            dead = info["host"] == socket.gethostname() and not _alive(int(info["pid"]))
        except FileNotFoundError:
            return True
        except (ValueError, KeyError, TypeError, OSError):  # an unreadable claim: judge it by its age
            age, dead = time.time() - path.stat().st_mtime, False
        if not (dead or age > self.stale_after):
            return False
        try:
            os.rename(path, path.with_name(f"{path.name}.stale.{os.getpid()}"))
            os.unlink(path.with_name(f"{path.name}.stale.{os.getpid()}"))
        except FileNotFoundError:
            pass  # another sweep moved it first; the exclusive create decides
        return True

    def release(self, row_id: str) -> None:
        """Give up this process's claim on ``row_id`` (after its row is written, or when the sweep stops)."""
        path = self._claim_file(row_id)
        try:
            info = json.loads(path.read_text())
            if info.get("pid") == os.getpid() and info.get("host") == socket.gethostname():
                path.unlink()
        except (FileNotFoundError, ValueError):
            pass

    def __len__(self) -> int:
        return len(list(self.path.glob("row-*.parquet"))) if self.path.is_dir() else 0

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r}, {len(self)} rows)"


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
