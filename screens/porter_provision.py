"""Provision, when Porter builds the cluster: who builds it is said, not assumed.

With Porter's API the wizard asks Porter to build the cluster (the contract its dashboard's
Provision sends) and follows Porter's own progress; by hand, it says to press Provision in Porter's
dashboard. Either way the wizard never builds a second cluster behind Porter's back: building it
from this machine instead takes an explicit choice, after a confirmation.
"""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.errors import WizardError

from .plain import plain
from .base import WizardScreen
from .messages import PorterClusterUpdate, StepFailed
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .worker_tools import cancelled, interruptible_sleep

POLL_SECONDS = 5.0


class PorterProvisionScreen(WizardScreen):
    @property
    def STEP(self) -> str:  # type: ignore[override]  # one screen for the three clouds' flows
        return f"{self.ctx.state.cloud}.provision"

    def compose_body(self) -> ComposeResult:
        state = self.ctx.state
        cloud = getattr(state, state.cloud)
        yield Static("Porter builds your cluster", classes="title")
        if state.porter_mode == "api":
            lead = ("Porter has the credentials, so Porter builds the cluster, as its dashboard's "
                    "Provision does: the wizard asks Porter and follows its progress (up to 30 "
                    "minutes). Nothing is built from this machine.")
        else:
            lead = ("Porter has the credentials, so Porter builds the cluster: open your project in "
                    "Porter's dashboard and press Provision there. Building it from this machine "
                    "as well would make a second cluster that Porter does not manage.")
        yield Static(plain(lead), id="who-builds", classes="lead")
        porter = (f"project {state.porter_project} at {state.porter_host}" if state.porter_host
                  else "your project, in its dashboard")
        yield Static(plain(f"Project     {state.project}\nRegion      {cloud.region}\n"
                          f"Porter      {porter}"), classes="facts")
        yield Static("", id="porter-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Ask Porter to provision", id="start", variant="primary")
            yield Button("Build it from this machine instead…", id="build-here", variant="warning")
            yield Button("Quit for now", id="quit")

    def on_mount(self) -> None:
        state = self.ctx.state
        start = self.query_one("#start", Button)
        if state.porter_mode != "api":
            start.display = False
            self.query_one("#build-here", Button).focus()
            return
        self.query_one("#build-here", Button).display = False
        if not getattr(state, state.cloud).cost_acknowledged_at:
            start.disabled = True
            self._say("Review and acknowledge the cost first (Esc goes back to it).")
        elif state.porter_cluster_status == "ready":
            start.display = False
            self._say(f"✓ Porter reports cluster {state.porter_cluster_ref} is provisioned.")
        elif state.porter_cluster_ref:
            start.label = "Follow Porter's progress"
            start.focus()
            self._say(f"Porter is building cluster {state.porter_cluster_ref}; press the button to "
                      "follow it again.")
        else:
            start.focus()

    def _say(self, text: str) -> None:
        self.query_one("#porter-status", Static).update(plain(text))

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.query_one("#start", Button).disabled = True
        self.query_one(ErrorPanel).show_error(None)
        self._say("Asking Porter to build the cluster…")
        self._run()

    @work(thread=True, exclusive=True, group="porter-provision")
    def _run(self) -> None:
        from wizard.handoff import porter_login_client
        from wizard.porter.contract import contract_for

        state = self.ctx.state
        try:
            client = porter_login_client()
            if client is None:
                raise WizardError("No Porter login", "Porter's CLI is no longer logged in on this "
                                  "machine and PORTER_TOKEN is not set.",
                                  "Run `porter auth login`, then press “Ask Porter to provision”.")
            if not state.porter_cluster_ref:
                ref = client.create_cluster(contract_for(state, state.cloud))
                self.post_message(PorterClusterUpdate(ref, "provisioning", "Porter accepted the cluster.", 20))
            else:
                ref = state.porter_cluster_ref
            while not cancelled():
                status = client.cluster_status(ref)
                self.post_message(PorterClusterUpdate(ref, status.phase, status.message, status.percent))
                if status.phase in ("ready", "failed"):
                    return
                interruptible_sleep(POLL_SECONDS)
        except WizardError as err:
            self.post_message(StepFailed(err))

    def on_porter_cluster_update(self, message: PorterClusterUpdate) -> None:
        state, cloud = self.ctx.state, getattr(self.ctx.state, self.ctx.state.cloud)
        if state.porter_cluster_ref != message.ref or state.porter_cluster_status != message.phase:
            state.porter_cluster_ref, state.porter_cluster_status = message.ref, message.phase
            cloud.provision_status = {"ready": "done", "failed": "failed"}.get(message.phase, "running")
            self.wizard.save_progress()
        self._say(f"Porter cluster {message.ref}: {message.message} ({message.percent}%)")
        if message.phase == "ready":
            self.query_one("#start", Button).display = False
            self._say(f"✓ Porter reports cluster {message.ref} is provisioned. Manage it (and delete "
                      "it, later) in Porter's dashboard.")
            self.wizard.exit_notes["porter-cluster"] = (
                f"Porter built cluster {message.ref} in project {state.porter_project} "
                f"({state.porter_host}); manage it in Porter's dashboard.")
        elif message.phase == "failed":
            start = self.query_one("#start", Button)
            start.disabled, start.label = False, "Follow Porter's progress"

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#start", Button).disabled = False
        self._say("Porter was not asked, or its progress could not be read.")
        self.query_one(ErrorPanel).show_error(message.error)

    @on(Button.Pressed, "#build-here")
    def _build_here(self) -> None:
        def decided(yes: bool | None) -> None:
            if yes:
                self.ctx.state.cluster_builder = "wizard"
                self.wizard.goto(self.STEP)  # now the wizard's own provisioning screen

        self.app.push_screen(ConfirmModal(
            "Build the cluster from this machine?",
            "Only if nobody presses Provision in Porter's dashboard for this project: otherwise "
            "there would be two clusters, and Porter manages only its own.",
            "Build it here"), decided)

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group == "porter-provision" and w.is_running]
        for worker in running:
            worker.cancel()
        if not running:
            super().action_back()
