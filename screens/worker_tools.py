"""Helpers for code running inside a thread worker."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from wizard.errors import Cancelled, WizardError

from .messages import RunFinished, RunStopped


def cancelled() -> bool:
    return get_current_worker().is_cancelled


def bound_to_worker() -> tuple[Callable[[], bool], Callable[[float], None]]:
    """(cancelled, sleep) for code that fans out into its own threads: Textual knows the
    worker only in the worker's own thread, so capture it here."""
    worker = get_current_worker()

    def is_cancelled() -> bool:
        return worker.is_cancelled

    def sleep(seconds: float) -> None:
        pause = threading.Event()
        for _ in range(max(1, int(seconds / 0.2))):
            if worker.is_cancelled or pause.wait(0.2):
                return
    return is_cancelled, sleep


def interruptible_sleep(seconds: float) -> None:
    """Sleep in small slices so Esc or quitting stops a poll loop within a fraction of a second."""
    pause = threading.Event()
    for _ in range(max(1, int(seconds / 0.2))):
        if cancelled() or pause.wait(0.2):
            return


def run_and_report(target: MessagePump, job: Callable[[], Any]) -> None:
    """Run a long job in this worker thread and tell `target` how it ended: RunFinished with its
    result, RunStopped() when the user cancelled, RunStopped(error) when the cloud said no."""
    try:
        result = job()
    except Cancelled:
        target.post_message(RunStopped())
        return
    except WizardError as err:
        target.post_message(RunStopped(err))
        return
    target.post_message(RunFinished(result))
