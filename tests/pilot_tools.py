"""Helpers for driving the app with Textual's Pilot."""
from __future__ import annotations

from textual.widgets import Button, Static


async def settle(pilot, rounds: int = 50) -> None:
    """Wait until every worker has finished and the messages they posted are handled."""
    from textual.worker import WorkerCancelled

    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # cancelling is what some tests do; a worker that *failed* still raises
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause()
            return


async def press(pilot, button_id: str) -> None:
    """Press a button the way a click would (Button.Pressed), then let the work finish."""
    button = pilot.app.screen.query_one(f"#{button_id}", Button)
    assert is_shown(button) and not button.disabled, f"#{button_id} is not available"
    button.press()
    await settle(pilot)


def text_of(pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def is_shown(widget) -> bool:
    """Displayed, and so is every container it sits in."""
    node = widget
    while node is not None and node is not widget.screen:
        if not node.display:
            return False
        node = node.parent
    return True


def shown_buttons(pilot) -> set[str]:
    return {b.id for b in pilot.app.screen.query(Button) if b.id and is_shown(b)}


async def wait_for_text(pilot, selector: str, text: str, timeout: float = 20.0) -> str:
    """For what arrives after a cancelled thread worker's thread ends (Textual counts a cancelled
    worker as finished at once, while its thread may still be inside an AWS call)."""
    import time

    from textual.css.query import NoMatches

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            shown = text_of(pilot, selector)
        except NoMatches:  # a modal is still closing over the screen
            shown = ""
        if text in shown:
            return shown
        await pilot.pause(0.05)
    raise AssertionError(f"{text!r} never appeared in {selector}; it shows {text_of(pilot, selector)!r}")


async def wait_for_focus(pilot, selector: str, timeout: float = 20.0) -> None:
    """For focus a screen moves after the next refresh (call_after_refresh): a key pressed before
    it lands would go to the control focused first."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        focused = pilot.app.focused
        if focused is not None and focused in pilot.app.screen.query(selector):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the focus never reached {selector}; it is on {pilot.app.focused!r}")


async def choose_porter_mode(pilot, mode: str = "standalone") -> None:
    """On "Connect to Porter", choose how the credentials reach Porter (by keyboard: Enter)."""
    for _ in range(50):
        await settle(pilot)
        if pilot.app.screen.STEP.endswith(".porter"):
            break
        await pilot.pause(0.05)
    modes = pilot.app.screen.query_one("#modes")
    modes.highlighted = [option.id for option in modes.options].index(mode)
    await pilot.press("enter")
    await settle(pilot)
