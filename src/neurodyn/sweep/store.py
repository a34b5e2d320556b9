"""The sweep's result store: a Parquet dataset with one row per network, written as each network finishes.

Each row is its own file ``row-<id>.parquet`` in the store's folder, written to a temporary name and renamed
into place (atomic on one file system), so a row is either complete or absent, a crash loses no finished row,
and a rerun overwrites a failed row rather than adding a second one. ``pyarrow.parquet.read_table(folder)`` (or
pandas, or Dask) reads the whole folder as one table.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from neurodyn.errors import InvalidInputError


class ResultStore:
    """Rows of a sweep in the folder ``path`` (created on first write)."""

    def __init__(self, path):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InvalidInputError(f"the result store {str(self.path)!r} is a file; give a folder (new or a store)")

    def _file(self, row_id: str) -> Path:
        return self.path / f"row-{row_id}.parquet"

    def write(self, row: dict) -> None:
        """Write ``row`` (it has an ``id``) whole, replacing an earlier row of the same id."""
        self.path.mkdir(parents=True, exist_ok=True)
        final = self._file(row["id"])
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        pq.write_table(pa.Table.from_pylist([row]), tmp)
        os.replace(tmp, final)

    def rows(self) -> list[dict]:
        """Every row in the store (order of ids)."""
        if not self.path.is_dir():
            return []
        return [pq.read_table(f).to_pylist()[0] for f in sorted(self.path.glob("row-*.parquet"))]

    def finished(self) -> set[str]:
        """Ids of the rows that finished without error (a rerun skips them)."""
        return {r["id"] for r in self.rows() if r["status"] == "ok"}

    def __len__(self) -> int:
        return len(list(self.path.glob("row-*.parquet"))) if self.path.is_dir() else 0

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r}, {len(self)} rows)"
