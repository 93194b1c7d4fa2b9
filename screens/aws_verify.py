"""Verify: check, with the user's own credentials, that Porter alone can use the role.

The wizard does not assume the role (it trusts Porter only): it reads the trust policy and the
attached policies, and asks IAM's policy simulator about what provisioning needs (wizard/aws/
verify.py). The screen says what was checked, each failure what to do, with the buttons below.
"""
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

from .plain import plain
from .base import WizardScreen
from .worker_tools import cancelled as _cancelled
from .worker_tools import interruptible_sleep as _sleep
from .messages import StepFailed, Verified, VerifyRetrying
from .widgets.error_panel import ErrorPanel


class AwsVerifyScreen(WizardScreen):
    STEP = "aws.verify"

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        yield Static("Check that Porter, and only Porter, can use the role", classes="title")
        yield Static(
            "With your own credentials, the wizard reads the role: its trust policy must name "
            "Porter alone, with this project's ExternalId; its policies must be attached; and IAM's "
            "policy simulator must allow what building the cluster needs. The wizard never assumes "
            "the role: only Porter can.", classes="lead")
        yield Static(plain(f"Role        {aws.role_arn}\nExternalId  {aws.external_id}"), classes="facts")
        with Horizontal(id="working", classes="progress-line"):
            yield LoadingIndicator()
            yield Static("Reading the role…", id="verify-status")
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
        self.query_one("#verify-status", Static).update("Reading the role…")
        self._verify()

    @work(thread=True, exclusive=True, group="verify")
    def _verify(self) -> None:
        aws = self.ctx.state.aws
        changed = datetime.fromisoformat(aws.stack_changed_at) if aws.stack_changed_at else None
        try:
            session = user_session(aws, self.ctx.secrets)
            checked = verify.verify_role(
                session, aws.role_arn, aws.external_id, role_changed_at=changed,
                on_retry=lambda notice: self.post_message(VerifyRetrying(notice)),
                cancelled=_cancelled, sleep=_sleep,
                stack_exists=lambda: RoleStack(session, aws.home_region or session.region_name,
                                               aws.stack_name).describe() is not None)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(Verified(checked))

    def on_verify_retrying(self, message: VerifyRetrying) -> None:
        n = message.notice
        self.query_one("#verify-status", Static).update(
            plain(f"The role is not there yet: {n.reason}. Retrying in {n.wait_s:g} s "
            f"(attempt {n.attempt} of {n.of})."))

    def on_verified(self, message: Verified) -> None:
        aws, checked = self.ctx.state.aws, message.identity  # a verify.RoleCheck
        aws.assumed_arn = ""  # nothing is assumed any more; an older progress file may name a session
        aws.verified_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.wizard.save_progress()
        self.query_one("#working").display = False
        self.query_one("#result", Static).update(plain(
            "✓ Verified with your own credentials:\n"
            f"  Trust       Porter only ({checked.trusted})\n"
            "  ExternalId  matches this project's\n"
            f"  Policies    {', '.join(checked.policies)} attached\n"
            f"  Actions     {checked.actions_allowed} that provisioning needs, all allowed "
            "(IAM policy simulator)"))
        self.query_one("#continue", Button).display = True
        self.query_one("#continue", Button).focus()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#working").display = False
        self.query_one("#result", Static).update("✗ The role is not ready for Porter.")
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
        self.wizard.goto("aws.handoff")
