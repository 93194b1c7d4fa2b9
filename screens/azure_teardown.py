"""Tear down: delete the AKS cluster and its network. The resource group `<project>-<region>`
and its container registry (the build images) are kept unless the user ticks the box, as the
platform's docs say; then whatever still carries the cluster's tag is listed with portal links."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from wizard.azure import provision as az_provision
from wizard.azure import teardown as az_teardown
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.azure.plan import TAG_KEY, plan_for

from .plain import plain
from .teardown_screen import TeardownScreen
from .worker_tools import cancelled, interruptible_sleep


class AzureTeardownScreen(TeardownScreen):
    STEP = "azure.teardown"
    SECTION = "azure"
    STOP_BODY = ("The wizard stops waiting. Azure finishes the deletion it has started; press "
                 "Delete again later to finish: what is already gone is skipped.")

    @property
    def _plan(self):
        az = self.ctx.state.azure
        return plan_for(self.ctx.state.project, az.region, az.tier)

    def step_rows(self) -> list[tuple[str, str]]:
        return [(key, label) for key, label, _ in az_teardown.steps()]

    def describe(self) -> ComposeResult:
        plan = self._plan
        yield Static(plain(f"Tear down {plan.cluster_name} in {plan.region}"), classes="title")
        yield Static(
            plain(f"Deletes the AKS cluster {plan.cluster_name} (with the workloads on it) and the virtual "
            f"network {plan.vnet_name}. The resource group {plan.resource_group} and the container "
            f"registry {plan.registry_name} in it are KEPT by default, because the registry holds "
            "your build images; delete them here or later in the portal."), classes="lead")

    def registry_choice(self) -> str:
        return f"Also delete the resource group {self._plan.resource_group} with the registry and its images"

    def confirm_text(self, delete_registry: bool) -> str:
        plan = self._plan
        what = (f"the cluster {plan.cluster_name}, its network, and the resource group "
                f"{plan.resource_group} with the registry {plan.registry_name} and all its images"
                if delete_registry else f"the cluster {plan.cluster_name} and its network (the registry stays)")
        return f"Deletes {what}, in subscription {self.ctx.state.azure.subscription_id}. This cannot be undone."

    def job(self) -> list:
        az, cloud = self.ctx.state.azure, current_cloud()
        run = az_provision.AzRun(cloud, porter_credential(az, self.ctx.secrets, cloud), az.subscription_id,
                                 self._plan, cancelled=cancelled, sleep=interruptible_sleep,
                                 poll_seconds=self.POLL_SECONDS)
        az_teardown.teardown(run, self.report_step, delete_registry=self.delete_registry)
        return az_teardown.leftovers(run)

    def finished(self, leftovers: list) -> str:
        az = self.ctx.state.azure
        az.provision_status, az.cluster_id, az.oidc_issuer = "", "", ""
        lines = [f"{item.type} {item.name}\n    {item.portal_url}" for item in leftovers]
        self.show_leftovers(lines, "subscription",
                            f"Nothing tagged {TAG_KEY}={self.ctx.state.project} is left in the subscription.",
                            "azure-leftovers", "Azure resources still there")
        return "✓ The cluster and its network are deleted." if leftovers else "✓ Deleted."
