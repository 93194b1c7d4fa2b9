"""Provision checks: the APIs are on, the service account has the permissions, and the region's
quotas fit the cluster. All run at once; each failure says how to fix it, and Continue stays
off until every check passes."""
from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from wizard.errors import WizardError

from .plain import plain
from .base import WizardScreen
from .gcp_messages import CheckDone, ChecksFinished
from .gcp_plan import current_plan
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel


class GcpChecksScreen(WizardScreen):
    STEP = "gcp.checks"

    def compose_body(self) -> ComposeResult:
        plan = current_plan(self.ctx.state)
        yield Static(plain(f"Provision checks for {plan.region}"), classes="title")
        yield Static(
            plain(f"Before anything is created the wizard checks, all at once, what would make provisioning "
            f"fail half-way: the five APIs, the permissions of {self.ctx.state.gcp.client_email}, and "
            f"the region's quotas against what the cluster needs ({plan.nodes} × {plan.machine_type} "
            f"nodes, {plan.vcpus} vCPUs, plus one node's worth for upgrades)."), classes="lead")
        yield Vertical(id="check-rows")
        yield Static("Checking…", id="checks-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Check again", id="again")
            yield Button("Continue", id="continue", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#again").display = False
        self._check()

    @on(Button.Pressed, "#again")
    async def _again(self) -> None:
        self.query_one("#again").display = False
        self.query_one("#continue").disabled = True
        self.query_one(ErrorPanel).show_error(None)
        await self.query_one("#check-rows").remove_children()
        self.query_one("#checks-status", Static).update("Checking…")
        self._check()

    @work(thread=True, exclusive=True, group="checks")
    def _check(self) -> None:
        from wizard.gcp.checks import run_checks
        from wizard.gcp.connection import project_api

        try:
            api = project_api(self.ctx.state, self.ctx.secrets)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        results = run_checks(api, current_plan(self.ctx.state), lambda r: self.post_message(CheckDone(r)))
        self.post_message(ChecksFinished(results))

    def _row(self, result) -> Static:
        # Text, not markup: Google's messages may hold square brackets.
        text = Text.assemble(("✓ " if result.ok else "✗ ", "green" if result.ok else "red"),
                             f"{result.label}: {result.detail}")
        if not result.ok and result.fix:
            text.append("\n    How to fix: ", style="dim")
            text.append(result.fix)
        return Static(plain(text), id=f"check-{result.key.replace('.', '-').replace('_', '-')}", classes="check-row")

    def on_check_done(self, message: CheckDone) -> None:
        self.query_one("#check-rows").mount(self._row(message.result))

    async def on_checks_finished(self, message: ChecksFinished) -> None:
        rows = self.query_one("#check-rows")
        await rows.remove_children()  # redrawn in a fixed order (they arrived in any)
        await rows.mount_all([self._row(r) for r in message.results])
        failed = [r for r in message.results if not r.ok]
        gcp = self.ctx.state.gcp
        if failed:
            gcp.checks_passed_at = ""
            self.query_one("#checks-status", Static).update(
                plain(f"{len(failed)} of {len(message.results)} checks failed. Fix them (each says how), then "
                "Check again. Provisioning stays off until all pass."))
            self.query_one("#again").display = True
            self.query_one("#again").focus()
        else:
            gcp.checks_passed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self.query_one("#checks-status", Static).update(plain(f"✓ All {len(message.results)} checks passed."))
            self.query_one("#continue").disabled = False
            self.query_one("#continue").focus()
        self.wizard.save_progress()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#checks-status", Static).update("The checks could not run.")
        self.query_one(ErrorPanel).show_error(message.error)
        self.query_one("#again").display = True

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("gcp.cost")
