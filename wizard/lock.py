"""One wizard per progress file.

Two wizards on one progress file would each press Provision and make every network resource
twice, and each would overwrite the other's saved progress. So the app holds an exclusive lock
(``fcntl.flock``) on ``state.json.lock`` beside the progress file for as long as it runs; a second
instance finds it taken and says which process holds it (the lock file holds that PID).

The lock, not the PID in the file, is the truth: the OS drops it when its holder exits or dies, so
a crash never leaves a stale lock behind (the file stays, with a dead PID, and the next launch
simply takes the lock). The file is never deleted: deleting it would let a third instance lock a
new file while the second still holds the old one.

Read-only commands (``porter-wizard status``, ``handoff`` without --done) do not need it. The
sandbox's progress file is separate (``paths.state_file(sandbox=True)``), and so is its lock.
"""
from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from .errors import WizardError
from .paths import config_dir_error, ensure_private_dir

try:
    import fcntl
except ImportError:  # Windows: no flock; the wizard runs there without the lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class AlreadyRunning(WizardError):
    """Another process holds the lock on this progress file. The CLI prints ``message`` and exits 2."""

    def __init__(self, state_path: Path, pid: int | None, *, sandbox: bool = False) -> None:
        self.state_path = state_path
        self.pid = pid
        who = f"PID {pid}" if pid else "PID unknown"
        fix = "quit it first" if sandbox else "quit it first, or use --sandbox for a separate sandbox"
        super().__init__("The wizard is already running",
                         f"Another porter-wizard ({who}) is using {state_path}.", fix[0].upper() + fix[1:] + ".")
        self.message = f"Another porter-wizard ({who}) is using {state_path}; {fix}"


def lock_path(state_path: Path) -> Path:
    """``…/state.json`` → ``…/state.json.lock``."""
    return state_path.with_name(state_path.name + ".lock")


def holder_pid(state_path: Path) -> int | None:
    """The PID written in the lock file (whoever last held it; None when empty or unreadable)."""
    try:
        text = lock_path(state_path).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class InstanceLock:
    """``InstanceLock(state_path).acquire()``, then ``release()`` (or use it as a context manager)."""

    def __init__(self, state_path: Path, *, sandbox: bool = False) -> None:
        self.state_path = Path(state_path)
        self.path = lock_path(self.state_path)
        self._sandbox = sandbox
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise AlreadyRunning (another process has it) or ConfigDirError (the
        folder can't be created). Never blocks."""
        if self._fd is not None or fcntl is None:
            return self
        ensure_private_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise config_dir_error(self.path.parent, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise AlreadyRunning(self.state_path, holder_pid(self.state_path), sandbox=self._sandbox) from None
            # A filesystem without locks (some network mounts): run, as before there was a lock.
            log.warning("Could not lock %s (%s); not guarding against a second instance.", self.path,
                        exc.strerror or exc)
            return self
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass  # the lock is what counts; the PID is only for the message
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # no PID of a process that no longer holds it
        except OSError:
            pass
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # an in-process caller that forgot: never keep the file locked
        if getattr(self, "_fd", None) is not None:
            self.release()
