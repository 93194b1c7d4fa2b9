"""Text that did not come from this source (names, IDs, paths, a cloud's or Porter's messages,
file contents) is shown as it is: never parsed as markup, so `ops[/]admin` neither crashes a
screen nor loses characters, and `Team [Prod]` keeps its brackets. Control characters (an escape
sequence in a profile name, say) are drawn as visible symbols instead of reaching the terminal.

Our own styling around such values is built with `styled`, piece by piece, never by formatting
values into a markup string."""
from __future__ import annotations

import re

from rich.text import Text

# C0 controls except tab and newline, DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␀ for NUL…
    return "␡" if code == 0x7F else "�"


def printable(value: object) -> str:
    """The value as a string, with control characters made visible (and harmless)."""
    return _CONTROL.sub(_picture, str(value))


def plain(value: object, style: str = "") -> Text:
    """The value as plain text: whatever brackets it holds are shown, never interpreted.

    A Text built here already (pieces appended with their styles) keeps its styles; only its
    control characters are made visible (one character each, so the styles stay in place)."""
    if isinstance(value, Text):
        text = value.copy()
        text.plain = printable(text.plain)
        if style:
            text.stylize(style)
        return text
    return Text(printable(value), style=style)


def styled(*parts: str | tuple[object, str]) -> Text:
    """Plain pieces, each a string or (value, style): e.g. styled(name, ("  (why)", "dim"))."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            value, style = part
            text.append(printable(value), style=style)
        else:
            text.append(printable(part))
    return text
