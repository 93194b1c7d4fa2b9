"""vCPU quotas (wizard/azure/quotas.py) word for word: what each failure says it was doing, the
request as sent on the wire, a grant in the PUT's own answer, request IDs from either Location,
status fields Azure may leave out, reads all in flight at once, and the portal link's parameters."""
from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from wizard.azure import quotas
from wizard.errors import CloudError

from .test_azure_quotas import PLAN, REGION, check_now, client, register_quota

FAMILY = "standardBasv2Family"
CORES_LABEL, FAMILY_LABEL = "Total Regional vCPUs", "Standard Basv2 Family vCPUs"
DENIED = "The client does not have authorization to perform action"


@pytest.mark.parametrize(("route", "doing"), [
    ("quota.get", f"read the {CORES_LABEL} quota in {REGION}"),
    ("usages.get", f"read the {CORES_LABEL} usage in {REGION}"),
])
def test_a_failed_read_says_which_quota_in_which_region(az, route, doing):
    register_quota(az)
    az.arm.inject(route, status=403, code="AuthorizationFailed", message=DENIED, times=None)
    (check,) = quotas.check_all(client(az), az.subscription_id, REGION, quotas.needs(PLAN)[:1])
    assert check.error.what.startswith(f"Your identity may not {doing}. Azure said: {DENIED}")


def test_a_failed_request_and_status_read_say_what_they_were_doing(az):
    register_quota(az)
    quota_client = client(az)
    family = check_now(quota_client, az)[FAMILY]
    az.arm.inject("quota.put", status=403, code="AuthorizationFailed", message=DENIED)
    with pytest.raises(CloudError) as caught:
        quotas.request_increase(quota_client, az.subscription_id, REGION, family)
    assert caught.value.what.startswith(f"Your identity may not request 40 {FAMILY_LABEL} in {REGION}.")
    az.arm.inject("quota.status", status=403, code="AuthorizationFailed", message=DENIED)
    with pytest.raises(CloudError) as caught:
        quotas.request_status(quota_client, az.subscription_id, REGION, FAMILY, "0" * 8)
    assert caught.value.what.startswith(f"Your identity may not read the {FAMILY_LABEL} increase request in {REGION}.")
    az.arm.inject("quota.status", status=403, code="AuthorizationFailed", message=DENIED)
    with pytest.raises(CloudError) as caught:  # a name Microsoft.Compute has and we have no label for
        quotas.request_status(quota_client, az.subscription_id, REGION, "standardDSv5Family", "0" * 8)
    assert "may not read the standardDSv5Family increase request" in caught.value.what


def test_the_request_on_the_wire_names_the_quota_and_the_limit_and_nothing_polls(az, monkeypatch):
    """The REST spec's example body; polling=False, so no SDK poller thread follows it for hours."""
    register_quota(az)
    quota_client = client(az)
    family = check_now(quota_client, az)[FAMILY]
    sent, put = [], quota_client.quota.begin_create_or_update

    def spy(name, scope, body, **kwargs):
        sent.append((name, scope, body.as_dict(), kwargs.get("polling", "unset")))
        return put(name, scope, body, **kwargs)
    monkeypatch.setattr(quota_client.quota, "begin_create_or_update", spy)
    quotas.request_increase(quota_client, az.subscription_id, REGION, family)
    assert sent == [(FAMILY, f"subscriptions/{az.subscription_id}/providers/Microsoft.Compute/locations/{REGION}",
                     {"properties": {"limit": {"limitObjectType": "LimitValue", "value": 40},
                                     "name": {"value": FAMILY}}}, False)]


def test_a_request_granted_in_the_puts_own_answer_is_done_with_its_id(az):
    register_quota(az)
    az.set_quota_approval(0, at_once=True)
    quota_client = client(az)
    family = check_now(quota_client, az)[FAMILY]
    request = quotas.request_increase(quota_client, az.subscription_id, REGION, family)
    assert (request.key, request.state, request.done, request.approved) == (FAMILY, "Succeeded", True, True)
    assert request.request_id in az.arm.quota_requests and len(request.request_id) == 36
    status = quotas.request_status(quota_client, az.subscription_id, REGION, FAMILY, request.request_id)
    assert (status.key, status.state, status.message) == (FAMILY, "Succeeded", "Request completed")


@pytest.mark.parametrize(("url", "request_id"), [
    ("https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/eastus/providers/"
     "Microsoft.Quota/operationsStatus/2B5C8515-37D8?api-version=2025-09-01", "2B5C8515-37D8"),
    ("https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/eastus/providers/"
     "Microsoft.Quota/quotaRequests/2B5C8515-37D8/", "2B5C8515-37D8"),
    ("https://management.azure.com/subscriptions/s/providers/Microsoft.Quota/quotas/cores", ""),
    ("", ""),
])
def test_the_request_id_is_the_last_segment_of_either_location_and_nothing_else(url, request_id):
    assert quotas._request_id(url) == request_id


