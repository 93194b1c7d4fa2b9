"""What the guard tests share: waiting without settling, recorders that catch every state
Continue and a status line pass through, and the saved progress as JSON."""
from __future__ import annotations

import json

from textual.widgets import Button

from wizard.state import WizardState

SIZE = (100, 50)
WHEN = "2026-11-23T10:00:00+00:00"


async def until(pilot, condition, what: str, timeout_rounds: int = 200) -> None:
    """Poll without waiting for the workers (settle would wait for a follower that never ends)."""
    for _ in range(timeout_rounds):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never got there: {what} (on {pilot.app.screen.STEP})")


def continue_button(pilot) -> Button:
    return pilot.app.screen.query_one("#continue", Button)


def watch_continue(pilot) -> list[tuple[bool, int]]:
    """Every change of Continue's disabled flag, with how many checks had answered by then."""
    screen, turns = pilot.app.screen, []
    screen.watch(continue_button(pilot), "disabled",
                 lambda disabled: turns.append((disabled, len(screen._checks))), init=False)
    return turns


def record_text(pilot, selector: str) -> list[str]:
    """Everything the screen writes into a Static, in order (a state shown for a moment counts)."""
    widget, texts = pilot.app.screen.query_one(selector), []
    update = widget.update

    def recording(content="") -> None:
        texts.append(str(content))
        update(content)
    widget.update = recording
    return texts


def saved(ctx, section: str) -> dict:
    return json.loads(ctx.store.path.read_text())[section]


def gcp_connected_ctx(doubles, make_ctx, step: str):
    from wizard.gcp.connection import store_key
    from wizard.gcp.key import parse_key

    ctx = make_ctx(WizardState(step=step, project="demo", cloud="gcp", porter_mode="standalone"))
    store_key(ctx.state, ctx.secrets, parse_key(json.dumps(doubles.make_key()), None))
    ctx.state.gcp.region = "us-central1"
    return ctx
