"""Resource providers: register the ones the cluster needs, all at once, each followed until
Azure says Registered (Microsoft.ContainerService often takes minutes)."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.azure import providers, signin
from wizard.azure.cloud import current_cloud
from wizard.errors import WizardError

from .plain import plain, styled
from .azure_messages import ChecksDone, ProviderChanged
from .base import WizardScreen
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel
from .worker_tools import bound_to_worker

_STYLE = {"Registered": "green", "Registering": "yellow", "NotRegistered": "dim", "error": "red"}
ALL = providers.REQUIRED + providers.FOR_THE_WIZARD


class AzureProvidersScreen(WizardScreen):
    STEP = "azure.providers"
    POLL_SECONDS = 5.0
    TIMEOUT_SECONDS = 900.0  # Microsoft.ContainerService can take ten minutes on a new subscription

    def compose_body(self) -> ComposeResult:
        az = self.ctx.state.azure
        yield Static("Register the resource providers", classes="title")
        yield Static(
            plain(f"Azure only lets a subscription create the kinds of resources whose provider is "
            f"registered. The wizard registers these in {az.subscription_name or az.subscription_id} "
            "(the portal's Subscriptions → Resource providers page); registering changes no "
            "resources and costs nothing."), classes="lead")
        for namespace in ALL:
            why = ("  ", (f"({providers.WHY[namespace]})", "dim")) if namespace in providers.WHY else ()
            with Horizontal(classes="provider-row"):
                yield Static(styled(namespace, *why), classes="provider-name")
                yield Static(plain("checking", style="dim"), id=self._row_id(namespace), classes="provider-state")
        yield Static("", id="providers-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Retry", id="retry")
            yield Button("Continue", id="continue", variant="primary")

    @staticmethod
    def _row_id(namespace: str) -> str:
        return "provider-" + namespace.replace(".", "-")

    def on_mount(self) -> None:
        self.query_one("#retry").display = False
        self.query_one("#continue").disabled = True
        self._register()

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.query_one("#retry").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._register()

    @work(thread=True, exclusive=True, group="providers")
    def _register(self) -> None:
        az = self.ctx.state.azure
        try:
            client = providers.resource_client(current_cloud(), signin.setup_credential(az, self.ctx.secrets),
                                               az.subscription_id)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        cancelled, sleep = bound_to_worker()  # register_all polls from a thread per provider
        results = providers.register_all(client, lambda s: self.post_message(ProviderChanged(s)),
                                         cancelled=cancelled, sleep=sleep,
                                         poll_seconds=self.POLL_SECONDS, timeout_s=self.TIMEOUT_SECONDS,
                                         namespaces=ALL)
        self._results = results
        self.post_message(ChecksDone())

    def on_provider_changed(self, message: ProviderChanged) -> None:
        state = message.state
        word = state.state if not state.error else f"failed: {state.error.title}"
        self.query_one(f"#{self._row_id(state.namespace)}", Static).update(
            plain(word, style=_STYLE.get(state.state, "")))

    def on_checks_done(self, _message: ChecksDone) -> None:
        failed = [r for r in self._results if r.error]
        if failed:
            self.query_one(ErrorPanel).show_error(failed[0].error)
            self.query_one("#providers-status", Static).update(
                plain(f"{len(failed)} provider(s) did not register; the others are done. Retry picks up "
                "only what is left."))
            self.query_one("#retry").display = True
            self.query_one("#retry").focus()
            return
        self.ctx.state.azure.providers_registered_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.wizard.save_progress()
        self.query_one("#providers-status", Static).update("✓ All registered.")
        self.query_one("#continue").disabled = False
        self.query_one("#continue").focus()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one(ErrorPanel).show_error(message.error)
        self.query_one("#retry").display = True

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("azure.access")