def status_client(**properties):
    """A client whose status read answers with these properties (fields Azure may leave out)."""
    fields = {"provisioning_state": None, "message": None, "error": None, **properties}
    details = SimpleNamespace(properties=SimpleNamespace(**fields))
    return SimpleNamespace(quota_request_status=SimpleNamespace(get=lambda request_id, scope: details))


def test_a_status_without_a_state_is_still_in_progress_and_its_message_is_the_errors_first():
    pending = quotas.request_status(status_client(), "s", REGION, FAMILY, "r1")
    assert (pending.key, pending.request_id, pending.state, pending.message) == (FAMILY, "r1", "InProgress", "")
    plain = quotas.request_status(status_client(provisioning_state="Failed", message="outer"), "s", REGION, "cores", "r")
    assert (plain.state, plain.message) == ("Failed", "outer")
    both = quotas.request_status(status_client(provisioning_state="Failed", message="outer",
                                               error=SimpleNamespace(message="inner")), "s", REGION, "cores", "r")
    assert both.message == "inner"
    empty_error = quotas.request_status(status_client(provisioning_state="Failed", message="outer",
                                                      error=SimpleNamespace(message="")), "s", REGION, "cores", "r")
    assert empty_error.message == "outer"


def reads_client(limit, usage, *, barrier=None):
    """A client whose quota and usage reads answer these objects, each waiting at ``barrier``."""
    def answer(value):
        def get(name, scope):
            if barrier is not None:
                barrier.wait()
            return value
        return get
    return SimpleNamespace(quota=SimpleNamespace(get=answer(SimpleNamespace(properties=SimpleNamespace(limit=limit)))),
                           usages=SimpleNamespace(get=answer(SimpleNamespace(properties=SimpleNamespace(usages=usage)))))


def test_all_four_reads_are_in_flight_at_once():
    """Each read waits until all four have started: reads made one check after another never get there."""
    barrier = threading.Barrier(4, timeout=5)
    value = SimpleNamespace(value=3)
    checks = quotas.check_all(reads_client(value, value, barrier=barrier), "s", REGION, quotas.needs(PLAN))
    assert [(c.limit, c.usage, c.error) for c in checks] == [(3, 3, None), (3, 3, None)]
    assert not barrier.broken


def test_a_limit_or_usage_azure_leaves_out_counts_as_zero():
    (check,) = quotas.check_all(reads_client(None, None), "s", REGION, quotas.needs(PLAN)[:1])
    assert (check.limit, check.usage, check.short_by, check.error) == (0, 0, 20, None)
    (check,) = quotas.check_all(reads_client(SimpleNamespace(), SimpleNamespace()), "s", REGION, quotas.needs(PLAN)[:1])
    assert (check.limit, check.usage) == (0, 0)


def test_a_family_limited_to_zero_is_short_by_the_whole_need(az):
    """New subscriptions often have 0 of a family: that is 0, not a missing value."""
    register_quota(az)
    az.set_vcpu_quota(REGION, FAMILY, 0)
    family = check_now(client(az), az)[FAMILY]
    assert (family.limit, family.usage, family.short_by, family.desired) == (0, 0, 20, 40)


def test_azure_core_retries_a_failed_read_three_times_not_ten(az):
    """A throttled or failing check should say so within seconds, not after azure-core's ten tries."""
    register_quota(az)
    az.arm.inject("quota.get", status=503, code="ServiceUnavailable", message="try later", times=None)
    (check,) = quotas.check_all(client(az, retry_backoff_factor=0), az.subscription_id, REGION,
                                quotas.needs(PLAN)[:1])
    assert check.error is not None
    assert az.arm.requests.count("quota.get") == 4


def test_the_portal_link_carries_the_exact_request_compactly():
    url = quotas.portal_url("sub-1", "westeurope", "cores", limit=48)
    encoded = url.rsplit("/", 1)[-1]
    assert " " not in unquote(encoded) and "%20" not in encoded
    assert json.loads(unquote(encoded)) == {
        "subscriptionId": "sub-1", "command": "openQuotaApprovalBlade",
        "quotas": [{"location": "westeurope", "providerId": "Microsoft.Compute", "resourceName": "cores",
                    "quotaRequest": {"properties": {"limit": 48, "unit": "Count", "name": {"value": "cores"}}}}]}
