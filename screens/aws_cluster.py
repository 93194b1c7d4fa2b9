"""Your cluster: what was built, what it costs, and the way to tear it down."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.aws.plan import TAG_KEY, plan_for

from .plain import plain
from .base import WizardScreen


class AwsClusterScreen(WizardScreen):
    STEP = "aws.cluster"

    def compose_body(self) -> ComposeResult:
        state, aws = self.ctx.state, self.ctx.state.aws
        plan = plan_for(state.project, aws.region)
        yield Static(plain(f"Your cluster {plan.name} is running"), classes="title")
        yield Static(
            plain(f"Cluster     {aws.cluster_arn}\nRegion      {aws.region}\nAccount     {aws.account_id}\n"
            f"Nodes       {plan.nodes_desired} × {plan.node_type} (scales {plan.nodes_min}–{plan.nodes_max})\n"
            f"Cost        about ${aws.cost_monthly or '?'} a month\n"
            f"Tag         {TAG_KEY}={plan.name}\nProvisioned {aws.provisioned_at}"), classes="facts")
        yield Static(
            "Porter manages it through the PorterRole role. To remove everything, use Tear down: "
            "it deletes the cluster first and the role after, as Porter requires.", classes="lead")
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
        self.wizard.goto("aws.teardown")
