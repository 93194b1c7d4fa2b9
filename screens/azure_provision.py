"""Provision: the resource group, virtual network, container registry and AKS cluster, each row
filling in as Azure answers. Resumable: every step finds what an interrupted run made."""
from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.azure import provision as az_provision
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.azure.plan import TAG_KEY, plan_for

from .plain import plain
from .job_screen import JobScreen
from .worker_tools import cancelled, interruptible_sleep


class AzureProvisionScreen(JobScreen):
    STEP = "azure.provision"
    NEXT_STEP = "azure.cluster"
    START_LABEL = "Provision"
    POLL_SECONDS = 10.0
    STOP_TITLE = "Stop provisioning?"
    STOP_BODY = ("The wizard stops waiting and creates nothing more. Azure finishes what it has "
                 "already started; everything made stays in your subscription (and costs money) "
                 "until you resume or tear down.")

    @property
    def _plan(self):
        az = self.ctx.state.azure
        return plan_for(self.ctx.state.project, az.region, az.tier)

    def step_rows(self) -> list[tuple[str, str]]:
        return [(key, label) for key, label, _ in az_provision.steps()]

    def intro(self) -> ComposeResult:
        plan, az = self._plan, self.ctx.state.azure
        yield Static(plain(f"Provision {plan.cluster_name} in {plan.region}"), classes="title")
        yield Static(
            plain(f"Creates, as the service principal {az.client_id}, in subscription "
            f"{az.subscription_name or az.subscription_id}: the resource group {plan.resource_group}, "
            f"a virtual network ({plan.vnet_cidr}), the container registry {plan.registry_name}, and "
            f"an AKS cluster ({plan.tier} tier, OIDC issuer and workload identity on) with "
            f"{plan.nodes_min} × {plan.node_size} nodes (up to {plan.nodes_max}). Everything is "
            f"tagged {TAG_KEY}={plan.project}. This takes up to 30 minutes."), classes="lead")

    def status_text(self) -> str:
        status = self.ctx.state.azure.provision_status
        if status == "done":
            return (f"✓ Provisioned at {self.ctx.state.azure.provisioned_at}. Running it again only "
                    "checks that everything is still there.")
        if status == "running":
            return ("Provisioning was interrupted. Resume finds what was already made and "
                    "continues from there; nothing is made twice.")
        if status == "failed":
            return "The last attempt stopped on an error. Resume continues from where it stopped."
        return "Nothing has been created yet. Quitting now changes nothing in your subscription."

    def start_blocked(self) -> str:
        az = self.ctx.state.azure
        if not az.cost_acknowledged_at and az.provision_status in ("", "done"):
            return "Acknowledge the cost first (Esc goes back to the cost review)."
        return ""

    def progress_status(self) -> str:
        return self.ctx.state.azure.provision_status

    def set_progress_status(self, status: str) -> None:
        self.ctx.state.azure.provision_status = status

    def job(self) -> dict[str, str]:
        az, cloud = self.ctx.state.azure, current_cloud()
        run = az_provision.AzRun(cloud, porter_credential(az, self.ctx.secrets, cloud), az.subscription_id,
                                 self._plan, cancelled=cancelled, sleep=interruptible_sleep,
                                 poll_seconds=self.POLL_SECONDS)
        return az_provision.provision(run, self.report_step)

    def finished(self, result: dict[str, str]) -> str:
        az = self.ctx.state.azure
        az.cluster_id, az.oidc_issuer = result.get("cluster", ""), result.get("oidc_issuer", "")
        az.login_server = result.get("login_server", "")
        az.provisioned_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        az.teardown_status = ""
        return "✓ Provisioned."
