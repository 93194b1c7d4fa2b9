"""SIGTERM and SIGHUP (`kill`, the terminal closed) end the wizard as quitting does.

Python's default for both is to die on the spot, skipping every `finally`: the sandbox's doubles,
its temporary folder (with its throwaway Google Cloud key) and its CA file were left behind. Here
a signal asks the running app to exit through its event loop, so `app.run()` returns and the
caller's clean-up runs; before the app runs (the sandbox starting) it raises SystemExit, which
unwinds through the same `finally`. Progress is saved after every step, so nothing else needs
saving. A second signal while the first is handled is ignored: the exit is already under way.

Exit status: ``128 + signum``, the shell's convention (143 for SIGTERM, 129 for SIGHUP).
"""
from __future__ import annotations

import asyncio
import os
import signal
from typing import Callable

#: The signals that end the wizard cleanly.
HANDLED = (signal.SIGTERM, signal.SIGHUP)


class ExitOnSignals:
    """Installs the handlers at once; `restore()` puts the previous ones back. Set `exit_app`
    (the app's `exit`) once the app exists."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.exit_app: Callable[[], object] | None = None
        self._previous = {signum: signal.signal(signum, self._handle) for signum in HANDLED}

    @property
    def exit_code(self) -> int | None:
        """128 + the signal that ended the wizard, or None when none did."""
        return 128 + self.signum if self.signum is not None else None

    def _handle(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        if signum == signal.SIGHUP:
            _silence_terminal()
        try:
            loop = asyncio.get_running_loop()  # the handler runs on the main thread, the app's
        except RuntimeError:
            loop = None
        if loop is None or self.exit_app is None:
            raise SystemExit(128 + signum)  # not running yet: unwind through the `finally`
        loop.call_soon_threadsafe(self.exit_app)  # wakes the loop; safe from a handler

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def _silence_terminal() -> None:
    """The terminal is gone after a hang-up: writes to it fail (EIO), and the app's last escape
    codes or a note printed on the way out would turn a clean exit into a crash. Point stdout and
    stderr at /dev/null (at the descriptor level, so Textual's own writer follows)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
