"""Whatever is at the progress file's path, loading answers at once with a StateFileError that says
what is there: a FIFO or a device is refused before reading (never a hang), a file far bigger than
any progress file is refused (before reading, or as soon as it grows past the limit), and an
operating-system error is named."""
from __future__ import annotations

import errno
import os
import socket
import stat
import tempfile
import threading
from pathlib import Path

import pytest

from wizard.errors import StateFileError
from wizard.state import MAX_STATE_BYTES, StateStore, WizardState, _kind

CANT_READ_NEXT = "Fix the file's permissions or move it away, or start over with `porter-wizard --reset`."


def _unreadable(path: Path) -> StateFileError:
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    error = caught.value
    assert (error.title, error.next_step, error.from_a_command) == (
        "Saved progress can't be read", CANT_READ_NEXT, CANT_READ_NEXT)
    return error


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "state.json"
    os.mkfifo(path)
    outcome: list[BaseException] = []

    def load():
        try:
            StateStore(path).load()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # open() is waiting for a writer: give it one so the thread ends
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("loading a FIFO waited for a writer")
    assert isinstance(outcome[0], StateFileError)
    assert outcome[0].what == f"{path} could not be read (it is a named pipe (FIFO), not a file)."


def test_a_device_is_refused():
    assert _unreadable(Path(os.devnull)).what == f"{os.devnull} could not be read (it is a device, not a file)."


def test_a_folder_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()
    assert _unreadable(path).what == f"{path} could not be read (it is a folder, not a file)."


def test_a_socket_is_refused():
    # A folder of its own under /tmp: a socket's path is limited to about 100 characters, more
    # than pytest's tmp_path may leave.
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="pw") as folder:
        path = Path(folder) / "s.json"
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
            assert _unreadable(path).what == f"{path} could not be read (No such device or address)."


def test_a_path_through_a_file_is_refused(tmp_path):
    (tmp_path / "cfg").write_text("a file where a folder should be")
    path = tmp_path / "cfg" / "state.json"
    assert _unreadable(path).what == f"{path} could not be read (Not a directory)."


@pytest.mark.parametrize("mode, kind", [
    (stat.S_IFDIR, "a folder"), (stat.S_IFIFO, "a named pipe (FIFO)"), (stat.S_IFCHR, "a device"),
    (stat.S_IFBLK, "a device"), (stat.S_IFSOCK, "a socket"), (0, "not a regular file"),
])
def test_every_kind_of_thing_at_the_path_is_named(mode, kind):
    """Block devices and sockets cannot be opened in a test (no permission, ENXIO): their names
    are checked here, and what open() says about them by the tests above."""
    assert _kind(mode | 0o600) == kind


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b" " * (MAX_STATE_BYTES + 1))
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    assert caught.value.title == "Saved progress is damaged"
    assert caught.value.what.endswith(f"({MAX_STATE_BYTES + 1} bytes; a progress file is a few kilobytes).")


def test_a_file_of_exactly_the_limit_is_read(tmp_path):
    """Padded with spaces to the limit: read whole (in many chunks) and parsed."""
    path = tmp_path / "state.json"
    text = WizardState(step="aws.grant").to_json().encode()
    path.write_bytes(text + b" " * (MAX_STATE_BYTES - len(text)))
    assert os.path.getsize(path) == MAX_STATE_BYTES
    assert StateStore(path).load() == WizardState(step="aws.grant")


def _fstat_saying_size(monkeypatch, size: int) -> None:
    real = os.fstat

    def fstat(fd):
        info = list(real(fd))
        info[stat.ST_SIZE] = size
        return os.stat_result(info)

    monkeypatch.setattr(os, "fstat", fstat)


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    path.write_bytes(b" " * (MAX_STATE_BYTES + 1))
    _fstat_saying_size(monkeypatch, 10)  # as it was when we looked, before it grew
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    assert caught.value.what.endswith(f"(over {MAX_STATE_BYTES} bytes).")


def _failing(monkeypatch, name: str, error: OSError) -> None:
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, name, fail)


@pytest.mark.parametrize("call", ["open", "fstat", "read"])
@pytest.mark.parametrize("error, reason", [
    (OSError(errno.EIO, "Input/output error"), "Input/output error"),
    (PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
    (OSError(), "OSError"),  # no message: its kind is named
])
def test_an_os_error_is_named(tmp_path, monkeypatch, call, error, reason):
    path = tmp_path / "state.json"
    path.write_text('{"version": 1}')
    _failing(monkeypatch, call, error)
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    monkeypatch.undo()
    assert caught.value.title == "Saved progress can't be read"
    assert caught.value.what == f"{path} could not be read ({reason})."
