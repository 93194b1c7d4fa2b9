"""Hand off to Porter: the credentials this setup made reach Porter, or the step is not done.

The same step for the three clouds. On the API path the wizard sends them (the secret is read
from the keyring just in time and never shown) and follows Porter's own access check; by hand, a
card lists each value with a copy key and the secret masked until asked for, and the step is done
when the user says Porter has them; standalone, the card says what to give Porter later.
"""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard import handoff
from wizard.errors import WizardError

from .plain import plain
from .base import WizardScreen
from .messages import HandoffProgress, HandoffSent, StepFailed
from .steps import CLOUD_NAMES, next_step
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.handoff_card import HandoffCard
from .worker_tools import cancelled, interruptible_sleep

# Where each cloud's values go in Porter's dashboard (seed 000 and the dashboard's forms).
WHERE = {
    "aws": "In Porter's dashboard (new project → AWS → Grant permissions) Porter made the "
           "ExternalId, so it already knows it: return to that page and press Continue; its "
           "permission check reaches 100% once it can assume the role below.",
    "azure": "In Porter's dashboard (new project → Azure, or Integrations → Azure for an existing "
             "one) paste the client ID, subscription ID, tenant ID and, as Password, the client "
             "secret.",
    "gcp": "In Porter's dashboard (new project → Google Cloud) drop the key file below, or choose "
           "it with “click to browse”. No file any more? Copy the key (JSON) instead.",
}


_ROWS = " Tab moves between rows; c copies the row"
KEYS = {"aws": _ROWS + ".", "azure": _ROWS + ", r shows the secret.", "gcp": _ROWS + ", r shows the key."}


