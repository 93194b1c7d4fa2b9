"""The AWS quota screen's increase requests (issue 18): what is followed after a relaunch and what is
asked again, what the saved progress keeps, what each row shows while a request is open, and the
console links, word for word and in the credentials' partition."""
from __future__ import annotations

import boto3
import pytest
from textual.widgets import Button

from screens.app import WizardApp
from screens.messages import QuotaRequestUpdate

from .guard_tools import SIZE, continue_button, record_text, saved, until
from .pilot_tools import settle, text_of, wait_for_text
from .states import cluster_state

VCPU = ("ec2", "L-1216C47A")
EKS = ("eks", "L-1194D53C")
VCPU_ROW = "#quota-vcpu .quota-result"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr("screens.aws_quotas.AwsQuotasScreen.POLL_SECONDS", 0.05)


def ask_aws(quota: tuple[str, str], desired: float, region: str = "eu-west-1") -> str:
    """An increase requested outside this run of the wizard (before a relaunch); its request ID."""
    sq = boto3.client("service-quotas", region_name=region)
    made = sq.request_service_quota_increase(ServiceCode=quota[0], QuotaCode=quota[1], DesiredValue=desired)
    return made["RequestedQuota"]["Id"]


def relaunched_with(requests: dict[str, str]):
    state = cluster_state("aws.quotas")
    state.aws.quota_requests = dict(requests)
    return state


async def test_a_pending_request_from_before_a_relaunch_is_followed_not_repeated(aws, make_ctx):
    aws.quotas.approve_after(3600)  # AWS answers only when the test says so
    earlier = ask_aws(VCPU, 6.0)
    ctx = make_ctx(relaunched_with({"vcpu": earlier}))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", "On-demand standard vCPUs: short by 1, increase requested (PENDING)",
                            timeout=5)
        assert text_of(pilot, VCPU_ROW) == "… increase to 6 requested: PENDING"
        assert saved(ctx, "aws")["quota_requests"] == {"vcpu": earlier}
        aws.quotas.settle_now()
        await wait_for_text(pilot, "#why", "Every quota has room", timeout=5)
        assert text_of(pilot, VCPU_ROW) == "✓ enough"
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 1  # only the earlier one
    assert ctx.state.aws.quota_requests == {} and saved(ctx, "aws")["quota_requests"] == {}


async def test_a_request_that_can_no_longer_be_followed_is_dropped_from_the_saved_requests(aws, make_ctx):
    aws.quotas.approve_after(3600)
    ctx = make_ctx(relaunched_with({"vcpu": ask_aws(VCPU, 6.0)}))
    aws.quotas.inject("GetRequestedServiceQuotaChange", code="AccessDeniedException", message="not allowed")
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", "On-demand standard vCPUs: short by 1, the increase request failed: ",
                            timeout=5)
        await settle(pilot)
        assert pilot.app.screen.query_one("#manual-links").display and continue_button(pilot).disabled
        assert "L-1216C47A" in app.exit_notes["quota-links"]
    assert ctx.state.aws.quota_requests == {} and saved(ctx, "aws")["quota_requests"] == {}
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 1  # not asked again by itself


