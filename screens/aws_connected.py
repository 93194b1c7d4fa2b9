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
        yield Static("Next: choose a region, check the account's limits, review the cost, then "
                     "provision. Nothing is created until you press Provision.", classes="lead")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary")
            yield Button("Quit for now", id="quit")

    def on_mount(self) -> None:
        self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("aws.region")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()
