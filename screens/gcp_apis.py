"""Enable the five APIs the platform needs, all at once, each followed until Google says it is on
(the console's APIs & Services → Library, one click per API)."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.errors import WizardError

from .plain import plain, styled
from .base import WizardScreen
from .gcp_messages import ApiChanged, ApisDone
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel
from .worker_tools import bound_to_worker

_STYLE = {"enabled": "green", "enabling": "yellow", "checking": "dim", "failed": "red"}
# What each API is for, in words for someone who has never seen the console page.
WHY = {  # short: the row is 56 columns wide
    "compute.googleapis.com": "network, nodes",
    "container.googleapis.com": "the GKE cluster",
    "cloudresourcemanager.googleapis.com": "permission checks",
    "containerregistry.googleapis.com": "gcr.io image names",
    "artifactregistry.googleapis.com": "your build images",
}


class GcpApisScreen(WizardScreen):
    STEP = "gcp.apis"
    POLL_SECONDS = 2.0
    TIMEOUT_SECONDS = 600.0  # "It might take a few minutes for each of these APIs to be enabled."

    def compose_body(self) -> ComposeResult:
        from wizard.gcp.apis import PORTER_APIS

        gcp = self.ctx.state.gcp
        yield Static("Enable the APIs", classes="title")
        yield Static(
            plain(f"Google Cloud only lets a project use the APIs that are enabled on it. The wizard enables "
            f"these five in {gcp.project_id} (the console's APIs & Services → Library); enabling "
            "an API creates nothing and costs nothing by itself."), classes="lead")
        for service, title in PORTER_APIS.items():
            with Horizontal(classes="provider-row"):
                yield Static(styled(title, "  ", (f"({WHY.get(service, service)})", "dim")),
                             classes="provider-name")
                yield Static(plain("checking", style="dim"), id=self._row_id(service), classes="provider-state")
        yield Static("", id="apis-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Retry", id="retry")
            yield Button("Continue", id="continue", variant="primary")

    @staticmethod
    def _row_id(service: str) -> str:
        return "api-" + service.split(".")[0]

    def on_mount(self) -> None:
        self.query_one("#retry").display = False
        self.query_one("#continue").disabled = True
        self._enable()

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.query_one("#retry").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._enable()

    @work(thread=True, exclusive=True, group="apis")
    def _enable(self) -> None:
        from wizard.gcp.apis import enable_apis
        from wizard.gcp.connection import project_api

        try:
            api = project_api(self.ctx.state, self.ctx.secrets)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        cancelled, sleep = bound_to_worker()  # enable_apis follows each API from its own thread
        rows = enable_apis(api, lambda row: self.post_message(ApiChanged(row)), cancelled=cancelled,
                           sleep=sleep, poll_seconds=self.POLL_SECONDS, timeout_s=self.TIMEOUT_SECONDS)
        self.post_message(ApisDone(rows))

    def on_api_changed(self, message: ApiChanged) -> None:
        row = message.row
        error = getattr(row, "error", None)
        word = f"failed: {error.title}" if error else row.status
        self.query_one(f"#{self._row_id(row.service)}", Static).update(plain(word, style=_STYLE.get(row.status, "")))

    def on_apis_done(self, message: ApisDone) -> None:
        failed = [row for row in message.rows if row.status != "enabled"]
        if failed:
            error = next((row.error for row in failed if getattr(row, "error", None)), None)
            self.query_one(ErrorPanel).show_error(error)
            self.query_one("#apis-status", Static).update(
                plain(f"{len(failed)} API(s) are not on yet; the others are. Retry picks up only what is left."))
            self.query_one("#retry").display = True
            self.query_one("#retry").focus()
            return
        self.ctx.state.gcp.apis_enabled_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.wizard.save_progress()
        self.query_one("#apis-status", Static).update("✓ All five are enabled.")
        self.query_one("#continue").disabled = False
        self.query_one("#continue").focus()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one(ErrorPanel).show_error(message.error)
        self.query_one("#retry").display = True

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("gcp.handoff")
