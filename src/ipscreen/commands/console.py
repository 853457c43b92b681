"""Console helpers shared by the CLI modules: stderr console and a Rich progress bar."""

from __future__ import annotations

import contextlib
from typing import Iterator


def err_console():
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator:
    """A Rich progress bar on stderr; yields a callback(label, done, total)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err_console(), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {label}", completed=done, total=total)

        yield update
