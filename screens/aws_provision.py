"""Provision: build the VPC, load balancer and EKS cluster, showing each resource as it goes.

Nothing exists before Provision is pressed. Provisioning is resumable: every step finds what a
previous (interrupted) run made, so Resume after a crash, Ctrl-C or lost network makes nothing
twice. Esc asks before it stops anything.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.aws.connection import work_session
from wizard.aws.plan import plan_for
from wizard.aws.provision import Run, provision, steps

from .plain import plain
from .base import WizardScreen
from .messages import RunFinished, RunStopped, StepChanged
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.step_list import StepList
from .worker_tools import cancelled, interruptible_sleep, run_and_report


class AwsProvisionScreen(WizardScreen):
    STEP = "aws.provision"
    BINDINGS = [Binding("escape", "back", "Back / cancel")]
    POLL_SECONDS = 10.0

    def __init__(self) -> None:
        super().__init__()
        self._started: float | None = None

    def compose_body(self) -> ComposeResult:
        state, aws = self.ctx.state, self.ctx.state.aws
        plan = plan_for(state.project, aws.region)
        yield Static(plain(f"Provision {plan.name} in {plan.region}"), classes="title")
        yield Static(
            plain(f"Creates, with your own credentials, in account {aws.account_id}: a VPC "
            f"({plan.vpc_cidr}) with public and private subnets in {plan.zones} zones, internet and "
            f"NAT gateways, a Network Load Balancer, and EKS {plan.kubernetes_version} with "
            f"{plan.nodes_desired} × {plan.node_type} nodes (up to {plan.nodes_max}). Everything "
            f"is tagged porter.run/cluster={plan.name}. This takes up to 30 minutes."), classes="lead")
        yield StepList([(key, label) for key, label, _ in steps()], id="steps")
        yield Static(plain(self._intro()), id="provision-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Provision" if aws.provision_status != "running" else "Resume",
                         id="provision", variant="primary")
            yield Button("Continue", id="continue", variant="primary")

    def _intro(self) -> str:
        status = self.ctx.state.aws.provision_status
        if status == "done":
            return (f"✓ Provisioned at {self.ctx.state.aws.provisioned_at}. Running it again only "
                    "checks that everything is still there.")
        if status == "running":
            return ("Provisioning was interrupted. Resume finds what was already made and "
                    "continues from there; nothing is made twice.")
        if status == "failed":
            return "The last attempt stopped on an error. Resume continues from where it stopped."
        return "Nothing has been created yet. Quitting now changes nothing in your account."

    def on_mount(self) -> None:
        aws = self.ctx.state.aws
        done = aws.provision_status == "done"
        self.query_one("#continue").display = done
        self.query_one("#continue" if done else "#provision").focus()
        if not aws.cost_acknowledged_at and aws.provision_status in ("", "done"):
            # Reached without the cost acknowledged (a relaunch into this step, say): nothing
            # starts until it is, as on Google Cloud.
            self.query_one("#provision", Button).disabled = True
            self.query_one("#provision-status", Static).update(
                "Acknowledge the cost first (Esc goes back to the cost review).")

    @on(Button.Pressed, "#provision")
    def _start(self) -> None:
        aws = self.ctx.state.aws
        aws.provision_status = "running"  # saved first: a crash from here on offers Resume
        self.wizard.save_progress()
        self.query_one("#provision").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._started = time.monotonic()
        self.query_one("#provision-status", Static).update("Provisioning… (Esc to stop)")
        self._run()

    @work(thread=True, exclusive=True, group="provision")
    def _run(self) -> None:
        state = self.ctx.state

        def job() -> dict[str, str]:
            run = Run(work_session(state.aws, self.ctx.secrets), plan_for(state.project, state.aws.region),
                      cancelled=cancelled, sleep=interruptible_sleep, poll_seconds=self.POLL_SECONDS)
            return provision(run, lambda step: self.post_message(StepChanged(step)))
        run_and_report(self, job)

    def on_step_changed(self, message: StepChanged) -> None:
        self.query_one(StepList).update_step(message.step)

    def on_run_finished(self, message: RunFinished) -> None:
        aws = self.ctx.state.aws
        aws.provision_status, aws.cluster_arn = "done", message.result.get("eks", "")
        aws.provisioned_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.wizard.save_progress()
        took = int(time.monotonic() - (self._started or time.monotonic()))
        self.query_one("#provision-status", Static).update(
            plain(f"✓ Provisioned in {took // 60}:{took % 60:02d}."))
        self.query_one("#continue").display = True
        self.query_one("#continue").focus()

    def on_run_stopped(self, message: RunStopped) -> None:
        aws = self.ctx.state.aws
        if message.error:
            aws.provision_status = "failed"
            self.query_one(ErrorPanel).show_error(message.error)
            text = "Stopped on an error. What was made stays; Resume continues from there."
        else:
            text = "Stopped. What was made stays in your account; Resume continues from there."
        self.wizard.save_progress()
        self.query_one("#provision-status", Static).update(plain(text))
        button = self.query_one("#provision", Button)
        button.label, button.display = "Resume", True
        button.focus()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group == "provision" and w.is_running]
        if not running:
            super().action_back()
            return

        def decided(stop: bool | None) -> None:
            if stop:
                for worker in running:
                    worker.cancel()
                self.query_one("#provision-status", Static).update("Stopping…")
        if self.ctx.force:
            decided(True)
            return
        self.app.push_screen(ConfirmModal(
            "Stop provisioning?", "The wizard stops waiting and creates nothing more. AWS finishes "
            "what it has already started; everything made stays in your account (and costs "
            "money) until you resume or tear down.",
            "Stop", dangerous=True), decided)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("aws.cluster")
