"""Provision: the VPC network, its subnetwork, the GKE cluster and node pool, and the Artifact
Registry repository, each row filling in as Google answers. Resumable: every step finds what an
interrupted run made."""
from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.gcp.plan import LABEL_KEY

from .plain import plain
from .gcp_plan import current_plan
from .job_screen import JobScreen
from .worker_tools import cancelled, interruptible_sleep


class GcpProvisionScreen(JobScreen):
    STEP = "gcp.provision"
    NEXT_STEP = "gcp.cluster"
    START_LABEL = "Provision"
    POLL_SECONDS = 10.0
    STOP_TITLE = "Stop provisioning?"
    STOP_BODY = ("The wizard stops waiting and creates nothing more. Google finishes what it has already "
                 "started; everything made stays in your project (and costs money) until you resume or "
                 "tear down.")

    def step_rows(self) -> list[tuple[str, str]]:
        from wizard.gcp import provision

        return [(key, label) for key, label, _ in provision.steps()]

    def intro(self) -> ComposeResult:
        plan, gcp = current_plan(self.ctx.state), self.ctx.state.gcp
        yield Static(plain(f"Provision {plan.cluster} in {plan.region}"), classes="title")
        yield Static(
            plain(f"Creates, as {gcp.client_email} in project {gcp.project_id}: the VPC network {plan.network} "
            f"with the subnetwork {plan.subnetwork} ({plan.subnet_cidr}), the regional GKE cluster "
            f"{plan.cluster} with {plan.nodes} × {plan.machine_type} nodes over {plan.zones} zones "
            f"(workload identity on), and the Docker repository {plan.repository}. The cluster, node pool and "
            f"repository are labelled {LABEL_KEY}={plan.labels[LABEL_KEY]}. "
            "This takes up to 30 minutes."), classes="lead")

    def status_text(self) -> str:
        status = self.ctx.state.gcp.provision_status
        if status == "done":
            return (f"✓ Provisioned at {self.ctx.state.gcp.provisioned_at}. Running it again only checks that "
                    "everything is still there.")
        if status == "running":
            return ("Provisioning was interrupted. Resume finds what was already made and continues from "
                    "there; nothing is made twice.")
        if status == "failed":
            return "The last attempt stopped on an error. Resume continues from where it stopped."
        return "Nothing has been created yet. Quitting now changes nothing in your project."

    def start_blocked(self) -> str:
        gcp = self.ctx.state.gcp
        if not (gcp.checks_passed_at and gcp.cost_acknowledged_at) and gcp.provision_status in ("", "done"):
            return "Run the provision checks and acknowledge the cost first (Esc goes back)."
        return ""

    def progress_status(self) -> str:
        return self.ctx.state.gcp.provision_status

    def set_progress_status(self, status: str) -> None:
        self.ctx.state.gcp.provision_status = status

    def job(self) -> dict[str, str]:
        from wizard.gcp import provision
        from wizard.gcp.connection import project_api

        run = provision.GcpRun(project_api(self.ctx.state, self.ctx.secrets), current_plan(self.ctx.state),
                               cancelled=cancelled, sleep=interruptible_sleep, poll_seconds=self.POLL_SECONDS)
        return provision.provision(run, self.report_step)

    def finished(self, result: dict[str, str]) -> str:
        gcp = self.ctx.state.gcp
        gcp.cluster_endpoint = result.get("endpoint", "")
        gcp.repository = result.get("registry_url") or result.get("repository", "")  # what docker push takes
        gcp.provisioned_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        gcp.teardown_status = ""
        return "✓ Provisioned."
