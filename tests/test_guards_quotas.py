"""The quota and provision-check screens' guard (issue 18): Continue stays off while a check runs,
failed, or waits on an increase, and goes off again on Check again; latency injected in the doubles
keeps the "still checking" state long enough to be seen."""
from __future__ import annotations

import json

import pytest
from textual.widgets import Button

from screens.app import WizardApp
from wizard.state import WizardState

from .azure_states import connected_azure_state, register_providers
from .guard_tools import SIZE, WHEN, continue_button, gcp_connected_ctx, record_text, until, watch_continue
from .pilot_tools import settle, shown_buttons, text_of, wait_for_text
from .states import cluster_state


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    for screen in ("screens.aws_quotas.AwsQuotasScreen", "screens.azure_quotas.AzureQuotasScreen"):
        monkeypatch.setattr(f"{screen}.POLL_SECONDS", 0.05)


# -- AWS: the quota checks --------------------------------------------------------------------------

VCPU = ("eu-west-1", "ec2", "L-1216C47A")


async def test_aws_quotas_continue_off_while_a_check_runs_and_again_on_check_again(aws, make_ctx):
    aws.quotas.set_quota(*VCPU, 100)  # every quota has room: only the pending checks hold it
    aws.quotas.latency("*", 0.3)  # no answer before the recorders are in place
    ctx = make_ctx(cluster_state("aws.quotas"))
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "aws.quotas", "the screen")
        turns, said = watch_continue(pilot), record_text(pilot, "#why")
        assert continue_button(pilot).disabled and text_of(pilot, "#why") == "Checking…"
        assert pilot.app.screen.query_one("#auto").value is True
        # Nothing is known to be short yet: no links box, and nothing in it.
        assert not pilot.app.screen.query_one("#manual-links").display and text_of(pilot, "#manual-links") == ""
        await settle(pilot)
        assert said[:6] == [f"Checking {n} more quota(s)…" for n in range(6, 0, -1)]
        assert set(said[6:]) == {"✓ Every quota has room for the cluster."}
        assert not continue_button(pilot).disabled and continue_button(pilot).has_focus
        assert turns == [(False, 7)]  # on only once all seven answers were in
        assert not pilot.app.screen.query_one("#manual-links").display and text_of(pilot, "#manual-links") == ""

        pilot.app.screen.query_one("#recheck", Button).press()
        await pilot.pause()
        assert continue_button(pilot).disabled  # off at once, not only when the first answer is in
        await settle(pilot)
        assert not continue_button(pilot).disabled
        assert turns == [(False, 7), (True, 0), (False, 7)]

        app.exit_notes["quota-links"] = "from an earlier visit"
        continue_button(pilot).press()
        await settle(pilot)
        assert pilot.app.screen.STEP == "aws.cost"
    assert "quota-links" not in app.exit_notes
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 0


async def test_aws_quotas_without_a_session_every_check_fails_and_continue_stays_off(aws, make_ctx):
    state = cluster_state("aws.quotas")
    state.aws.credential_source = "keys"  # but no key stored
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        why = text_of(pilot, "#why")
        assert why.count("could not be checked (") == 7 and "EKS clusters: could not be checked" in why
        assert continue_button(pilot).disabled
        assert "Stored access key is missing" in str(
            pilot.app.screen.query_one("#quota-eks .quota-result").render())
    assert "RequestServiceQuotaIncrease" not in aws.quotas.requests


