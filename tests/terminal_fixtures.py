"""The installed `porter-wizard` in a real terminal (tmux), for the tests that type into it and
read it back: `terminals` opens as many as a test needs and closes them after."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest

WIDTH, HEIGHT = 100, 40


class Terminal:
    def __init__(self, home, command: str, extra_env: dict | None = None) -> None:
        assert shutil.which("tmux"), "tmux is needed for the terminal tests (.ci/run installs it)"
        assert shutil.which("porter-wizard"), "install the project first: pip install -e '.[test]'"
        self.socket = f"pw-test-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "PORTER_WIZARD_HOME": str(home), "TERM": "xterm-256color", **(extra_env or {})}
        self._tmux("new-session", "-d", "-s", "w", "-x", str(WIDTH), "-y", str(HEIGHT), command, env=env)

    def _tmux(self, *args: str, env=None) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, env=env).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "w")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.25)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def wait_for_any(self, *texts: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if any(text in shown for text in texts):
                return shown
            time.sleep(0.25)
        raise AssertionError(f"none of {texts!r} appeared; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", "w", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "w", "-l", text)

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "w", "#{pane_pid}").strip())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminals():
    opened: list[Terminal] = []

    def open_terminal(home, command="porter-wizard --sandbox", extra_env=None):
        opened.append(Terminal(home, command, extra_env))
        return opened[-1]

    yield open_terminal
    for term in opened:
        term.close()
