"""Tear down: delete the GKE cluster, its subnetwork, the firewall rules GKE made and the network.
The Artifact Registry repository (the build images) is kept unless the user ticks the box; then
a sweep lists whatever still carries the cluster's label, with console links."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.gcp.plan import LABEL_KEY

from .plain import plain
from .gcp_plan import current_plan
from .teardown_screen import TeardownScreen
from .worker_tools import cancelled, interruptible_sleep


class GcpTeardownScreen(TeardownScreen):
    STEP = "gcp.teardown"
    SECTION = "gcp"
    STOP_BODY = ("The wizard stops waiting. Google finishes the deletion it has started; press Delete "
                 "again later to finish: what is already gone is skipped.")

    def step_rows(self) -> list[tuple[str, str]]:
        from wizard.gcp import teardown

        return [(key, label) for key, label, _ in teardown.steps()]

    def describe(self) -> ComposeResult:
        plan = current_plan(self.ctx.state)
        yield Static(plain(f"Tear down {plan.cluster} in {plan.region}"), classes="title")
        yield Static(
            plain(f"Deletes the GKE cluster {plan.cluster} (with the workloads on it), the subnetwork "
            f"{plan.subnetwork}, the firewall rules GKE made, and the network {plan.network}. The Docker "
            f"repository {plan.repository} is KEPT by default, because it holds your build images; delete "
            "it here or later in the console. Deleting on Google Cloud can leave disks, addresses or load "
            "balancers behind, so the wizard looks for them afterwards."), classes="lead")

    def registry_choice(self) -> str:
        return f"Also delete the repository {current_plan(self.ctx.state).repository} and its images"

    def confirm_text(self, delete_registry: bool) -> str:
        plan = current_plan(self.ctx.state)
        what = (f"the cluster {plan.cluster}, its network, and the repository {plan.repository} with all its "
                "images" if delete_registry else f"the cluster {plan.cluster} and its network (the repository stays)")
        return f"Deletes {what}, in project {self.ctx.state.gcp.project_id}. This cannot be undone."

    def job(self) -> list:
        from wizard.gcp import provision, teardown
        from wizard.gcp.connection import project_api

        api = project_api(self.ctx.state, self.ctx.secrets)
        run = provision.GcpRun(api, current_plan(self.ctx.state), cancelled=cancelled, sleep=interruptible_sleep,
                               poll_seconds=self.POLL_SECONDS)
        teardown.teardown(run, self.report_step, delete_registry=self.delete_registry)
        return teardown.leftovers(api, run.plan)

    def finished(self, leftovers: list) -> str:
        gcp, plan = self.ctx.state.gcp, current_plan(self.ctx.state)
        gcp.provision_status, gcp.cluster_endpoint = "", ""
        lines = [f"{item.kind} {item.name} ({item.location})\n    {item.console_url}" for item in leftovers]
        self.show_leftovers(lines, "project", f"Nothing labelled {LABEL_KEY}={plan.labels[LABEL_KEY]} (or made by "
                            f"GKE for {plan.cluster}) is left in the project.", "gcp-leftovers",
                            "Google Cloud resources still there")
        return "✓ The cluster and its network are deleted." if leftovers else "✓ Deleted."