async def test_aws_quotas_a_check_that_failed_keeps_continue_off(aws, make_ctx):
    aws.quotas.set_quota(*VCPU, 100)
    aws.quotas.inject("GetServiceQuota", code="AccessDeniedException", message="not allowed", times=1)
    ctx = make_ctx(cluster_state("aws.quotas"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        why = text_of(pilot, "#why")
        assert "could not be checked" in why and "Provisioning waits" in why
        assert continue_button(pilot).disabled
        assert not pilot.app.screen.query_one("#manual-links").display  # nothing is short
        pilot.app.screen.query_one("#recheck", Button).press()
        await settle(pilot)
        assert "Every quota has room" in text_of(pilot, "#why") and not continue_button(pilot).disabled
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 0


async def test_aws_quotas_every_problem_is_listed_not_only_the_first(aws, make_ctx):
    """A check that could not run does not hide a later one that is short."""
    aws.quotas.set_quota(*VCPU, 100)
    aws.quotas.set_quota("eu-west-1", "eks", "L-1194D53C", 0)
    aws.front.inject("ec2", "DescribeInstances", code="UnauthorizedOperation", message="not allowed", times=5)
    state = cluster_state("aws.quotas")
    state.aws.quota_auto = False
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = text_of(pilot, "#why").splitlines()
        assert lines[0] == "Provisioning waits until every quota has room:" and len(lines) == 3
        assert lines[1].startswith("  • On-demand standard vCPUs: could not be checked (")
        assert lines[2] == "  • EKS clusters: short by 1, request an increase with the link below"
        assert continue_button(pilot).disabled


async def test_aws_quotas_continue_off_while_an_increase_is_pending(aws, make_ctx):
    aws.quotas.approve_after(3600)  # AWS answers only when the test says so
    aws.quotas.latency("*", 0.3)  # no answer before the recorder is in place
    ctx = make_ctx(cluster_state("aws.quotas"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "aws.quotas", "the screen")
        said = record_text(pilot, "#why")
        why = await wait_for_text(pilot, "#why", "On-demand standard vCPUs: short by 1, increase requested")
        # Between the check and AWS taking the request, the screen says what it is doing.
        assert ("Provisioning waits until every quota has room:\n  • On-demand standard vCPUs: short by 1, "
                "requesting an increase") in said
        assert "Provisioning waits until every quota has room" in why
        assert continue_button(pilot).disabled
        assert not pilot.app.screen.query_one("#manual-links").display  # the wizard is on it
        assert list(ctx.state.aws.quota_requests) == ["vcpu"]
        assert json.loads(ctx.store.path.read_text())["aws"]["quota_requests"] == ctx.state.aws.quota_requests
        await pilot.pause(0.3)  # several polls later: still pending, still off
        assert continue_button(pilot).disabled
        aws.quotas.settle_now()
        await wait_for_text(pilot, "#why", "Every quota has room")
        assert not continue_button(pilot).disabled
    assert ctx.state.aws.quota_requests == {}


async def test_aws_quotas_a_request_that_failed_keeps_continue_off_with_links(aws, make_ctx):
    aws.quotas.inject("RequestServiceQuotaIncrease", code="AccessDeniedException", message="not allowed")
    ctx = make_ctx(cluster_state("aws.quotas"))
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        why = text_of(pilot, "#why")
        assert "On-demand standard vCPUs: short by 1, the increase request failed" in why
        assert continue_button(pilot).disabled
        links = text_of(pilot, "#manual-links")
        assert pilot.app.screen.query_one("#manual-links").display
        assert "On-demand standard vCPUs (ask for 6)" in links and "L-1216C47A?region=eu-west-1" in links
        assert "L-1216C47A" in app.exit_notes["quota-links"]
    assert ctx.state.aws.quota_requests == {}


async def test_aws_quotas_ticking_automatic_requests_rechecks_and_unlocks(aws, make_ctx):
    state = cluster_state("aws.quotas")
    state.aws.quota_auto = False
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#why").splitlines() == [
            "Provisioning waits until every quota has room:",
            "  • On-demand standard vCPUs: short by 1, request an increase with the link below"]
        assert continue_button(pilot).disabled and pilot.app.screen.query_one("#manual-links").display
        assert pilot.app.screen.query_one("#auto").value is False
        pilot.app.screen.query_one("#auto").toggle()
        await wait_for_text(pilot, "#why", "Every quota has room")
        assert not continue_button(pilot).disabled
        assert not pilot.app.screen.query_one("#manual-links").display
    assert ctx.state.aws.quota_auto and json.loads(ctx.store.path.read_text())["aws"]["quota_auto"]
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 1


# -- Azure: the vCPU quotas -------------------------------------------------------------------------

def azure_quotas_ctx(azure, make_ctx, *, auto: bool = True):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.quotas", ctx.secrets)
    ctx.state.azure.quota_auto = auto
    register_providers(azure, ctx.secrets, ctx.state)
    return ctx


async def test_azure_quotas_continue_off_while_checks_run_and_again_on_check_again(azure, make_ctx):
    ctx = azure_quotas_ctx(azure, make_ctx)
    azure.set_vcpu_quota("westeurope", "cores", 100)
    azure.set_vcpu_quota("westeurope", "standardBasv2Family", 100)
    azure.arm.latency("usages.get", 0.8)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "azure.quotas", "the screen")
        turns, said = watch_continue(pilot), record_text(pilot, "#why")
        assert continue_button(pilot).disabled and text_of(pilot, "#why") == "Checking…"
        await settle(pilot)
        assert said[0] == "Checking 1 more quota(s)…"
        assert set(said[1:]) == {"✓ Both quotas have room for the cluster."}
        assert not continue_button(pilot).disabled and continue_button(pilot).has_focus
        assert turns == [(False, 2)]  # on only once both answers were in, never with one

        pilot.app.screen.query_one("#recheck", Button).press()
        await pilot.pause()
        assert continue_button(pilot).disabled  # off at once, not only when the first answer is in
        await settle(pilot)
        assert not continue_button(pilot).disabled
        assert turns == [(False, 2), (True, 0), (False, 2)]

        app.exit_notes["quota-links"] = "from an earlier visit"
        continue_button(pilot).press()
        await settle(pilot)
        assert pilot.app.screen.STEP == "azure.cost"
    assert "quota-links" not in app.exit_notes
    assert "quota.put" not in azure.arm.requests


async def test_azure_quotas_continue_off_while_an_increase_is_pending(azure, make_ctx):
    ctx = azure_quotas_ctx(azure, make_ctx)
    azure.set_quota_approval(3600)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        why = await wait_for_text(pilot, "#why", "increase requested")
        await until(pilot, lambda: len(ctx.state.azure.quota_requests) == 2, "both requests made")
        assert "Provisioning waits until both quotas have room" in text_of(pilot, "#why")
        assert "short by" in why
        assert continue_button(pilot).disabled
        assert not pilot.app.screen.query_one("#manual-links").display
        assert json.loads(ctx.store.path.read_text())["azure"]["quota_requests"] == ctx.state.azure.quota_requests
        await pilot.pause(0.3)
        assert continue_button(pilot).disabled


async def test_azure_quotas_a_denied_increase_keeps_continue_off_with_the_portal_link(azure, make_ctx):
    ctx = azure_quotas_ctx(azure, make_ctx)
    azure.set_quota_approval(0, deny=True)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        why = await wait_for_text(pilot, "#why", "Azure did not approve the increase")
        await until(pilot, lambda: text_of(pilot, "#why").count("did not approve") == 2, "both denied")
        assert continue_button(pilot).disabled
        await wait_for_text(pilot, "#manual-links", "portal.azure.com")
        assert "Total Regional vCPUs: ask for 40" in text_of(pilot, "#manual-links")
        assert "portal.azure.com" in app.exit_notes["quota-links"]
        assert "short by" in why
        await pilot.pause(0.3)
        assert continue_button(pilot).disabled
    assert ctx.state.azure.quota_requests == {}
    assert azure.arm.requests.count("quota.put") == 2  # a denial is not asked again


async def test_azure_quotas_a_check_or_request_that_failed_keeps_continue_off(azure, make_ctx):
    ctx = azure_quotas_ctx(azure, make_ctx)
    azure.arm.inject("usages.get", status=403, code="AuthorizationFailed", message="no read", times=1)
    azure.arm.inject("quota.put", status=403, code="AuthorizationFailed", message="no write", times=1)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "could not be checked" in text_of(pilot, "#why")
                    and "the increase request failed" in text_of(pilot, "#why"), "both failures shown")
        assert continue_button(pilot).disabled
        await wait_for_text(pilot, "#manual-links", "portal.azure.com")
        await pilot.pause(0.3)
        assert continue_button(pilot).disabled
        # Nothing was granted, so nothing re-checks behind the user's back: the reasons stay.
        assert "could not be checked" in text_of(pilot, "#why")
        assert "the increase request failed" in text_of(pilot, "#why")
        assert azure.arm.requests.count("quota.put") == 1
        pilot.app.screen.query_one("#recheck", Button).press()  # the faults are spent: now it goes through
        await until(pilot, lambda: not continue_button(pilot).disabled, "Continue on after Check again")
        assert "Both quotas have room" in text_of(pilot, "#why")


