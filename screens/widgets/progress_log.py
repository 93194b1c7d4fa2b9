"""Live progress of a long cloud operation: a spinner line with elapsed time, and its events."""
from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import LoadingIndicator, RichLog, Static

from ..plain import plain, printable


class ProgressLog(Vertical):
    DEFAULT_CLASSES = "progress-log"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._started: float | None = None
        self._what = ""
        self._timer = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="progress-line"):
            yield LoadingIndicator()
            yield Static("", classes="progress-text")
        yield RichLog(markup=False, wrap=True, max_lines=500, classes="events")

    def on_mount(self) -> None:
        self.display = False

    def start(self, what: str) -> None:
        self._what, self._started = what, time.monotonic()
        self.display = True
        self.query_one(LoadingIndicator).display = True
        self._tick()
        if self._timer is None:
            self._timer = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self._started is None:
            return
        elapsed = int(time.monotonic() - self._started)
        self.query_one(".progress-text", Static).update(
            plain(f"{self._what}  {elapsed // 60}:{elapsed % 60:02d}  (Esc stops watching)"))

    def add(self, when: str, subject: str, status: str, reason: str = "") -> None:
        line = Text()
        # Resource IDs, statuses and reasons are the cloud's words: plain, control characters shown.
        line.append(f"{printable(when)}  ", style="dim")
        line.append(f"{printable(subject):<22} ")
        style = "red" if "FAILED" in status or "ROLLBACK" in status else (
            "green" if status.endswith("COMPLETE") else "yellow")
        line.append(printable(status), style=style)
        if reason:
            line.append(f"  {printable(reason)}", style="dim")
        self.query_one(RichLog).write(line)

    def stop(self, summary: str) -> None:
        self._started = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.query_one(LoadingIndicator).display = False
        self.query_one(".progress-text", Static).update(plain(summary))
