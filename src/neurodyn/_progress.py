"""A rich progress bar that costs nothing when switched off."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def progress_bar(enabled: bool, total: int, description: str):
    """Yield ``advance(n)`` for a bar of ``total`` units, or ``None`` when ``enabled`` is False."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n: prog.advance(task, n)
        prog.update(task, completed=total)
