"""Your GKE cluster: what was built, where, what it costs, and the way to tear it down."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.gcp.plan import LABEL_KEY

from .plain import plain
from .base import WizardScreen
from .gcp_plan import current_plan


class GcpClusterScreen(WizardScreen):
    STEP = "gcp.cluster"

    def compose_body(self) -> ComposeResult:
        gcp, plan = self.ctx.state.gcp, current_plan(self.ctx.state)
        yield Static(plain(f"Your cluster {plan.cluster} is running"), classes="title")
        yield Static(
            plain(f"Cluster      {plan.cluster} (regional, {plan.region})\n"
            f"Project      {gcp.project_id}\n"
            f"Nodes        {plan.nodes} × {plan.machine_type} over {plan.zones} zones\n"
            f"Network      {plan.network} / {plan.subnetwork}\n"
            f"Repository   {gcp.repository or plan.repository}\n"
            f"Endpoint     {gcp.cluster_endpoint or '?'}\n"
            f"Cost         about ${gcp.cost_monthly or '?'} a month\n"
            f"Label        {LABEL_KEY}={plan.labels[LABEL_KEY]}\n"
            f"Provisioned  {gcp.provisioned_at}"), classes="facts")
        yield Static(
            plain(f"Porter manages it as {gcp.client_email}, with the key in your keyring. Google's keys do not "
            "expire by themselves; replace it (the key step) if it may have leaked, and delete the old one "
            "in IAM & Admin → Service accounts → Keys."), classes="lead")
        with Horizontal(classes="buttons"):
            yield Button("Done", id="done", variant="primary")
            yield Button("Tear down…", id="teardown", variant="error")

    def on_mount(self) -> None:
        self.query_one("#done").focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.exit()

    @on(Button.Pressed, "#teardown")
    def _teardown(self) -> None:
        self.wizard.goto("gcp.teardown")