async def test_azure_quotas_ticking_automatic_requests_rechecks_and_unlocks(azure, make_ctx):
    ctx = azure_quotas_ctx(azure, make_ctx, auto=False)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "request an increase with the link below" in text_of(pilot, "#why")
        assert continue_button(pilot).disabled and pilot.app.screen.query_one("#manual-links").display
        assert "quota.put" not in azure.arm.requests
        pilot.app.screen.query_one("#auto").toggle()
        await until(pilot, lambda: not continue_button(pilot).disabled, "Continue on")
        assert "Both quotas have room" in text_of(pilot, "#why")
    assert ctx.state.azure.quota_auto and json.loads(ctx.store.path.read_text())["azure"]["quota_auto"]


# -- Google Cloud: the provision checks -----------------------------------------------------------

async def test_gcp_checks_continue_off_while_they_run_and_again_on_check_again(sandbox_gcp, make_ctx):
    sandbox_gcp.enable_apis()
    sandbox_gcp.regions.set_quota("us-central1", "CPUS", 4)  # first a failure, for Check again
    sandbox_gcp.regions.latency("get_region", 0.8)
    ctx = gcp_connected_ctx(sandbox_gcp, make_ctx, "gcp.checks")
    ctx.state.gcp.checks_passed_at = WHEN  # from an earlier run: no longer true
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "gcp.checks", "the screen")
        await pilot.pause(0.2)
        assert continue_button(pilot).disabled and text_of(pilot, "#checks-status") == "Checking…"
        assert "again" not in shown_buttons(pilot)
        await settle(pilot)
        assert text_of(pilot, "#checks-status") == ("1 of 7 checks failed. Fix them (each says how), then Check "
                                                    "again. Provisioning stays off until all pass.")
        cpus, apis = text_of(pilot, "#check-quota-CPUS"), text_of(pilot, "#check-apis")
        found, _, fix = cpus.partition("\n    How to fix: ")
        assert found == "✗ CPUs in us-central1: needs 8, 4 free (limit 4, 0 in use): short by 4." and fix
        assert apis == "✓ The five APIs are enabled: All five are on."
        # What the screen says it checks, and the buttons its messages name.
        screen = pilot.app.screen
        assert str(screen.query_one(".title").render()) == "Provision checks for us-central1"
        assert "(3 × e2-standard-2 nodes, 6 vCPUs, plus one node's worth for upgrades)" in \
            str(screen.query_one(".lead").render())
        assert ctx.state.gcp.client_email in str(screen.query_one(".lead").render())
        assert (str(screen.query_one("#again", Button).label), str(continue_button(pilot).label)) == \
            ("Check again", "Continue")
        assert continue_button(pilot).disabled and "again" in shown_buttons(pilot)
        assert pilot.app.screen.query_one("#again").has_focus
        assert ctx.state.gcp.checks_passed_at == ""
        assert json.loads(ctx.store.path.read_text())["gcp"]["checks_passed_at"] == ""

        sandbox_gcp.regions.set_quota("us-central1", "CPUS", 24)
        pilot.app.screen.query_one("#again", Button).press()
        await pilot.pause(0.2)
        assert continue_button(pilot).disabled and "again" not in shown_buttons(pilot)
        assert text_of(pilot, "#checks-status") == "Checking…"
        assert not pilot.app.screen.query("#check-quota-CPUS")  # the old failure is gone (its answer is slow)
        await settle(pilot)
        assert text_of(pilot, "#checks-status") == "✓ All 7 checks passed."
        assert not continue_button(pilot).disabled and continue_button(pilot).has_focus
        assert len(pilot.app.screen.query(".check-row")) == 7
        assert ctx.state.gcp.checks_passed_at.endswith("+00:00")
        assert json.loads(ctx.store.path.read_text())["gcp"]["checks_passed_at"] == ctx.state.gcp.checks_passed_at

        continue_button(pilot).press()
        await settle(pilot)
        assert pilot.app.screen.STEP == "gcp.cost"


async def test_gcp_checks_that_cannot_run_keep_continue_off_and_say_why(sandbox_gcp, make_ctx):
    ctx = make_ctx(WizardState(step="gcp.checks", project="demo", cloud="gcp", porter_mode="standalone"))
    ctx.state.gcp.region = "us-central1"  # but no key stored
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#checks-status") == "The checks could not run."
        assert pilot.app.screen.query_one("#error").display
        assert continue_button(pilot).disabled and "again" in shown_buttons(pilot)
    assert ctx.state.gcp.checks_passed_at == ""


