"""One quota on the quota screen: what the cluster needs, what is used, the limit, the verdict."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import LoadingIndicator, Static

from ..plain import plain

COLUMNS = ("Quota", "Needs", "In use", "Limit", "Result")


class QuotaHeader(Static):
    def __init__(self) -> None:
        super().__init__(f"{COLUMNS[0]:<38}{COLUMNS[1]:>6}{COLUMNS[2]:>8}{COLUMNS[3]:>8}   {COLUMNS[4]}",
                         classes="quota-header")


class QuotaRow(Horizontal):
    DEFAULT_CLASSES = "quota-row"

    def __init__(self, key: str, label: str, needed: int) -> None:
        super().__init__(id=f"quota-{key}")
        self._label, self._needed = label, needed

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        # Quota names are the cloud's: plain text.
        yield Static(plain(f"{self._label:<38}{self._needed:>6}"), classes="quota-figures")
        yield Static("checking…", classes="quota-result")

    def _result(self, text: Text | str, *, busy: bool = False) -> None:
        self.query_one(LoadingIndicator).visible = busy  # keeps its width: columns stay aligned
        self.query_one(".quota-result", Static).update(text)

    def show_check(self, check) -> None:
        figures = self.query_one(".quota-figures", Static)
        if check.error is not None:
            figures.update(plain(f"{self._label:<38}{self._needed:>6}{'?':>8}{'?':>8}"))
            self._result(plain(f"✗ {check.error.title}", style="red"))
            return
        figures.update(plain(f"{self._label:<38}{self._needed:>6}{check.usage:>8}{check.limit:>8g}"))
        if check.ok:
            self._result(Text("✓ enough", style="green"))
        else:
            self._result(Text(f"✗ short by {check.short_by}", style="red"))

    def show_request(self, request) -> None:
        if request.approved:
            self._result(Text(f"✓ increase to {request.desired:g} approved; re-checking", style="green"), busy=True)
        elif request.done:
            self._result(plain(f"✗ increase {request.status.lower().replace('_', ' ')}", style="red"))
        else:
            self._result(plain(f"… increase to {request.desired:g} requested: {request.status}", style="yellow"),
                         busy=True)

    def checking(self) -> None:
        self._result("checking…", busy=True)