async def test_check_again_while_an_increase_is_open_keeps_the_row_on_the_request(aws, make_ctx):
    aws.quotas.approve_after(3600)
    ctx = make_ctx(cluster_state("aws.quotas"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", "On-demand standard vCPUs: short by 1, increase requested (PENDING)",
                            timeout=5)
        shown = record_text(pilot, VCPU_ROW)
        pilot.app.screen.query_one("#recheck", Button).press()
        await until(pilot, lambda: len(shown) >= 2, "the row's answer after Check again")
        # The fresh check is short again, but the row keeps saying what is being done about it.
        assert shown[:2] == ["checking…", "… increase to 6 requested: PENDING"]
        await until(pilot, lambda: text_of(pilot, "#why").startswith("Provisioning waits"), "all checks in")
        assert "✗ short by 1" not in shown and text_of(pilot, VCPU_ROW) == "… increase to 6 requested: PENDING"
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 1


async def test_a_quota_with_room_keeps_its_tick_while_an_old_request_for_it_is_followed(aws, make_ctx):
    """After a relaunch every saved request is followed, but only a short quota's row shows one."""
    aws.quotas.approve_after(3600)
    vcpu, eip = ask_aws(VCPU, 6.0), ask_aws(("ec2", "L-0263D0A3"), 10.0)  # the EIPs have room (5)
    ctx = make_ctx(relaunched_with({"vcpu": vcpu, "eip": eip}))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", "increase requested (PENDING)", timeout=5)
        polls = aws.quotas.requests.count("GetRequestedServiceQuotaChange")
        await until(pilot, lambda: aws.quotas.requests.count("GetRequestedServiceQuotaChange") >= polls + 4,
                    "both requests asked about again")
        await pilot.pause(0.1)
        assert text_of(pilot, "#quota-eip .quota-result") == "✓ enough"
        assert text_of(pilot, "#why").splitlines() == [
            "Provisioning waits until every quota has room:",
            "  • On-demand standard vCPUs: short by 1, increase requested (PENDING)"]
        aws.quotas.settle_now()
        await wait_for_text(pilot, "#why", "Every quota has room", timeout=5)
        await until(pilot, lambda: ctx.state.aws.quota_requests == {}, "both answered, neither kept")
        assert text_of(pilot, "#quota-eip .quota-result") == "✓ enough"


async def test_an_answer_that_arrives_twice_after_check_again_is_taken_once(aws, make_ctx):
    """Check again starts a new follower; the one it replaces may be inside a call already and
    still report the same (final) answer. The second report must not break the screen."""
    aws.quotas.approve_after(3600)
    aws.quotas.latency("GetRequestedServiceQuotaChange", 1.5)
    answers = {}  # a message bubbles up to the app: each is seen twice

    def hook(message) -> None:
        if isinstance(message, QuotaRequestUpdate) and message.request.done:
            answers[id(message)] = message

    ctx = make_ctx(cluster_state("aws.quotas"))
    async with WizardApp(ctx).run_test(size=SIZE, message_hook=hook) as pilot:
        await wait_for_text(pilot, "#why", "increase requested (PENDING)", timeout=5)
        pilot.app.screen.query_one("#recheck", Button).press()
        await until(pilot, lambda: aws.quotas.requests.count("GetRequestedServiceQuotaChange") == 2,
                    "the second follower asking while the first still waits for its answer")
        aws.quotas.settle_now()  # both followers now get APPROVED
        await until(pilot, lambda: len(answers) == 2, "both followers' answers", timeout_rounds=100)
        await wait_for_text(pilot, "#why", "Every quota has room", timeout=5)
        assert not continue_button(pilot).disabled
    assert ctx.state.aws.quota_requests == {}


async def test_manual_links_and_exit_note_word_for_word_in_the_credentials_partition(aws, make_ctx):
    aws.quotas.set_quota("us-gov-west-1", *EKS, 0)
    state = cluster_state("aws.quotas", region="us-gov-west-1")
    state.aws.caller_arn = "arn:aws-us-gov:iam::123456789012:user/moto"
    state.aws.quota_auto = False
    app = WizardApp(make_ctx(state))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#why") == (
            "Provisioning waits until every quota has room:\n"
            "  • On-demand standard vCPUs: short by 1, request an increase with the link below\n"
            "  • EKS clusters: short by 1, request an increase with the link below")
        assert pilot.app.screen.query_one("#manual-links").display
        box = text_of(pilot, "#manual-links").split("\n")
        assert box[0] == "Request these in the AWS console (Service Quotas), then press Check again:"
        # (one line per short quota, in the plan's order, as the reasons above)
        assert box[1:] == [
            "On-demand standard vCPUs (ask for 6): https://console.amazonaws-us-gov.com/servicequotas/home/"
            "services/ec2/quotas/L-1216C47A?region=us-gov-west-1",
            "EKS clusters (ask for 1): https://console.amazonaws-us-gov.com/servicequotas/home/"
            "services/eks/quotas/L-1194D53C?region=us-gov-west-1"]
        assert app.exit_notes["quota-links"] == "Quota increases to request:\n" + "\n".join(box[1:])
    assert "RequestServiceQuotaIncrease" not in aws.quotas.requests
