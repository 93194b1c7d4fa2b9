"""QuotasDouble driven by real boto3 service-quotas clients over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from wizard.sandbox.quotas_double import QuotasDouble

ACCOUNT = "123456789012"
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})
VCPU = ("ec2", "L-1216C47A")

# Written out here rather than imported, so a wrong catalogue entry fails a test.
EXPECTED = [
    ("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5.0),
    ("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5.0),
    ("vpc", "L-F678F1CE", "VPCs per Region", 5.0),
    ("vpc", "L-A4707A72", "Internet gateways per Region", 5.0),
    ("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5.0),
    ("elasticloadbalancing", "L-69A177A2", "Network Load Balancers per Region", 50.0),
    ("eks", "L-1194D53C", "Clusters", 100.0),
    ("eks", "L-6D54EA21", "Managed node groups per cluster", 30.0),
]


@pytest.fixture(scope="module")
def server():
    with QuotasDouble() as double:
        yield double


@pytest.fixture
def double(server):
    server.clear()
    yield server
    server.clear()


_clients: dict[tuple[str, str], object] = {}


@pytest.fixture
def make_client(server):
    def build(region: str = "eu-west-1"):
        key = (server.url, region)
        if key not in _clients:  # building a client loads the service model; once per region is plenty
            _clients[key] = boto3.session.Session().client(
                "service-quotas", region_name=region, endpoint_url=server.url, config=ONE_ATTEMPT,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return _clients[key]
    return build


@pytest.fixture
def sq(make_client):
    return make_client()


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.mark.parametrize(("service", "code", "name", "value"), EXPECTED, ids=[e[1] for e in EXPECTED])
def test_get_service_quota_returns_catalogue_entry(double, sq, service, code, name, value):
    quota = sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
    assert (quota["QuotaName"], quota["Value"], quota["Unit"]) == (name, value, "None")
    assert quota["Adjustable"] is True and quota["GlobalQuota"] is False
    assert quota["QuotaArn"] == f"arn:aws:servicequotas:eu-west-1:{ACCOUNT}:{service}/{code}"
    assert (quota["ServiceCode"], quota["QuotaCode"]) == (service, code)


def test_vcpu_quota_carries_its_unit_in_the_usage_metric(double, sq):
    quota = sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    assert quota["UsageMetric"]["MetricDimensions"]["Resource"] == "vCPU"
    assert quota["ServiceName"] == "Amazon Elastic Compute Cloud (Amazon EC2)"


def test_list_service_quotas_paginates(double, sq):
    pages = list(sq.get_paginator("list_service_quotas").paginate(
        ServiceCode="vpc", PaginationConfig={"PageSize": 2}))
    assert [len(p["Quotas"]) for p in pages] == [2, 1]
    assert "NextToken" in pages[0] and "NextToken" not in pages[1]
    assert [q["QuotaCode"] for p in pages for q in p["Quotas"]] == ["L-F678F1CE", "L-A4707A72", "L-FE5A380F"]
    assert double.requests == ["ListServiceQuotas", "ListServiceQuotas"]


def test_list_service_quotas_rejects_bad_token_and_unknown_service(double, sq):
    with pytest.raises(ClientError) as excinfo:
        sq.list_service_quotas(ServiceCode="vpc", NextToken="bm90LWEtbnVtYmVy")
    assert _code(excinfo) == "InvalidPaginationTokenException"
    with pytest.raises(ClientError) as excinfo:
        sq.list_service_quotas(ServiceCode="nosuchservice")
    assert _code(excinfo) == "NoSuchResourceException"


def test_aws_default_quota_ignores_applied_value(double, sq):
    double.set_quota("eu-west-1", *VCPU, 256)
    assert sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 256.0
    default = sq.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
    assert default["Value"] == 5.0
    assert default["QuotaArn"] == "arn:aws:servicequotas:eu-west-1::ec2/L-1216C47A"
    listed = sq.get_paginator("list_aws_default_service_quotas").paginate(ServiceCode="eks").build_full_result()
    assert {q["QuotaCode"]: q["Value"] for q in listed["Quotas"]} == {"L-1194D53C": 100.0, "L-6D54EA21": 30.0}


def test_fresh_account_vcpus_are_configurable():
    with QuotasDouble(vcpus=32, account_id="111122223333") as other:
        client = boto3.session.Session().client(
            "service-quotas", region_name="us-east-2", endpoint_url=other.url, config=ONE_ATTEMPT,
            aws_access_key_id="testing", aws_secret_access_key="testing")
        quota = client.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
        assert quota["Value"] == 32.0 and ":111122223333:" in quota["QuotaArn"]
        assert client.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 5.0


def test_increase_goes_pending_then_approved_and_applies(double, sq):
    double.approve_after(0.3)
    before = datetime.now(timezone.utc)
    asked = sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=32)
    request = asked["RequestedQuota"]
    assert request["Status"] == "PENDING" and request["DesiredValue"] == 32.0
    assert request["Id"] and request["CaseId"] and request["QuotaName"].startswith("Running On-Demand")
    assert abs(request["Created"] - before) < timedelta(seconds=5)
    assert sq.get_requested_service_quota_change(RequestId=request["Id"])["RequestedQuota"]["Status"] == "PENDING"
    assert sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 5.0
    time.sleep(0.4)
    assert sq.get_requested_service_quota_change(RequestId=request["Id"])["RequestedQuota"]["Status"] == "APPROVED"
    assert sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 32.0


def test_case_opens_halfway_through_the_delay(double, sq):
    double.approve_after(1.0)
    request_id = sq.request_service_quota_increase(
        ServiceCode="eks", QuotaCode="L-1194D53C", DesiredValue=150)["RequestedQuota"]["Id"]
    time.sleep(0.6)
    assert sq.get_requested_service_quota_change(RequestId=request_id)["RequestedQuota"]["Status"] == "CASE_OPENED"
    time.sleep(0.5)
    assert sq.get_requested_service_quota_change(RequestId=request_id)["RequestedQuota"]["Status"] == "APPROVED"


def test_default_policy_approves_at_the_next_read(double, sq):
    request = sq.request_service_quota_increase(
        ServiceCode="vpc", QuotaCode="L-F678F1CE", DesiredValue=10)["RequestedQuota"]
    assert request["Status"] == "PENDING"
    assert sq.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"] == 10.0
    assert sq.get_requested_service_quota_change(RequestId=request["Id"])["RequestedQuota"]["Status"] == "APPROVED"


def test_deny_next_denies_once_and_keeps_the_value(double, sq):
    double.deny_next("ec2", "L-0263D0A3", reason="use fewer addresses")
    denied = sq.request_service_quota_increase(
        ServiceCode="ec2", QuotaCode="L-0263D0A3", DesiredValue=20)["RequestedQuota"]
    assert denied["Status"] == "PENDING"
    assert sq.get_requested_service_quota_change(RequestId=denied["Id"])["RequestedQuota"]["Status"] == "DENIED"
    assert sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")["Quota"]["Value"] == 5.0
    assert double.reason_for(denied["Id"]) == "use fewer addresses"
    again = sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-0263D0A3", DesiredValue=20)
    assert sq.get_requested_service_quota_change(
        RequestId=again["RequestedQuota"]["Id"])["RequestedQuota"]["Status"] == "APPROVED"


def test_second_pending_request_already_exists(double, sq):
    double.approve_after(30)
    sq.request_service_quota_increase(ServiceCode="eks", QuotaCode="L-6D54EA21", DesiredValue=40)
    with pytest.raises(ClientError) as excinfo:
        sq.request_service_quota_increase(ServiceCode="eks", QuotaCode="L-6D54EA21", DesiredValue=50)
    assert _code(excinfo) == "ResourceAlreadyExistsException"
    # Another quota is unaffected.
    sq.request_service_quota_increase(ServiceCode="eks", QuotaCode="L-1194D53C", DesiredValue=200)


@pytest.mark.parametrize("desired", [5, 4, 0])
def test_desired_not_above_current_is_illegal(double, sq, desired):
    with pytest.raises(ClientError) as excinfo:
        sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=desired)
    assert _code(excinfo) == "IllegalArgumentException"
    assert sq.list_requested_service_quota_change_history()["RequestedQuotas"] == []


def test_unknown_quota_and_request_are_no_such_resource(double, sq):
    for call in (lambda: sq.get_service_quota(ServiceCode="ec2", QuotaCode="L-DEADBEEF"),
                 lambda: sq.get_aws_default_service_quota(ServiceCode="nosuch", QuotaCode="L-1216C47A"),
                 lambda: sq.request_service_quota_increase(ServiceCode="ec2", QuotaCode="L-DEADBEEF",
                                                           DesiredValue=9),
                 lambda: sq.get_requested_service_quota_change(RequestId="0123456789abcdef")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _code(excinfo) == "NoSuchResourceException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert excinfo.value.response["Error"]["Message"]


def test_regions_are_independent(double, make_client):
    ireland, virginia = make_client("eu-west-1"), make_client("us-east-1")
    double.set_quota("eu-west-1", "vpc", "L-FE5A380F", 9)
    request = ireland.request_service_quota_increase(
        ServiceCode="ec2", QuotaCode="L-1216C47A", DesiredValue=64)["RequestedQuota"]
    assert ireland.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 64.0
    assert virginia.get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]["Value"] == 5.0
    assert virginia.get_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")["Quota"]["Value"] == 5.0
    assert ireland.get_service_quota(ServiceCode="vpc", QuotaCode="L-FE5A380F")["Quota"]["Value"] == 9.0
    assert virginia.list_requested_service_quota_change_history()["RequestedQuotas"] == []
    with pytest.raises(ClientError) as excinfo:
        virginia.get_requested_service_quota_change(RequestId=request["Id"])
    assert _code(excinfo) == "NoSuchResourceException"
    assert ":us-east-1:" in virginia.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")["Quota"]["QuotaArn"]


def test_injected_throttle_surfaces_once(double, sq):
    double.inject("GetServiceQuota", code="TooManyRequestsException", message="Rate exceeded")
    with pytest.raises(ClientError) as excinfo:
        sq.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")
    assert _code(excinfo) == "TooManyRequestsException"
    assert excinfo.value.response["Error"]["Message"] == "Rate exceeded"
    assert sq.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")["Quota"]["Value"] == 100.0


def test_injected_fault_for_every_operation_until_cleared(double, sq):
    double.inject("*", code="AccessDeniedException", message="no", times=None)
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            sq.list_service_quotas(ServiceCode="eks")
        assert _code(excinfo) == "AccessDeniedException"
    double.clear()
    assert sq.list_service_quotas(ServiceCode="eks")["Quotas"]


def test_latency_delays_only_that_operation(double, sq):
    double.latency("GetAWSDefaultServiceQuota", 0.3)
    started = time.monotonic()
    sq.get_aws_default_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    sq.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")
    assert time.monotonic() - started < 0.3


def test_history_filters_by_status_and_quota(double, sq):
    double.deny_next("vpc", "L-A4707A72")
    sq.request_service_quota_increase(ServiceCode="vpc", QuotaCode="L-A4707A72", DesiredValue=8)
    sq.request_service_quota_increase(ServiceCode="vpc", QuotaCode="L-F678F1CE", DesiredValue=8)
    sq.request_service_quota_increase(ServiceCode="eks", QuotaCode="L-1194D53C", DesiredValue=120)
    everything = sq.list_requested_service_quota_change_history()["RequestedQuotas"]
    assert [r["Status"] for r in everything] == ["DENIED", "APPROVED", "APPROVED"]
    approved_vpc = sq.list_requested_service_quota_change_history(ServiceCode="vpc", Status="APPROVED")
    assert [r["QuotaCode"] for r in approved_vpc["RequestedQuotas"]] == ["L-F678F1CE"]
    denied = sq.list_requested_service_quota_change_history_by_quota(
        ServiceCode="vpc", QuotaCode="L-A4707A72", Status="DENIED")["RequestedQuotas"]
    assert [(r["QuotaCode"], r["DesiredValue"]) for r in denied] == [("L-A4707A72", 8.0)]
    assert sq.list_requested_service_quota_change_history_by_quota(
        ServiceCode="vpc", QuotaCode="L-A4707A72", Status="APPROVED")["RequestedQuotas"] == []
    pages = list(sq.get_paginator("list_requested_service_quota_change_history").paginate(
        PaginationConfig={"PageSize": 2}))
    assert [len(p["RequestedQuotas"]) for p in pages] == [2, 1]


def test_clear_restores_defaults(double, sq):
    double.set_quota("eu-west-1", "eks", "L-1194D53C", 500)
    double.approve_after(60)
    double.latency("*", 5)
    double.clear()
    assert sq.get_service_quota(ServiceCode="eks", QuotaCode="L-1194D53C")["Quota"]["Value"] == 100.0
    request = sq.request_service_quota_increase(ServiceCode="eks", QuotaCode="L-1194D53C", DesiredValue=101)
    assert sq.get_requested_service_quota_change(
        RequestId=request["RequestedQuota"]["Id"])["RequestedQuota"]["Status"] == "APPROVED"
    assert double.requests == ["GetServiceQuota", "RequestServiceQuotaIncrease", "GetRequestedServiceQuotaChange"]


def test_per_service_endpoint_env_routes_boto3_to_the_double(double, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", double.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # everything else: nowhere
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    client = boto3.session.Session().client(
        "service-quotas", region_name="eu-west-1", config=ONE_ATTEMPT,
        aws_access_key_id="testing", aws_secret_access_key="testing")
    assert client.meta.endpoint_url == double.url
    assert client.get_service_quota(ServiceCode="eks", QuotaCode="L-6D54EA21")["Quota"]["Value"] == 30.0
    assert double.requests == ["GetServiceQuota"]


def _raw(url: str, target: str, body: bytes = b"{}") -> tuple[int, dict, dict]:
    req = urllib.request.Request(url + "/", data=body, method="POST",
                                 headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_unknown_operation_and_bad_body_are_json_errors_and_quiet(double, capfd):
    status, headers, body = _raw(double.url, "ServiceQuotasV20190624.DeleteEverything")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert _raw(double.url, "SomethingElse.GetServiceQuota")[2]["__type"] == "UnknownOperationException"
    status, _, body = _raw(double.url, "ServiceQuotasV20190624.GetServiceQuota", b"not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, _, body = _raw(double.url, "ServiceQuotasV20190624.ListServiceQuotas",
                           json.dumps({"ServiceCode": "vpc", "MaxResults": 0}).encode())
    assert (status, body["__type"]) == (400, "IllegalArgumentException")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
