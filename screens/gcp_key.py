"""The service-account key: a path to the downloaded JSON file, or the key pasted. Checked at the
field (offline), then with Google (a token from the key's token_uri, then its project), then kept
only in the OS keyring; the downloaded file can be deleted from here, after a yes."""
from __future__ import annotations

import os

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, Static, TextArea

from wizard.errors import InputError, WizardError
from wizard.gcp.key import ServiceAccountKey, read_key
from wizard.secret_store import THIS_RUN_BUTTON

from .plain import plain
from .base import WizardScreen
from .gcp_messages import KeyAccepted
from .messages import StepFailed
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.field import Field

SANDBOX_KEY_ENV = "PORTER_SANDBOX_GCP_KEY"  # set by the sandbox: where it "downloaded" a key


def _path_only(text: str) -> str:
    return text  # the real checks need the paste box too: see GcpKeyScreen._read


class GcpKeyScreen(WizardScreen):
    STEP = "gcp.key"

    def compose_body(self) -> ComposeResult:
        gcp = self.ctx.state.gcp
        yield Static("Connect a Google Cloud service account", classes="title")
        yield Static(
            "Porter provisions with a service account's JSON key. In the Google Cloud console: IAM & "
            "Admin → Service accounts → Create service account (give it the Owner role on the project), "
            "then its Actions menu → Manage keys → Add key → Create new key → JSON. The browser "
            "downloads the key as a file. The wizard keeps it only in your OS keyring.", classes="lead")
        suggested = os.environ.get(SANDBOX_KEY_ENV, "") if self.ctx.sandbox else ""
        if suggested:
            yield Static("Sandbox: a key for the local project was just downloaded to the path below.",
                         classes="field-hint")
        if gcp.client_email and self.ctx.secrets.get(gcp.secret_name):
            yield Static(plain(f"In your keyring: the key {gcp.key_id[:12]}… of {gcp.client_email} (project "
                         f"{gcp.project_id}), stored {gcp.key_stored_at}."), classes="callout", id="stored")
        record = self.ctx.state.secrets.get(gcp.secret_name) if gcp.client_email else None
        if record and record.session_only and not self.ctx.secrets.get(gcp.secret_name):
            yield Static(plain(f"The key {gcp.key_id[:12]}… of {gcp.client_email} was kept for one run only "
                               "(there was no keyring), so it ended with that run: give the key again below."),
                         classes="callout", id="kept-one-run")
        yield Field("Path of the key file", input_id="key-path", validate=_path_only, value=suggested,
                    placeholder="~/Downloads/my-project-1a2b3c4d5e6f.json")
        yield Label("…or paste the key's contents (used instead of the path when not empty)", classes="field-label")
        yield TextArea(id="key-paste", soft_wrap=True, show_line_numbers=False)
        yield Static("", id="key-paste-error", classes="field-error")
        yield Static("", id="key-status", classes="field-hint")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary")
            if gcp.client_email and self.ctx.secrets.get(gcp.secret_name):
                yield Button("Use the stored key", id="use-stored")
            yield Button(THIS_RUN_BUTTON, id="this-run")

    def on_mount(self) -> None:
        self.query_one("#key-paste-error").display = False
        self.query_one("#this-run").display = False
        self.query_one("#key-path").focus()

    def _read(self) -> ServiceAccountKey | None:
        field, paste = self.query_one("#key-path-field", Field), self.query_one("#key-paste", TextArea)
        paste_error = self.query_one("#key-paste-error", Static)
        field.set_error("")
        paste_error.display = False
        try:
            return read_key(field.input.value, paste.text)
        except InputError as err:
            message = f"{err.what} {err.next_step}".strip()
            if paste.text.strip():  # the error goes where the key came from
                paste_error.update(plain(message))
                paste_error.display = True
            else:
                field.set_error(message)
            return None

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        key = self._read()
        if key is None:
            return
        problem = self.ctx.secrets.problem(cloud="gcp")
        if problem:  # before asking Google anything: no keyring, and no "this run only" yet
            self.query_one(ErrorPanel).show_error(problem)
            button = self.query_one("#this-run", Button)
            button.display = True
            button.focus()
            return
        gcp = self.ctx.state.gcp
        stored = self.ctx.secrets.get(gcp.secret_name) if gcp.client_email else None
        replacing = stored and (gcp.client_email, gcp.key_id) != (key.client_email, key.key_id)
        if replacing and not self.ctx.force:
            self.app.push_screen(ConfirmModal(
                "Replace the stored key?", f"Your keyring holds the key {gcp.key_id[:12]}… of {gcp.client_email}. "
                f"Replace it with the key {key.key_id[:12]}… of {key.client_email}? The old one is removed "
                "from the keyring (it stays valid in Google Cloud until you delete it there).", "Replace"),
                lambda yes: self._verify(key) if yes else None)
            return
        self._verify(key)

    def on_input_submitted(self) -> None:
        self._continue()

    @on(Button.Pressed, "#this-run")
    def _this_run_only(self) -> None:
        self.ctx.secrets.keep_for_this_run()
        self.query_one("#this-run").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._continue()

    @on(Button.Pressed, "#use-stored")
    def _use_stored(self) -> None:
        self.wizard.goto("gcp.apis")

    def _verify(self, key: ServiceAccountKey) -> None:
        self.query_one("#continue").disabled = True
        self.query_one(ErrorPanel).show_error(None)
        self.query_one("#key-status", Static).update(plain(f"Asking Google for a token as {key.client_email}…"))
        self._check_with_google(key)

    @work(thread=True, exclusive=True, group="key")
    def _check_with_google(self, key: ServiceAccountKey) -> None:
        from wizard.gcp.connection import verify_key

        try:
            verify_key(key)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(KeyAccepted(key))

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#continue").disabled = False
        self.query_one("#key-status", Static).update("")
        self.query_one(ErrorPanel).show_error(message.error)

    def on_key_accepted(self, message: KeyAccepted) -> None:
        from wizard.gcp.connection import store_key

        key, gcp = message.key, self.ctx.state.gcp
        if gcp.project_id and gcp.project_id != key.project_id:
            # Another project: what was checked or chosen for the old one does not carry over.
            gcp.apis_enabled_at = gcp.region = gcp.checks_passed_at = gcp.cost_acknowledged_at = ""
        try:
            store_key(self.ctx.state, self.ctx.secrets, key)
        except WizardError as err:
            self.on_step_failed(StepFailed(err))
            return
        # Porter's dashboard takes the key as that file: the hand-off offers to delete it once
        # Porter has the key, not before.
        gcp.key_file = str(key.path) if key.path is not None else ""
        self.wizard.save_progress()
        self.query_one("#key-paste", TextArea).text = ""  # the key is in the keyring now, not on screen
        if self.ctx.secrets.session_only:
            self.notify("The key is kept in memory for this run only (no keyring here): a relaunch will "
                        "need it again.", timeout=10)
        self.wizard.goto("gcp.apis")
