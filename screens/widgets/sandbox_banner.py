"""The SANDBOX marker shown on every screen in sandbox mode, so nobody mistakes a demo for a real
account (or the other way round)."""
from __future__ import annotations

from textual.widgets import Static

from ..plain import plain


class SandboxBanner(Static):
    def __init__(self, endpoint: str) -> None:
        where = f" (AWS at {endpoint})" if endpoint else ""
        super().__init__(plain(f" SANDBOX  Local cloud doubles{where}; nothing here touches a real account."),
                         id="sandbox-banner")
