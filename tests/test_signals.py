"""SIGTERM (`kill`) and SIGHUP (the terminal closed) end `porter-wizard --sandbox` cleanly: the
saved progress stays whole, the exit status is 128 + the signal, and no temporary file of the
sandbox (its folder with the downloaded Google Cloud key, the doubles' CA file) is left behind."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from .terminal_fixtures import Terminal


def to_google_cloud(term: Terminal) -> None:
    """From the welcome screen to Google Cloud's first step: its doubles start and the sandbox
    "downloads" a service-account key into its temporary folder."""
    term.wait_for("SANDBOX")
    term.wait_for("Connect your cloud account to Porter")
    term.type("acme-prod")
    term.keys("Tab", "End", "Enter")  # the last cloud, Google Cloud, and continue
    term.wait_for("Google Cloud · step 1")
    term.wait_for("Porter login found")


def pane_exit_status(term: Terminal, timeout: float = 30) -> int | None:
    """The exit status tmux saw (a signal that ended it counts as the shell's 128 + signum), or
    None if it never said: tmux marks the pane dead a moment before it fills the status in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead, status, by_signal = (term._tmux("display-message", "-p", "-t", "w",
                                              "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}")
                                   .strip().split(":") + ["", ""])[:3]
        if dead == "1" and (status or by_signal):
            return int(status) if status else 128 + int(by_signal)
        time.sleep(0.2)
    return None


def gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def started(tmp_path, terminals):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    term = terminals(tmp_path / "home", extra_env={"TMPDIR": str(tmp)})
    term._tmux("set-option", "-t", "w", "remain-on-exit", "on")  # to read the exit status
    to_google_cloud(term)
    made = sorted(p.name for p in tmp.iterdir())
    assert any(name.startswith("porter-wizard-sandbox-") for name in made), made
    assert list(tmp.glob("porter-wizard-sandbox-*/Downloads/*.json")), "no key was downloaded"
    assert any(name.startswith("porter-sandbox-ca-") for name in made), made
    return term, tmp


def assert_clean_exit(tmp_path, tmp) -> None:
    saved = json.loads((tmp_path / "home" / "sandbox" / "state.json").read_text())
    assert saved["step"] == "gcp.porter" and saved["project"] == "acme-prod"
    assert saved["cloud"] == "gcp"
    assert sorted(p.name for p in tmp.iterdir()) == []  # no sandbox folder, key or CA file


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_saves_progress_and_removes_the_sandbox_s_files(tmp_path, terminals, signum):
    term, tmp = started(tmp_path, terminals)
    pid = term.pid()
    os.kill(pid, signum)
    assert gone(pid, timeout=60), "the wizard did not exit"
    assert pane_exit_status(term) == 128 + signum
    assert "Traceback" not in term.screen()
    assert_clean_exit(tmp_path, tmp)


def test_closing_the_terminal_cleans_up_too(tmp_path, terminals):
    """The real hang-up: the terminal goes away (tmux's server killed sends the pane SIGHUP)."""
    term, tmp = started(tmp_path, terminals)
    pid = term.pid()
    term.close()
    assert gone(pid), "the wizard outlived its terminal"
    assert_clean_exit(tmp_path, tmp)
