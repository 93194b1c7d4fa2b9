"""One wizard per progress file: a second instance is refused and told who holds it; status still
works; the sandbox's progress file has its own lock; a dead holder leaves no stale lock."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.lock import AlreadyRunning, InstanceLock, holder_pid, lock_path
from wizard.paths import state_file

HOLDER = """
import sys
from pathlib import Path
from wizard.lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1])).acquire()
print("locked", flush=True)
sys.stdin.readline()  # hold it until the test says so
lock.release()
print("released", flush=True)
"""
CLI = [sys.executable, "-c", "import sys; from screens.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture
def holder():
    """Start a process that holds the lock on a progress file; yields (process, path)."""
    started = []

    def start(path: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "locked"
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path, holder):
    path = tmp_path / "state.json"
    proc = holder(path)
    assert holder_pid(path) == proc.pid
    with pytest.raises(AlreadyRunning) as refused:
        InstanceLock(path).acquire()
    assert refused.value.pid == proc.pid
    assert refused.value.message == (f"Another porter-wizard (PID {proc.pid}) is using {path}; quit it first, "
                                     "or use --sandbox for a separate sandbox")
    assert refused.value.title and refused.value.what and refused.value.next_step
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"
    with InstanceLock(path) as mine:  # free again once the holder let go
        assert mine.held and holder_pid(path) == os.getpid()
    assert holder_pid(path) is None  # released: no PID of a process that no longer holds it


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, holder):
    path = tmp_path / "state.json"
    proc = holder(path)
    proc.kill()
    proc.wait(timeout=10)
    assert lock_path(path).exists()  # the file stays, with a dead PID; the OS dropped the lock
    with InstanceLock(path) as mine:
        assert mine.held


def test_two_locks_in_one_process_also_exclude_each_other(tmp_path):
    path = tmp_path / "sub" / "state.json"  # the folder is created
    with InstanceLock(path):
        with pytest.raises(AlreadyRunning) as refused:
            InstanceLock(path).acquire()
        assert refused.value.pid == os.getpid()
    InstanceLock(path).acquire().release()


def test_the_sandbox_has_its_own_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTER_WIZARD_HOME", str(tmp_path))
    real, sandbox = state_file(sandbox=False), state_file(sandbox=True)
    assert lock_path(real) != lock_path(sandbox)
    with InstanceLock(real), InstanceLock(sandbox, sandbox=True):
        pass


def test_the_cli_refuses_a_second_instance_but_status_still_works(tmp_path, holder):
    env = dict(os.environ, PORTER_WIZARD_HOME=str(tmp_path / "home"),
               PYTHON_KEYRING_BACKEND="wizard.sandbox.memory_keyring.MemoryKeyring")
    path = tmp_path / "home" / "state.json"
    proc = holder(path)
    second = subprocess.run(CLI, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert second.returncode == 2
    assert (f"Another porter-wizard (PID {proc.pid}) is using {path}; quit it first, or use --sandbox for a "
            "separate sandbox") in second.stderr
    reset = subprocess.run(CLI + ["--reset", "--force"], env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert reset.returncode == 2 and "Another porter-wizard" in reset.stderr  # no forgetting under its feet
    status = subprocess.run(CLI + ["status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "No stored credentials" in status.stdout
