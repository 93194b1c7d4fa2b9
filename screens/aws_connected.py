"""Connected: what was set up, and what it means for the user."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .base import WizardScreen


class AwsConnectedScreen(WizardScreen):
    STEP = "aws.connected"

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        yield Static("Your AWS account is connected", classes="title")
        yield Static(
            f"Account     {aws.account_id}\nRole        {aws.role_arn}\n"
            f"ExternalId  {aws.external_id}\nStack       {aws.stack_name} in {aws.home_region}\n"
            f"Verified    {aws.verified_at} as {aws.assumed_arn}", classes="facts")
        yield Static(
            "Porter can now assume this role; no access keys left your account. Keep the "
            f"{aws.stack_name} stack while Porter manages your infrastructure: deleting it revokes "
            "Porter's access. When you tear down, delete the cluster first, then the stack.",
            classes="lead")
        with Horizontal(classes="buttons"):
            yield Button("Done", id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.exit()
