"""Strings that are not ours, as a cloud, a config file or a user may supply them: each must be
shown as it is (never parsed as markup), with control characters drawn as visible symbols."""
from __future__ import annotations

HOSTILE = [
    "ops[/]admin",
    "[bold]x",
    "[link=https://evil.example]y[/link]",
    "Team [Prod]",
    "esc\x1b[31mred",
]


def shown(value: str) -> str:
    """What the screen shows for a value: itself, with ESC drawn as ␛ (never sent to the terminal)."""
    return value.replace("\x1b", "\u241b")
