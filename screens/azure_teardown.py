"""Tear down: delete the AKS cluster and its network. The resource group `<project>-<region>`
and its container registry (the build images) are kept unless the user ticks the box, as the
platform's docs say; then whatever still carries the cluster's tag is listed with portal links."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Checkbox, Static

from wizard.azure import provision as az_provision
from wizard.azure import teardown as az_teardown
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.azure.plan import TAG_KEY, plan_for

from .job_screen import JobScreen
from .widgets.confirm_modal import ConfirmModal
from .worker_tools import cancelled, interruptible_sleep


class AzureTeardownScreen(JobScreen):
    STEP = "azure.teardown"
    START_LABEL = "Delete the cluster…"
    POLL_SECONDS = 10.0
    STOP_TITLE = "Stop the teardown?"
    STOP_BODY = ("The wizard stops waiting. Azure finishes the deletion it has started; press "
                 "Delete again later to finish: what is already gone is skipped.")

    @property
    def _plan(self):
        az = self.ctx.state.azure
        return plan_for(self.ctx.state.project, az.region, az.tier)

    def step_rows(self) -> list[tuple[str, str]]:
        return [(key, label) for key, label, _ in az_teardown.steps()]

    def intro(self) -> ComposeResult:
        plan = self._plan
        yield Static(f"Tear down {plan.cluster_name} in {plan.region}", classes="title")
        yield Static(
            f"Deletes the AKS cluster {plan.cluster_name} (with the workloads on it) and the virtual "
            f"network {plan.vnet_name}. The resource group {plan.resource_group} and the container "
            f"registry {plan.registry_name} in it are KEPT by default, because the registry holds "
            "your build images; delete them here or later in the portal.", classes="lead")
        yield Checkbox(f"Also delete the resource group {plan.resource_group} with the registry "
                       "and its images", value=False, id="delete-registry")

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static("", id="leftovers", classes="facts")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#leftovers").display = False

    def status_text(self) -> str:
        status = self.ctx.state.azure.teardown_status
        if status == "running":
            return "A teardown was interrupted. Delete again to finish it: what is gone is skipped."
        return "Nothing has been deleted yet." if status != "done" else "✓ Deleted earlier."

    def progress_status(self) -> str:
        return self.ctx.state.azure.teardown_status

    def set_progress_status(self, status: str) -> None:
        self.ctx.state.azure.teardown_status = status

    def start(self) -> None:
        plan, also = self._plan, self.query_one("#delete-registry", Checkbox).value
        if self.ctx.force:
            super().start()
            return
        what = (f"the cluster {plan.cluster_name}, its network, and the resource group "
                f"{plan.resource_group} with the registry {plan.registry_name} and all its images"
                if also else f"the cluster {plan.cluster_name} and its network (the registry stays)")
        self.app.push_screen(ConfirmModal(
            "Delete the cluster?", f"Deletes {what}, in subscription {self.ctx.state.azure.subscription_id}. "
            "This cannot be undone.", "Delete", dangerous=True),
            lambda yes: JobScreen.start(self) if yes else None)

    def job(self) -> list:
        az, cloud = self.ctx.state.azure, current_cloud()
        run = az_provision.AzRun(cloud, porter_credential(az, self.ctx.secrets, cloud), az.subscription_id,
                                 self._plan, cancelled=cancelled, sleep=interruptible_sleep,
                                 poll_seconds=self.POLL_SECONDS)
        az_teardown.teardown(run, self.report_step,
                             delete_registry=self.query_one("#delete-registry", Checkbox).value)
        return az_teardown.leftovers(run)

    def finished(self, leftovers: list) -> str:
        az = self.ctx.state.azure
        az.provision_status, az.cluster_id, az.oidc_issuer = "", "", ""
        box = self.query_one("#leftovers", Static)
        box.display = True
        if not leftovers:
            box.update(f"Nothing tagged {TAG_KEY}={self.ctx.state.project} is left in the subscription.")
            return "✓ Deleted."
        lines = [f"{item.type} {item.name}\n    {item.portal_url}" for item in leftovers]
        box.update("Still in your subscription (and billed until deleted):\n" + "\n".join(lines))
        self.wizard.exit_notes["azure-leftovers"] = "Azure resources still there:\n" + "\n".join(lines)
        return "✓ The cluster and its network are deleted."