class HandoffScreen(WizardScreen):
    @property
    def STEP(self) -> str:  # type: ignore[override]  # one screen for the three clouds' flows
        return f"{self.cloud}.handoff"

    @property
    def cloud(self) -> str:
        return self.ctx.state.cloud

    @property
    def mode(self) -> str:
        return self.ctx.state.porter_mode or "manual"

    def compose_body(self) -> ComposeResult:
        name = CLOUD_NAMES[self.cloud]
        yield Static(plain(f"Give Porter access to your {name} account"), classes="title")
        yield Static(plain(self._lead()), id="lead", classes="lead")
        try:
            found = handoff.items(self.ctx.state, self.ctx.secrets, self.cloud)
        except WizardError as err:
            found, self._missing = [], err
        else:
            self._missing = None
        if self.mode == "api":
            found = [item for item in found if not item.secret]  # sent, never shown
        yield HandoffCard(found, id="card")
        yield Static("", id="status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Send to Porter", id="send", variant="primary")
            yield Button("Porter has them", id="confirm", variant="primary")
            yield Button("Give them by hand instead", id="by-hand")
            yield Button("Continue", id="continue", variant="primary")

    def _lead(self) -> str:
        state = self.ctx.state
        if self.mode == "api":
            return (f"The wizard sends these to Porter project {state.porter_project} at "
                    f"{state.porter_host} through Porter's API, then follows Porter's own check "
                    "that it can reach your account.")
        if self.mode == "standalone":
            return ("No Porter project yet: the wizard goes on by itself. When you create a "
                    f"project, give Porter these; `porter-wizard handoff {self.cloud}` shows them "
                    "again." + KEYS[self.cloud])
        return WHERE[self.cloud] + KEYS[self.cloud]

    def on_mount(self) -> None:
        if self._missing is not None:
            self.query_one(ErrorPanel).show_error(self._missing)
            self._offer()
            return
        state = self.ctx.state
        if handoff.porter_is_current(state, self.cloud):
            p = handoff.progress(state, self.cloud)
            how = "through its API" if p.porter_via == "api" else "by hand"
            self._say(f"✓ Porter has these (given {how}, {p.porter_at}).")
            self._offer("continue")
        elif self.mode == "api":
            self._send()
        elif self.mode == "standalone":
            self._offer("continue")
        else:
            self._offer("confirm")
            self.query_one("#card").children[0].focus()

    def _offer(self, *buttons: str) -> None:
        for button in self.query(Button):
            button.display = button.id in buttons
        if buttons:
            button = self.query_one(f"#{buttons[0]}", Button)
            button.focus()
            # Shown a moment ago: scroll once it has a place on screen, so it is in view at 80x24.
            self.call_after_refresh(button.scroll_visible)

    def _say(self, text: str) -> None:
        self.query_one("#status", Static).update(plain(text))

    # -- the API path -------------------------------------------------------------------------

    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        self.query_one(ErrorPanel).show_error(None)
        self._offer()
        self._say("Sending to Porter…")
        self._send_job()

    @work(thread=True, exclusive=True, group="handoff")
    def _send_job(self) -> None:
        state, cloud = self.ctx.state, self.cloud
        try:
            client = handoff.porter_login_client()
            if client is None:
                raise WizardError("No Porter login", "Porter's CLI is no longer logged in on this "
                                  "machine and PORTER_TOKEN is not set.",
                                  "Run `porter auth login` and press Send to Porter, or press “Give "
                                  "them by hand instead”.")
            integration = handoff.send(state, self.ctx.secrets, cloud, client)
            self.post_message(HandoffProgress(0))
            percent = handoff.wait_for_access(
                client, cloud, handoff.access_identifier(state, cloud, integration),
                on_percent=lambda p: self.post_message(HandoffProgress(p)),
                cancelled=cancelled, sleep=interruptible_sleep)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(HandoffSent(integration, percent))

    def on_handoff_progress(self, message: HandoffProgress) -> None:
        self._say(f"Porter has the credentials; its access check: {message.percent}%…")

    def on_handoff_sent(self, message: HandoffSent) -> None:
        if message.percent < 100:
            self._say(f"Porter has the credentials, but its access check stopped at "
                      f"{message.percent}%. It keeps checking on its side; press Send to Porter to "
                      "look again, or continue and check Porter's dashboard later.")
            self._offer("send", "continue")
            return
        handoff.record(self.ctx.state, self.cloud, "api", message.integration_id)
        self.wizard.save_progress()
        self._say("✓ Porter has the credentials, and its own check reached your account (100%).")
        self._offer("continue")

    def on_step_failed(self, message: StepFailed) -> None:
        self._say("Porter does not have the credentials yet.")
        self.query_one(ErrorPanel).show_error(message.error)
        self._offer("send", "by-hand")

    @on(Button.Pressed, "#by-hand")
    def _by_hand(self) -> None:
        self.ctx.state.porter_mode = "manual"
        self.wizard.goto(self.STEP)  # redrawn with the card and its secret row

    # -- by hand ------------------------------------------------------------------------------

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.query_one(HandoffCard).hide_secrets()
        handoff.record(self.ctx.state, self.cloud, "manual")
        self.wizard.save_progress()
        self._continue()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        gcp = self.ctx.state.gcp
        if self.cloud == "gcp" and gcp.key_file and handoff.porter_is_current(self.ctx.state, "gcp"):
            self._offer_key_deletion(gcp.key_file)
            return
        self.wizard.goto(next_step(self.STEP) or "welcome")

    def _offer_key_deletion(self, path: str) -> None:
        from pathlib import Path

        file = Path(path)
        if not file.is_file():
            self.ctx.state.gcp.key_file = ""
            self.wizard.goto(next_step(self.STEP) or "welcome")
            return
        self.app.push_screen(ConfirmModal(
            "Delete the downloaded key file?",
            f"Porter has the key and your keyring keeps it. A key file left in {file.parent} is the "
            f"usual way keys leak (backups, sync folders, a shared laptop). Delete {file.name}?",
            "Delete the file", dangerous=False, cancel_label="Keep it"),
            lambda yes: self._after_offer(file, bool(yes)))

    def _after_offer(self, file, delete: bool) -> None:
        from wizard.gcp.connection import delete_key_file

        if delete:
            try:
                delete_key_file(file)
            except WizardError as err:
                self.wizard.exit_notes["gcp-key-file"] = f"{err.what} {err.next_step}"
        else:
            self.wizard.exit_notes["gcp-key-file"] = (
                f"The key file {file} is still on disk; Porter and your keyring have the key.")
        self.ctx.state.gcp.key_file = ""
        self.wizard.goto(next_step(self.STEP) or "welcome")
