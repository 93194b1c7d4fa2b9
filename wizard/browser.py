"""Whether opening a web page for the user makes sense here.

Never on a host reached over SSH (the page would open on the remote machine, or a text browser
would take over the terminal); on Linux only with a graphical session.
"""
from __future__ import annotations

import os
import sys
import webbrowser

_TEXT_BROWSERS = {"www-browser", "lynx", "links", "elinks", "w3m"}


def can_open_browser() -> bool:
    if any(os.environ.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")):
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    return getattr(browser, "name", "") not in _TEXT_BROWSERS


def open_page(url: str) -> bool:
    return can_open_browser() and webbrowser.open(url, new=2)
