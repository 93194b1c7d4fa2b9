"""Quota checks and increase requests: boto3 against moto (usage) and the Service Quotas double."""
from __future__ import annotations

import boto3
import pytest

from wizard.aws import quotas as q
from wizard.aws.plan import plan_for

REGION = "eu-west-1"


@pytest.fixture
def session(aws):
    return boto3.Session(region_name=REGION)


def by_key(checks):
    return {c.need.key: c for c in checks}


def test_a_new_account_is_one_vcpu_short_and_fine_otherwise(session):
    reported = []
    checks = by_key(q.check_all(session, plan_for("acme", REGION), on_result=reported.append))
    assert len(reported) == len(checks) == 7
    vcpu = checks["vcpu"]
    assert (vcpu.limit, vcpu.usage, vcpu.need.needed, vcpu.short_by) == (5, 0, 6, 1)
    assert not vcpu.ok and vcpu.desired == 6
    assert all(c.ok for k, c in checks.items() if k != "vcpu")
    assert checks["vpc"].usage == 1  # moto's default VPC counts, as AWS's does


def test_usage_counts_what_the_account_already_runs(session):
    ec2 = session.client("ec2")
    ec2.create_vpc(CidrBlock="10.9.0.0/16")
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="m5.xlarge")
    ec2.allocate_address(Domain="vpc")
    checks = by_key(q.check_all(session, plan_for("acme", REGION)))
    assert checks["vpc"].usage == 2
    assert checks["vcpu"].usage == 8 and checks["vcpu"].short_by == 9
    assert checks["eip"].usage == 1


def test_an_increase_on_an_account_that_already_uses_the_quota_asks_for_usage_plus_need(session, aws):
    """Asking for the need alone (6) would be approved and still leave the account short: the
    request is for what runs already plus what the cluster needs, and then the check passes."""
    session.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="m5.xlarge")
    check = by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"]
    assert (check.limit, check.usage, check.need.needed) == (5, 8, 6) and check.desired == 14
    aws.quotas.approve_after(0.0)
    request = q.request_increase(session, check)
    assert request.desired == 14
    assert q.request_status(session, "vcpu", request.request_id).approved
    after = by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"]
    assert after.ok and after.limit == 14


def test_requested_increase_is_followed_until_approved(session, aws):
    aws.quotas.approve_after(0.3)
    check = by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"]
    request = q.request_increase(session, check)
    assert request.status == "PENDING" and request.desired == 6 and not request.done
    import time

    time.sleep(0.4)
    final = q.request_status(session, "vcpu", request.request_id)
    assert final.approved and final.done
    assert by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"].ok


def test_a_denied_request_is_reported_as_denied(session, aws):
    aws.quotas.deny_next("ec2", "L-1216C47A", reason="account too new")
    check = by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"]
    request = q.request_increase(session, check)
    final = q.request_status(session, "vcpu", request.request_id)
    assert final.status == "DENIED" and final.done and not final.approved
    assert not by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"].ok


def test_an_open_request_is_tracked_instead_of_duplicated(session, aws):
    aws.quotas.approve_after(30)
    check = by_key(q.check_all(session, plan_for("acme", REGION)))["vcpu"]
    first = q.request_increase(session, check)
    second = q.request_increase(session, check)  # e.g. after a relaunch
    assert second.request_id == first.request_id
    assert aws.quotas.requests.count("RequestServiceQuotaIncrease") == 2


@pytest.mark.parametrize("code,title", [("TooManyRequestsException", "AWS is throttling requests"),
                                        ("AccessDeniedException", "AWS denied access")])
def test_a_failing_quota_read_marks_that_check_only(session, aws, code, title):
    aws.quotas.inject("GetServiceQuota", code=code, message="from the test", times=None)
    checks = q.check_all(session, plan_for("acme", REGION))
    assert {c.error.title for c in checks} == {title}
    assert all(c.error.next_step for c in checks)


def test_console_links_follow_the_partition():
    need = q.needs(plan_for("acme", "us-gov-west-1"))[0]
    assert q.console_url(need, "us-gov-west-1", "aws-us-gov") == (
        "https://console.amazonaws-us-gov.com/servicequotas/home/services/ec2/quotas/L-1216C47A?region=us-gov-west-1")
