"""The Azure flow from quotas to a running cluster and back to nothing, through the screens,
against the sandbox's doubles (Microsoft.Quota, resource groups, VNet, AKS, ACR)."""
from __future__ import annotations

from screens.app import WizardApp
from wizard.azure.cost import estimate
from wizard.azure.plan import plan_for

from .azure_states import connected_azure_state, register_providers
from .pilot_tools import press, settle, shown_buttons, text_of
from .test_flow_azure import SIZE, quick_polls, wait_for_step  # noqa: F401 - fixture
from .test_flow_azure_faults import until


AKS = "Microsoft.ContainerService/managedClusters"


def kinds_of(azure) -> list[str]:
    return sorted(r["type"] for r in azure.resources())


async def test_quotas_cost_provision_cluster_teardown(azure, make_ctx):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.quotas", ctx.secrets)
    register_providers(azure, ctx.secrets, ctx.state)
    plan = plan_for("demo", "westeurope")
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        # A new subscription has 10 of each; the cluster needs 20: both are requested and approved.
        await until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled)
        assert "Both quotas have room" in text_of(pilot, "#why")
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.cost")
        pilot.app.screen.query_one("#tier-Standard").value = True
        await settle(pilot)
        standard = estimate(plan_for("demo", "westeurope", "Standard"))
        assert standard.lines[0].monthly == 73.0  # the Standard tier's fee, which Free lacks
        assert f"${standard.total:,.0f} a month" in str(pilot.app.screen.query_one("#acknowledge").label)
        await pilot.click("#acknowledge")
        await settle(pilot)
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.provision")
        await press(pilot, "start")
        await until(pilot, lambda: "continue" in shown_buttons(pilot))
        assert "Provisioned" in text_of(pilot, "#job-status")
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.cluster")
        assert plan.cluster_name in text_of(pilot, ".facts")
        await press(pilot, "teardown")
        await wait_for_step(pilot, "azure.teardown")
        await press(pilot, "start")
        await press(pilot, "cancel")  # declined: nothing may be deleted
        await settle(pilot)
        assert AKS in kinds_of(azure) and ctx.state.azure.teardown_status == ""
        await press(pilot, "start")
        await press(pilot, "confirm")
        await until(pilot, lambda: ctx.state.azure.teardown_status == "done")
        leftovers = text_of(pilot, "#leftovers")
        assert plan.registry_name in leftovers and "portal.azure.com" in leftovers
    az = ctx.state.azure
    assert az.quota_requests == {} and az.tier == "Standard" and az.cost_acknowledged_at
    kinds = kinds_of(azure)
    assert AKS not in kinds
    assert any("registries" in k for k in kinds), kinds
