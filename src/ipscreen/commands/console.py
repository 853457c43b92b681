"""Console helpers shared by the CLI modules: stderr console and a Rich progress bar."""

from __future__ import annotations

import contextlib
from typing import Iterator


def err_console():
    from rich.console import Console

    return Console(stderr=True)


PLAIN_EVERY_S = 30.0  # seconds between plain progress lines of one unchanged step
PLAIN_QUIET_S = 3.0  # seconds after the first progress update before plain lines start (quick work stays clean);
# the environment variable IPSCREEN_PROGRESS_QUIET_S sets another (0: every step of any run in the log)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator:
    """A Rich progress bar on stderr in a terminal, else plain progress lines (CI logs, nohup, a file); yields a
    callback(label, done, total)."""
    console = err_console()
    if not console.is_terminal:
        yield _plain_progress(description, console)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {label}", completed=done, total=total)

        yield update


def _plain_progress(description: str, console):
    """callback(label, done, total) writing, from PLAIN_QUIET_S after its first update on, one timestamped line when the
    step changes, when it finishes, and at most every PLAIN_EVERY_S seconds in between, so a long run is never
    silent in a log and a quick one (or a one-line error) adds nothing."""
    import os
    import time

    state = {"label": None, "last": 0.0, "finished": False, "start": None}
    try:
        quiet = float(os.environ.get("IPSCREEN_PROGRESS_QUIET_S", PLAIN_QUIET_S))
    except ValueError:
        quiet = PLAIN_QUIET_S

    def update(label: str, done: int, total: int) -> None:
        now = time.monotonic()
        state["start"] = state["start"] or now
        if now - state["start"] < quiet:
            return
        finished = bool(total) and done >= total
        if label == state["label"] and (state["finished"] or not finished and now - state["last"] < PLAIN_EVERY_S):
            return
        state.update(label=label, last=now, finished=finished)
        count = f" {done}/{total}" if total else ""
        console.print(f"{time.strftime('%H:%M:%S')} {description}: {label}{count}", markup=False, highlight=False,
                      soft_wrap=True)

    return update
