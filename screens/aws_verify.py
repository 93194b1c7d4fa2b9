"""Verify: assume the new role with the ExternalId, as the platform will, and show who we became."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, LoadingIndicator, Static

from wizard.aws.connection import user_session
from wizard.aws import verify
from wizard.aws.role_stack import RoleStack
from wizard.errors import WizardError

from .base import WizardScreen
from .worker_tools import cancelled as _cancelled
from .worker_tools import interruptible_sleep as _sleep
from .messages import StepFailed, Verified, VerifyRetrying
from .widgets.error_panel import ErrorPanel


class AwsVerifyScreen(WizardScreen):
    STEP = "aws.verify"

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        yield Static("Check that Porter can use the role", classes="title")
        yield Static(
            "The wizard now does what Porter will do: call sts:AssumeRole on the role with this "
            "project's ExternalId. If that works, the connection is ready.", classes="lead")
        yield Static(f"Role        {aws.role_arn}\nExternalId  {aws.external_id}", classes="facts")
        with Horizontal(id="working", classes="progress-line"):
            yield LoadingIndicator()
            yield Static("Assuming the role…", id="verify-status")
        yield Static("", id="result", classes="identity")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Retry", id="retry")
            yield Button("Back to the stack", id="to-grant")
            yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        self._start()

    def _start(self) -> None:
        for name in ("retry", "to-grant", "continue"):
            self.query_one(f"#{name}", Button).display = False
        self.query_one("#working").display = True
        self.query_one(ErrorPanel).show_error(None)
        self.query_one("#verify-status", Static).update("Assuming the role…")
        self._verify()

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self) -> None:
        aws = self.ctx.state.aws
        changed = datetime.fromisoformat(aws.stack_changed_at) if aws.stack_changed_at else None
        try:
            session = user_session(aws, self.ctx.secrets)
            identity = verify.assume_role(
                session, aws.role_arn, aws.external_id, role_changed_at=changed,
                on_retry=lambda notice: self.post_message(VerifyRetrying(notice)),
                cancelled=_cancelled, sleep=_sleep,
                stack_exists=lambda: RoleStack(session, aws.home_region or session.region_name,
                                               aws.stack_name).describe() is not None)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(Verified(identity))

    def on_verify_retrying(self, message: VerifyRetrying) -> None:
        n = message.notice
        self.query_one("#verify-status", Static).update(
            f"AWS refused for now: {n.reason}. Retrying in {n.wait_s:g} s (attempt {n.attempt} of {n.of}).")

    def on_verified(self, message: Verified) -> None:
        aws, identity = self.ctx.state.aws, message.identity
        aws.assumed_arn = identity.arn
        aws.verified_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.wizard.save_progress()
        self.query_one("#working").display = False
        self.query_one("#result", Static).update(
            f"✓ Verified. The wizard became {identity.arn} in account {identity.account}.")
        self.query_one("#continue", Button).display = True
        self.query_one("#continue", Button).focus()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#working").display = False
        self.query_one("#result", Static).update("✗ The role could not be assumed.")
        self.query_one(ErrorPanel).show_error(message.error)
        for name in ("retry", "to-grant"):
            self.query_one(f"#{name}", Button).display = True
        self.query_one("#retry", Button).focus()

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self._start()

    @on(Button.Pressed, "#to-grant")
    def _to_grant(self) -> None:
        self.wizard.goto("aws.grant")

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("aws.connected")
