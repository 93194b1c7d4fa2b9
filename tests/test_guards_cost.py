"""The cost screens' and Google Cloud's provision guard (issue 18): Continue stays off until the
cost is acknowledged and goes off again when it is withdrawn; Start only after checks and cost."""
from __future__ import annotations

import pytest
from textual.widgets import Button

from screens.app import WizardApp
from wizard.state import WizardState

from .guard_tools import SIZE, WHEN, continue_button, saved
from .pilot_tools import settle, text_of
from .states import cluster_state


# -- the cost screens -------------------------------------------------------------------------------

def aws_cost_state() -> WizardState:
    return cluster_state("aws.cost")


def azure_cost_state() -> WizardState:
    state = WizardState(step="azure.cost", project="demo", cloud="azure")
    state.azure.region, state.azure.tier = "westeurope", "Free"
    return state


def gcp_cost_state() -> WizardState:
    state = WizardState(step="gcp.cost", project="demo", cloud="gcp")
    state.gcp.region, state.gcp.project_id = "us-central1", "demo-123"
    return state


def expected_total(section: str, state: WizardState) -> float:
    if section == "aws":
        from wizard.aws.cost import estimate
        from wizard.aws.plan import plan_for
        return estimate(plan_for(state.project, state.aws.region)).total
    if section == "azure":
        from wizard.azure.cost import estimate
        from wizard.azure.plan import plan_for
        return estimate(plan_for(state.project, state.azure.region, state.azure.tier)).total
    from screens.gcp_plan import current_plan
    from wizard.gcp.cost import estimate
    return estimate(current_plan(state)).total


COST_SCREENS = [("aws", aws_cost_state, "#acknowledge"), ("azure", azure_cost_state, "#tier"),
                ("gcp", gcp_cost_state, "#acknowledge")]


@pytest.mark.parametrize("section,build,first_focus", COST_SCREENS, ids=[c[0] for c in COST_SCREENS])
async def test_cost_continue_needs_the_acknowledgement_and_loses_it_when_withdrawn(
        make_ctx, section, build, first_focus):
    state = build()
    ctx = make_ctx(state)
    progress = getattr(state, section)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.STEP == f"{section}.cost"
        assert screen.query_one(first_focus).has_focus
        button, box = continue_button(pilot), screen.query_one("#acknowledge")
        assert button.disabled and not box.value
        # Pressed while off (a click, or a press from code): nothing moves on.
        await pilot.click("#continue")
        button.press()
        await settle(pilot)
        assert pilot.app.screen is screen and ctx.state.step == f"{section}.cost"

        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert box.value and not button.disabled and button.has_focus
        total = expected_total(section, state)
        assert progress.cost_acknowledged_at.startswith("20") and progress.cost_acknowledged_at.endswith("+00:00")
        assert progress.cost_monthly == f"{total:.2f}"
        assert saved(ctx, section)["cost_acknowledged_at"] == progress.cost_acknowledged_at
        assert saved(ctx, section)["cost_monthly"] == f"{total:.2f}"

        box.focus()
        await pilot.press("space")  # withdrawn
        await settle(pilot)
        assert not box.value and button.disabled
        assert progress.cost_acknowledged_at == "" and progress.cost_monthly == ""
        assert saved(ctx, section)["cost_acknowledged_at"] == "" and saved(ctx, section)["cost_monthly"] == ""
        await pilot.click("#continue")
        button.press()
        await settle(pilot)
        assert pilot.app.screen is screen

        box.toggle()
        await settle(pilot)
        button.press()
        await settle(pilot)
        assert pilot.app.screen.STEP == f"{section}.provision"
    assert ctx.state.step == f"{section}.provision"


async def test_azure_cost_a_new_tier_withdraws_the_acknowledgement(make_ctx):
    ctx = make_ctx(azure_cost_state())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#acknowledge").toggle()
        await settle(pilot)
        assert not continue_button(pilot).disabled and ctx.state.azure.cost_acknowledged_at
        pilot.app.screen.query_one("#tier-Standard").value = True  # a different total
        await settle(pilot)
        assert continue_button(pilot).disabled and not pilot.app.screen.query_one("#acknowledge").value
        assert ctx.state.azure.cost_acknowledged_at == "" and ctx.state.azure.tier == "Standard"


@pytest.mark.parametrize("section,build", [("aws", aws_cost_state), ("gcp", gcp_cost_state)])
async def test_cost_acknowledged_before_a_relaunch_is_kept(make_ctx, section, build):
    state = build()
    getattr(state, section).cost_acknowledged_at = WHEN
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.query_one("#acknowledge").value and not continue_button(pilot).disabled




# -- the provision screens' start button --------------------------------------------------------

@pytest.mark.parametrize("checks,cost,status,enabled", [
    ("", "", "", False),
    (WHEN, "", "", False),
    ("", WHEN, "", False),
    (WHEN, WHEN, "", True),
    ("", "", "done", False),
    ("", "", "running", True),  # Resume an interrupted run: it was checked before it started
])
async def test_gcp_provision_starts_only_after_checks_and_cost(make_ctx, checks, cost, status, enabled):
    state = gcp_cost_state()
    state.step = "gcp.provision"
    state.porter_mode = "standalone"
    state.gcp.checks_passed_at, state.gcp.cost_acknowledged_at, state.gcp.provision_status = checks, cost, status
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.STEP == "gcp.provision"
        start = pilot.app.screen.query_one("#start", Button)
        assert start.disabled is not enabled
        if not enabled:
            assert "acknowledge the cost first" in text_of(pilot, "#job-status")
            start.press()
            await settle(pilot)
            assert state.gcp.provision_status == status  # nothing started




@pytest.mark.parametrize("section,button,status", [("aws", "#provision", "#provision-status"),
                                                   ("azure", "#start", "#job-status")])
async def test_aws_and_azure_provision_do_not_start_without_an_acknowledged_cost(make_ctx, section, button, status):
    """A relaunch into the provision step with the acknowledgement withdrawn (or never given):
    Start stays off and says why, as on Google Cloud."""
    state = cluster_state("aws.cost") if section == "aws" else azure_cost_state()
    state.step = f"{section}.provision"
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.STEP == f"{section}.provision"
        start = pilot.app.screen.query_one(button, Button)
        assert start.disabled and "Acknowledge the cost first" in text_of(pilot, status)
        start.press()
        await settle(pilot)
        assert getattr(state, section).provision_status == ""  # nothing started
