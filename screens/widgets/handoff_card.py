"""What Porter needs, one focusable row per item: `c` copies the row's value (OSC 52, which also
reaches a laptop's clipboard over SSH), `r` shows or hides a secret. A secret is drawn masked
until the user asks; values are plain text (never markup) and are never cut: a long one wraps on
its own line rather than being shortened, so selecting it by hand also works."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from wizard.handoff import HandoffItem

from ..plain import printable

MASK = "•" * 12


class HandoffRow(Static, can_focus=True):
    BINDINGS = [Binding("c", "copy", "Copy"), Binding("r", "reveal", "Show/hide", show=True)]

    def __init__(self, item: HandoffItem, **kwargs) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.revealed = False

    def on_mount(self) -> None:
        self.refresh_text()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only a secret row has something to reveal: the footer offers `r` only there.
        return self.item.secret if action == "reveal" else True

    def refresh_text(self) -> None:
        item = self.item
        text = Text()
        # One line a row (label, then the value whole): an ID or ARN is never cut, and a long
        # value (the key's JSON, revealed) wraps below rather than being shortened.
        text.append(f"{printable(item.label):<17}", style="bold")
        if item.secret and not self.revealed:
            text.append(f"{MASK}  press r to show, c to copy", style="dim")
        else:
            text.append(printable(item.value))
        self.update(text)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.item.value)
        self.notify(f"{printable(self.item.label)} copied (through your terminal: if it does not allow "
                    "clipboard access, select the text instead).", timeout=6, markup=False)

    def action_reveal(self) -> None:
        if self.item.secret:
            self.revealed = not self.revealed
            self.refresh_text()


class HandoffCard(Vertical):
    DEFAULT_CLASSES = "handoff-card"

    def __init__(self, items: list[HandoffItem], **kwargs) -> None:
        super().__init__(**kwargs)
        self._items = items

    def compose(self):
        for index, item in enumerate(self._items):
            yield HandoffRow(item, id=f"handoff-{index}", classes="handoff-row")

    def hide_secrets(self) -> None:
        for row in self.query(HandoffRow):
            row.revealed = False
            row.refresh_text()
