"""Connected: what was set up, and what it means for the user."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.aws.porter_link import PLATFORM_PRINCIPAL
from wizard.aws.verify import REQUIRED_ACTIONS, REQUIRED_POLICIES

from wizard.handoff import porter_is_current

from .plain import plain
from .base import WizardScreen


class AwsConnectedScreen(WizardScreen):
    STEP = "aws.connected"

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        # Connected means Porter has it: until then the account is only ready for Porter.
        has_it = porter_is_current(self.ctx.state, "aws")
        yield Static(plain("Your AWS account is connected" if has_it else
                     "Your AWS account is ready for Porter"), classes="title")
        if not has_it:
            yield Static("Porter has not been given the role yet: `porter-wizard handoff aws` shows "
                         "what to give it.", classes="warning")
        yield Static(plain(
            f"Account     {aws.account_id}\nRole        {aws.role_arn}\n"
            f"ExternalId  {aws.external_id}\nStack       {aws.stack_name} in {aws.home_region}\n"
            f"Verified    {aws.verified_at}: trusts Porter only, ExternalId matches,\n"
            f"            {', '.join(REQUIRED_POLICIES)} attached, {len(REQUIRED_ACTIONS)} actions "
            "allowed"), classes="facts")
        yield Static(
            plain(f"Porter ({PLATFORM_PRINCIPAL}) can now assume this role with the ExternalId, and no "
            "one else can: not even this wizard. No access keys left your account. Keep the "
            f"{aws.stack_name} stack while Porter manages your infrastructure: deleting it revokes "
            "Porter's access. When you tear down, delete the cluster first, then the stack."),
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
