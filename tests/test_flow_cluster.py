"""Region, quotas, cost, provision, cluster and teardown, driven through the screens."""
from __future__ import annotations

import boto3
import pytest

from screens.app import WizardApp

from .pilot_tools import press, settle, shown_buttons, text_of, wait_for_text
from .states import cluster_state, connected_state
from .test_aws_provision import COMPLETE, inventory

SIZE = (110, 60)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    for screen in ("screens.aws_quotas.AwsQuotasScreen", "screens.aws_provision.AwsProvisionScreen",
                   "screens.aws_teardown.AwsTeardownScreen"):
        monkeypatch.setattr(f"{screen}.POLL_SECONDS", 0.05)


async def test_region_search_and_choice(role, make_ctx):
    ctx = make_ctx(connected_state("aws.region"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = pilot.app.screen.query_one("#regions")
        assert listing.option_count == 38
        disabled = [o for o in listing.options if o.disabled]
        assert disabled and all("not enabled" in str(o.prompt) for o in disabled)
        await pilot.press(*"ireland")
        await pilot.pause()
        assert [o.id for o in listing.options] == ["eu-west-1"]
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert pilot.app.screen.STEP == "aws.quotas"
    assert ctx.state.aws.region == "eu-west-1"


async def test_quota_increase_requested_followed_and_then_continue(role, make_ctx):
    ctx = make_ctx(cluster_state("aws.quotas"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✓" in text_of(pilot, "#why")
        assert not pilot.app.screen.query_one("#continue").disabled
        assert "6" in str(pilot.app.screen.query_one("#quota-vcpu .quota-figures").render())
    assert role.quotas.requests.count("RequestServiceQuotaIncrease") == 1
    assert ctx.state.aws.quota_requests == {}


async def test_denied_increase_keeps_provisioning_disabled_and_says_why(role, make_ctx):
    role.quotas.deny_next("ec2", "L-1216C47A")
    ctx = make_ctx(cluster_state("aws.quotas"))
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        why = text_of(pilot, "#why")
        assert why.splitlines() == ["Provisioning waits until every quota has room:",
                                    "  • On-demand standard vCPUs: short by 1, AWS denied the increase; open a case "
                                    "with AWS Support"]
        assert pilot.app.screen.query_one("#continue").disabled
        links = text_of(pilot, "#manual-links")
        assert "/servicequotas/home/services/ec2/quotas/L-1216C47A?region=eu-west-1" in links
        assert "quota-links" in app.exit_notes


async def test_manual_route_requests_nothing_and_shows_links(role, make_ctx):
    state = cluster_state("aws.quotas")
    state.aws.quota_auto = False
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "request an increase with the link below" in text_of(pilot, "#why")
        assert "L-1216C47A" in text_of(pilot, "#manual-links")
        assert pilot.app.screen.query_one("#continue").disabled
    assert "RequestServiceQuotaIncrease" not in role.quotas.requests


async def test_a_request_made_before_a_relaunch_is_followed_not_repeated(role, make_ctx):
    sq = boto3.client("service-quotas", region_name="eu-west-1")
    made = sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=6.0)
    state = cluster_state("aws.quotas")
    state.aws.quota_requests = {"vcpu": made["RequestedQuota"]["Id"]}
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✓" in text_of(pilot, "#why")
    assert role.quotas.requests.count("RequestServiceQuotaIncrease") == 1  # only the one above


async def test_cost_must_be_acknowledged(role, make_ctx):
    ctx = make_ctx(cluster_state("aws.cost"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.query_one("#continue").disabled
        assert "Prices as of 2025-06-01" in text_of(pilot, "#prices-date")
        pilot.app.screen.query_one("#acknowledge").toggle()
        await settle(pilot)
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.provision"
    assert ctx.state.aws.cost_acknowledged_at and float(ctx.state.aws.cost_monthly) > 200


async def test_provision_then_tear_down_everything_through_the_screens(role, make_ctx):
    ctx = make_ctx(cluster_state("aws.provision"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Nothing has been created yet" in text_of(pilot, "#provision-status")
        await press(pilot, "provision")
        assert "Provisioned in" in text_of(pilot, "#provision-status")
        assert inventory("acme-prod") == COMPLETE
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.cluster"
        await press(pilot, "teardown")
        await press(pilot, "delete-cluster")
        pilot.app.screen.query_one("#confirm").press()
        await settle(pilot)
        assert "Nothing tagged with the cluster's name is left" in text_of(pilot, "#teardown-status")
        assert inventory("acme-prod") == {k: 0 for k in COMPLETE}
        assert shown_buttons(pilot) == {"delete-stack", "done"}
        await press(pilot, "delete-stack")
        pilot.app.screen.query_one("#confirm").press()
        await settle(pilot)
        assert "Porter has no access" in text_of(pilot, "#teardown-status")
    stacks = boto3.client("cloudformation", region_name="us-east-1").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks} == {"DELETE_COMPLETE"}
    assert ctx.state.aws.role_arn == "" and ctx.state.aws.provision_status == ""


async def test_an_interrupted_provisioning_resumes_without_duplicates(role, make_ctx):
    from wizard.aws.connection import work_session
    from wizard.aws.provision import provision
    from wizard.errors import Cancelled

    state = cluster_state("aws.provision")
    calls = {"n": 0}

    def stop_after_four() -> bool:
        calls["n"] += 1
        return calls["n"] > 4

    from wizard.aws.plan import plan_for
    from wizard.aws.provision import Run

    run = Run(work_session(state.aws, make_ctx().secrets), plan_for("acme-prod", "eu-west-1"),
              cancelled=stop_after_four, poll_seconds=0.05)
    with pytest.raises(Cancelled):
        provision(run, lambda s: None)
    state.aws.provision_status = "running"  # as a crash mid-way leaves it
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "interrupted" in text_of(pilot, "#provision-status")
        assert str(pilot.app.screen.query_one("#provision").label) == "Resume"
        await press(pilot, "provision")
        assert "Provisioned in" in text_of(pilot, "#provision-status")
    assert inventory("acme-prod") == COMPLETE


async def test_stopping_provisioning_asks_first_and_leaves_a_resume(role, make_ctx):
    role.front.latency("ec2", "CreateNatGateway", 1.0)
    ctx = make_ctx(cluster_state("aws.provision"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#provision").press()
        await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "ConfirmModal"
        pilot.app.screen.query_one("#confirm").press()
        await wait_for_text(pilot, "#provision-status", "Stopped")
        assert str(pilot.app.screen.query_one("#provision").label) == "Resume"
    assert ctx.state.aws.provision_status == "running"
    assert inventory("acme-prod")["cluster"] == 0


async def test_a_provisioning_error_is_shown_with_resume(role, make_ctx):
    role.front.inject("ec2", "CreateNatGateway", code="UnauthorizedOperation", message="nope", times=10)
    ctx = make_ctx(cluster_state("aws.provision"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "provision")
        assert "AWS denied access" in text_of(pilot, "#error")
        assert str(pilot.app.screen.query_one("#provision").label) == "Resume"
    assert ctx.state.aws.provision_status == "failed"


async def test_new_requests_do_not_drop_one_followed_from_before_a_relaunch(role, make_ctx):
    sq = boto3.client("service-quotas", region_name="eu-west-1")
    role.quotas.approve_after(3600)  # AWS answers only when the test says so
    earlier = sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=6.0)
    role.quotas.set_quota("eu-west-1", "ec2", "L-0263D0A3", 0)  # now the EIPs are short too
    state = cluster_state("aws.quotas")
    state.aws.quota_requests = {"vcpu": earlier["RequestedQuota"]["Id"]}
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        # The EIP request is made (and followed) while the earlier vCPU one is still open.
        await wait_for_text(pilot, "#why", "Elastic IP addresses: short by 1, increase requested")
        assert "On-demand standard vCPUs: short by 1, increase requested" in text_of(pilot, "#why")
        role.quotas.settle_now()
        await wait_for_text(pilot, "#why", "Every quota has room")
    assert role.quotas.requests.count("RequestServiceQuotaIncrease") == 2  # the earlier + EIPs


async def test_leftovers_are_listed_with_links_and_only_known_kinds_offered_for_deletion(role, make_ctx):
    from wizard.aws.plan import TAG_KEY

    ec2 = boto3.client("ec2", region_name="eu-west-1")
    tag = [{"Key": TAG_KEY, "Value": "acme-prod"}]
    stray_ip = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tag}])
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]  # untagged: not ours
    ec2.create_security_group(GroupName="stray", Description="x", VpcId=vpc,
                              TagSpecifications=[{"ResourceType": "security-group", "Tags": tag}])
    app = WizardApp(make_ctx(cluster_state("aws.teardown")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen._sweep()  # as after a teardown that left these behind
        await settle(pilot)
        box = text_of(pilot, "#leftovers")
        assert stray_ip["AllocationId"] in box and "security-group" in box
        assert "https://console.aws.amazon.com/go/view?arn=" in box
        assert "kinds the wizard does not make" in text_of(pilot, "#teardown-status")
        assert "delete-leftovers" in shown_buttons(pilot)
        await press(pilot, "delete-leftovers")
        assert stray_ip["AllocationId"] in str(pilot.app.screen.query_one(".dialog-body").render())
        assert "sg-" not in str(pilot.app.screen.query_one(".dialog-body").render())
        pilot.app.screen.query_one("#confirm").press()
        await settle(pilot)
        box = text_of(pilot, "#leftovers")
        assert stray_ip["AllocationId"] not in box and "security-group" in box
    assert "leftovers" in app.exit_notes


async def test_back_on_the_provision_step_after_it_finished_says_so(role, make_ctx):
    state = cluster_state("aws.provision")
    state.aws.provision_status, state.aws.provisioned_at = "done", "2026-11-23T10:00:00+00:00"
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Provisioned at 2026-11-23T10:00:00+00:00" in text_of(pilot, "#provision-status")
        assert "continue" in shown_buttons(pilot)


@pytest.mark.parametrize("status,says,offered", [
    ("running", "A teardown was interrupted", {"delete-cluster"}),
    ("done", "resources were deleted", {"sweep", "delete-stack", "done"}),
])
async def test_teardown_after_a_relaunch_says_where_it_was(role, make_ctx, status, says, offered):
    state = cluster_state("aws.teardown")
    state.aws.teardown_status = status
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert says in text_of(pilot, "#teardown-status")
        assert shown_buttons(pilot) == offered
