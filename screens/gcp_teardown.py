"""Tear down: delete the GKE cluster, its subnetwork, the firewall rules GKE made and the network.
The Artifact Registry repository (the build images) is kept unless the user ticks the box; then
a sweep lists whatever still carries the cluster's label, with console links."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Checkbox, Static

from wizard.gcp.plan import LABEL_KEY

from .gcp_plan import current_plan
from .job_screen import JobScreen
from .widgets.confirm_modal import ConfirmModal
from .worker_tools import cancelled, interruptible_sleep


class GcpTeardownScreen(JobScreen):
    STEP = "gcp.teardown"
    START_LABEL = "Delete the cluster…"
    POLL_SECONDS = 10.0
    STOP_TITLE = "Stop the teardown?"
    STOP_BODY = ("The wizard stops waiting. Google finishes the deletion it has started; press Delete "
                 "again later to finish: what is already gone is skipped.")

    def step_rows(self) -> list[tuple[str, str]]:
        from wizard.gcp import teardown

        return [(key, label) for key, label, _ in teardown.steps()]

    def intro(self) -> ComposeResult:
        plan = current_plan(self.ctx.state)
        yield Static(f"Tear down {plan.cluster} in {plan.region}", classes="title")
        yield Static(
            f"Deletes the GKE cluster {plan.cluster} (with the workloads on it), the subnetwork "
            f"{plan.subnetwork}, the firewall rules GKE made, and the network {plan.network}. The Docker "
            f"repository {plan.repository} is KEPT by default, because it holds your build images; delete "
            "it here or later in the console. Deleting on Google Cloud can leave disks, addresses or load "
            "balancers behind, so the wizard looks for them afterwards.", classes="lead")
        yield Checkbox(f"Also delete the repository {plan.repository} and its images", value=False,
                       id="delete-registry")

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static("", id="leftovers", classes="facts")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#leftovers").display = False

    def status_text(self) -> str:
        status = self.ctx.state.gcp.teardown_status
        if status == "running":
            return "A teardown was interrupted. Delete again to finish it: what is gone is skipped."
        return "Nothing has been deleted yet." if status != "done" else "✓ Deleted earlier."

    def progress_status(self) -> str:
        return self.ctx.state.gcp.teardown_status

    def set_progress_status(self, status: str) -> None:
        self.ctx.state.gcp.teardown_status = status

    def start(self) -> None:
        plan, also = current_plan(self.ctx.state), self.query_one("#delete-registry", Checkbox).value
        if self.ctx.force:
            super().start()
            return
        what = (f"the cluster {plan.cluster}, its network, and the repository {plan.repository} with all its "
                "images" if also else f"the cluster {plan.cluster} and its network (the repository stays)")
        self.app.push_screen(ConfirmModal(
            "Delete the cluster?", f"Deletes {what}, in project {self.ctx.state.gcp.project_id}. This cannot "
            "be undone.", "Delete", dangerous=True),
            lambda yes: JobScreen.start(self) if yes else None)

    def job(self) -> list:
        from wizard.gcp import provision, teardown
        from wizard.gcp.connection import project_api

        api = project_api(self.ctx.state, self.ctx.secrets)
        run = provision.GcpRun(api, current_plan(self.ctx.state), cancelled=cancelled, sleep=interruptible_sleep,
                               poll_seconds=self.POLL_SECONDS)
        teardown.teardown(run, self.report_step, delete_registry=self.query_one("#delete-registry", Checkbox).value)
        return teardown.leftovers(api, run.plan)

    def finished(self, leftovers: list) -> str:
        gcp, plan = self.ctx.state.gcp, current_plan(self.ctx.state)
        gcp.provision_status, gcp.cluster_endpoint = "", ""
        box = self.query_one("#leftovers", Static)
        box.display = True
        if not leftovers:
            box.update(f"Nothing labelled {LABEL_KEY}={plan.labels[LABEL_KEY]} (or made by GKE for "
                       f"{plan.cluster}) is left in the project.")
            return "✓ Deleted."
        lines = [f"{item.kind} {item.name} ({item.location})\n    {item.console_url}" for item in leftovers]
        box.update("Still in your project (and billed until deleted):\n" + "\n".join(lines))
        self.wizard.exit_notes["gcp-leftovers"] = "Google Cloud resources still there:\n" + "\n".join(lines)
        return "✓ The cluster and its network are deleted."
