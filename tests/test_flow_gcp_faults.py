"""Google Cloud's failures on the screens: each says what went wrong and what to do, nothing is
lost, and Retry / Check again / Resume finish the job once the cause is gone."""
from __future__ import annotations

import json

from screens.app import WizardApp
from wizard.gcp.connection import store_key
from wizard.gcp.key import parse_key

from .pilot_tools import press, shown_buttons, text_of
from .test_flow_gcp import SIZE, gcp_state, quick_polls, wait_for_step, wait_until  # noqa: F401 - fixture


def connected(doubles, ctx, step: str, region: str = "us-central1"):
    """A state with the key stored, as after the key step (and the APIs on unless told)."""
    ctx.state = gcp_state(step)
    store_key(ctx.state, ctx.secrets, parse_key(json.dumps(doubles.make_key()), None))
    ctx.state.gcp.region = region
    return ctx


async def test_an_api_refused_is_named_and_retry_finishes_it(sandbox_gcp, make_ctx):
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.apis")
    sandbox_gcp.usage.inject("enable_service", status=403, code="PERMISSION_DENIED",
                             message="Permission denied to enable service [container.googleapis.com]", times=1)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "retry" in shown_buttons(pilot), "the failure")
        assert "denied access" in text_of(pilot, "#error")
        assert "4 of" not in text_of(pilot, "#apis-status") and "1 API(s)" in text_of(pilot, "#apis-status")
        assert pilot.app.screen.query_one("#continue").disabled
        await press(pilot, "retry")
        await wait_until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled, "enabled")
    assert ctx.state.gcp.apis_enabled_at


async def test_a_short_quota_keeps_provisioning_off_until_it_is_raised(sandbox_gcp, make_ctx):
    sandbox_gcp.enable_apis()
    sandbox_gcp.regions.set_quota("us-central1", "CPUS", 4)
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.checks")
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "again" in shown_buttons(pilot), "the checks")
        assert "1 of 7 checks failed" in text_of(pilot, "#checks-status")
        cpus = text_of(pilot, "#check-quota-CPUS")
        assert "needs 8" in cpus and "console.cloud.google.com/iam-admin/quotas" in cpus
        assert pilot.app.screen.query_one("#continue").disabled
        sandbox_gcp.regions.set_quota("us-central1", "CPUS", 24)
        await press(pilot, "again")
        await wait_until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled, "passed")
    assert ctx.state.gcp.checks_passed_at


async def test_apis_off_and_permissions_missing_fail_the_checks_with_their_fixes(sandbox_gcp, make_ctx):
    limited = sandbox_gcp.add_service_account("limited", {"compute.regions.get", "compute.regions.list",
                                                          "serviceusage.services.get", "serviceusage.services.list"})
    sandbox_gcp.enable_apis("compute.googleapis.com", "cloudresourcemanager.googleapis.com")
    ctx = make_ctx(gcp_state("gcp.checks"))
    store_key(ctx.state, ctx.secrets, parse_key(json.dumps(sandbox_gcp.make_key(limited)), None))
    ctx.state.gcp.region = "us-central1"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "again" in shown_buttons(pilot), "the checks")
        assert "Kubernetes Engine API" in text_of(pilot, "#check-apis")
        permissions = text_of(pilot, "#check-permissions")
        assert "container.clusters.create" in permissions
        assert f"--member=serviceAccount:{limited}" in permissions.replace("\n", "")
    assert not ctx.state.gcp.checks_passed_at


async def test_throttled_then_quota_exceeded_while_provisioning_then_resumed(sandbox_gcp, make_ctx):
    sandbox_gcp.enable_apis()
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.provision")
    ctx.state.gcp.checks_passed_at = ctx.state.gcp.cost_acknowledged_at = "2026-11-23T10:00:00+00:00"
    # A 429 once is retried by the wizard itself; the quota error is the user's to fix.
    sandbox_gcp.compute.inject("insert_network", status=429, code="RATE_LIMIT_EXCEEDED", message="Quota exceeded "
                               "for quota metric 'Queries' and limit 'Queries per minute'", times=1)
    sandbox_gcp.container.inject("create_cluster", status=403, code="QUOTA_EXCEEDED",
                                 message="Insufficient regional quota to satisfy request: resource \"CPUS\"", times=1)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await press(pilot, "start")
        await wait_until(pilot, lambda: "start" in shown_buttons(pilot), "the stop")
        assert "quota is too low" in text_of(pilot, "#error")
        assert ctx.state.gcp.provision_status == "failed"
        assert str(pilot.app.screen.query_one("#start").label) == "Resume"
        await press(pilot, "start")
        await wait_until(pilot, lambda: "continue" in shown_buttons(pilot), "provisioned")
    assert ctx.state.gcp.provision_status == "done"
    assert sandbox_gcp.compute.requests.count("insert_network") == 2  # the throttled one, then the real one
    assert sandbox_gcp.container.requests.count("create_cluster") == 2


async def test_provision_stays_off_without_passed_checks(sandbox_gcp, make_ctx):
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.provision")
    ctx.state.gcp.cost_acknowledged_at = "2026-11-23T10:00:00+00:00"  # but the checks never passed
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: pilot.app.screen.STEP == "gcp.provision", "the screen")
        assert pilot.app.screen.query_one("#start").disabled
        assert "provision checks" in text_of(pilot, "#job-status")
    assert sandbox_gcp.compute.requests == []
