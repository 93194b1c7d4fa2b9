"""Your Azure cluster: what was built, what it costs, when its secret expires, and the ways to
rotate that secret or tear everything down."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.azure.plan import TAG_KEY, plan_for
from wizard.reminders import credential_statuses

from .plain import plain
from .base import WizardScreen


class AzureClusterScreen(WizardScreen):
    STEP = "azure.cluster"

    def compose_body(self) -> ComposeResult:
        state, az = self.ctx.state, self.ctx.state.azure
        plan = plan_for(state.project, az.region, az.tier)
        secret = next((s for s in credential_statuses(state) if s.name == az.secret_name), None)
        yield Static(plain(f"Your cluster {plan.cluster_name} is running"), classes="title")
        yield Static(
            plain(f"Cluster        {az.cluster_id}\nResource group {plan.resource_group}  ({az.region})\n"
            f"Subscription   {az.subscription_name} ({az.subscription_id})\n"
            f"Tier           {plan.tier}\n"
            f"Nodes          {plan.nodes_min} × {plan.node_size} (scales {plan.nodes_min}–{plan.nodes_max})\n"
            f"Registry       {az.login_server or plan.registry_name}\n"
            f"OIDC issuer    {az.oidc_issuer or '?'}\n"
            f"Cost           about ${az.cost_monthly or '?'} a month\n"
            f"Tag            {TAG_KEY}={plan.project}\nProvisioned    {az.provisioned_at}"), classes="facts")
        yield Static(
            plain(f"Porter manages it as the service principal {az.client_id}. "
            + (secret.describe() + ". " if secret else "")
            + "Azure expires client secrets; when it does, the cluster keeps running but Porter can "
            "no longer manage it, so rotate it before then."), classes="lead", id="secret-note")
        with Horizontal(classes="buttons"):
            yield Button("Done", id="done", variant="primary")
            yield Button("Rotate the secret…", id="rotate")
            yield Button("Tear down…", id="teardown", variant="error")

    def on_mount(self) -> None:
        self.query_one("#done").focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.exit()

    @on(Button.Pressed, "#rotate")
    def _rotate(self) -> None:
        from .azure_rotate import open_rotation

        open_rotation(self.app, then=self._refresh_secret_note)

    def _refresh_secret_note(self) -> None:
        self.wizard.goto("azure.cluster")  # redrawn with the new secret's expiry

    @on(Button.Pressed, "#teardown")
    def _teardown(self) -> None:
        self.wizard.goto("azure.teardown")
