"""Helpers for code running inside a thread worker."""
from __future__ import annotations

import threading

from textual.worker import get_current_worker


def cancelled() -> bool:
    return get_current_worker().is_cancelled


def interruptible_sleep(seconds: float) -> None:
    """Sleep in small slices so Esc or quitting stops a poll loop within a fraction of a second."""
    pause = threading.Event()
    for _ in range(max(1, int(seconds / 0.2))):
        if cancelled() or pause.wait(0.2):
            return
