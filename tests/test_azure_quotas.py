"""vCPU quotas (wizard/azure/quotas.py) through the real azure-mgmt-quota client, against the ARM
double's Microsoft.Quota over HTTPS, reached through the SDK's own endpoint settings."""
from __future__ import annotations

import json
import time
from urllib.parse import unquote

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.quota.models import CurrentQuotaLimitBase, LimitObject, QuotaProperties, ResourceName
from azure.mgmt.resource.resources import ResourceManagementClient

from wizard.azure import quotas
from wizard.azure.cloud import AzureCloud
from wizard.azure.credentials import ServicePrincipal, mgmt_kwargs, secret_credential
from wizard.azure.plan import plan_for
from wizard.errors import CloudError


REGION = "eastus"
PLAN = plan_for("demo", REGION)  # Standard_B4as_v2, up to 4 nodes + 1 surge: 20 vCPUs


def cloud_of(az) -> AzureCloud:
    return AzureCloud(authority=az.authority_url, arm=az.arm_url, graph=az.graph_url, ca_path=az.ca_path)


def credential(az, sp=None):
    sp = sp or az.service_principal
    return secret_credential(cloud_of(az), ServicePrincipal(az.tenant_id, sp.client_id), sp.client_secret)


def client(az, sp=None, **settings):
    return quotas.client(cloud_of(az), credential(az, sp), az.subscription_id, **settings)


def register_quota(az) -> None:
    """As the wizard's provider step does: a new subscription has Microsoft.Quota NotRegistered."""
    rm = ResourceManagementClient(credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))
    state, deadline = rm.providers.register("Microsoft.Quota").registration_state, time.monotonic() + 5
    while state != "Registered" and time.monotonic() < deadline:
        time.sleep(0.1)
        state = rm.providers.get("Microsoft.Quota").registration_state
    assert state == "Registered"


def by_key(checks):
    return {c.need.key: c for c in checks}


def check_now(quota_client, az):
    return by_key(quotas.check_all(quota_client, az.subscription_id, REGION, quotas.needs(PLAN)))


def test_needs_are_the_regional_total_and_the_node_family():
    assert quotas.needs(PLAN) == [
        quotas.VcpuNeed("cores", "Total Regional vCPUs", 20),
        quotas.VcpuNeed("standardBasv2Family", "Standard Basv2 Family vCPUs", 20)]


def test_both_checks_are_read_at_once_with_their_limits_and_usages(az):
    register_quota(az)
    az.set_vcpu_quota(REGION, "cores", 100, usage=12)
    az.set_vcpu_quota(REGION, "standardBasv2Family", 24, usage=8)
    quota_client = client(az)
    quotas.check_all(quota_client, az.subscription_id, REGION, quotas.needs(PLAN))  # token in hand first
    for route in ("quota.get", "usages.get"):
        az.arm.latency(route, 0.6)
    az.arm.calls.clear()
    seen, started_at = [], time.monotonic()
    checks = quotas.check_all(quota_client, az.subscription_id, REGION, quotas.needs(PLAN), on_check=seen.append)
    elapsed = time.monotonic() - started_at
    assert elapsed < 1.8, f"four 0.6 s reads took {elapsed:.2f} s: not concurrent"
    assert sorted(az.arm.requests) == ["quota.get", "quota.get", "usages.get", "usages.get"]
    assert {c.query["api-version"] for c in az.arm.calls} == {"2025-09-01"}
    assert sorted(c.need.key for c in seen) == ["cores", "standardBasv2Family"]
    cores, family = by_key(checks)["cores"], by_key(checks)["standardBasv2Family"]
    assert (cores.limit, cores.usage, cores.short_by, cores.ok, cores.error) == (100, 12, 0, True, None)
    assert (family.limit, family.usage, family.short_by, family.ok) == (24, 8, 4, False)
    assert family.desired == 40 and quotas.VcpuCheck(family.need, 10, 35).desired == 55


def test_a_new_subscription_has_ten_of_each_and_clear_restores_that(az):
    register_quota(az)
    az.set_vcpu_quota(REGION, "standardBasv2Family", 64, usage=3)
    az.clear()
    register_quota(az)
    checks = check_now(client(az), az)
    assert [(c.limit, c.usage, c.short_by) for c in checks.values()] == [(10, 0, 10), (10, 0, 10)]
    with pytest.raises(KeyError):
        az.set_vcpu_quota(REGION, "standardBasv9Family", 10)


def test_an_increase_is_approved_after_the_delay_and_shows_in_a_recheck(az):
    register_quota(az)
    az.set_quota_approval(delay_seconds=0.6)
    quota_client = client(az)
    family = check_now(quota_client, az)["standardBasv2Family"]
    started_at = time.monotonic()
    request = quotas.request_increase(quota_client, az.subscription_id, REGION, family)
    assert time.monotonic() - started_at < 0.6  # returned before Azure decided
    assert (request.key, request.state, request.done, request.approved) == ("standardBasv2Family", "Accepted",
                                                                            False, False)
    assert len(request.request_id) == 36 and "quota.operation" not in az.arm.requests  # nobody polled
    pending = quotas.request_status(quota_client, az.subscription_id, REGION, request.key, request.request_id)
    assert (pending.state, pending.done, pending.message) == ("InProgress", False, "Request processing")
    time.sleep(0.7)
    done = quotas.request_status(quota_client, az.subscription_id, REGION, request.key, request.request_id)
    assert (done.state, done.done, done.approved) == ("Succeeded", True, True)
    again = check_now(quota_client, az)
    assert (again["standardBasv2Family"].limit, again["standardBasv2Family"].ok) == (40, True)
    assert again["cores"].limit == 10  # only the family was asked for


def test_an_increase_on_a_subscription_that_already_uses_the_quota_asks_for_usage_plus_need(az):
    """40 (the platform's recommendation) would be approved and leave a subscription running 30
    vCPUs of the family short: the request is for what runs already plus what the cluster needs."""
    register_quota(az)
    az.set_vcpu_quota(REGION, "standardBasv2Family", 32, usage=30)
    az.set_quota_approval(delay_seconds=0.0)
    quota_client = client(az)
    family = check_now(quota_client, az)["standardBasv2Family"]
    assert (family.limit, family.usage, family.need.needed, family.desired) == (32, 30, 20, 50)
    request = quotas.request_increase(quota_client, az.subscription_id, REGION, family)
    assert quotas.request_status(quota_client, az.subscription_id, REGION, request.key, request.request_id).approved
    again = check_now(quota_client, az)["standardBasv2Family"]
    assert (again.limit, again.ok) == (50, True)


def test_a_denied_increase_says_so_and_changes_nothing(az):
    register_quota(az)
    az.set_quota_approval(delay_seconds=0.2, deny=True)
    quota_client = client(az)
    cores = check_now(quota_client, az)["cores"]
    request = quotas.request_increase(quota_client, az.subscription_id, REGION, cores)
    time.sleep(0.3)
    denied = quotas.request_status(quota_client, az.subscription_id, REGION, "cores", request.request_id)
    assert (denied.state, denied.done, denied.approved) == ("Failed", True, False)
    assert denied.message.startswith("The quota increase request could not be approved")
    assert "Total Regional vCPUs" in denied.message
    assert check_now(quota_client, az)["cores"].limit == 10


def test_a_request_is_followed_from_a_fresh_client_as_after_a_relaunch(az):
    register_quota(az)
    az.set_quota_approval(delay_seconds=0.3)
    first = client(az)
    family = check_now(first, az)["standardBasv2Family"]
    request_id = quotas.request_increase(first, az.subscription_id, REGION, family).request_id
    del first
    time.sleep(0.4)
    relaunched = client(az)  # a new credential and client: only the saved request ID carries over
    status = quotas.request_status(relaunched, az.subscription_id, REGION, "standardBasv2Family", request_id)
    assert (status.request_id, status.state, status.approved) == (request_id, "Succeeded", True)
    with pytest.raises(CloudError) as caught:  # an ID from another region is not found there
        quotas.request_status(relaunched, az.subscription_id, "westus2", "standardBasv2Family", request_id)
    assert caught.value.code == "ResourceNotFound"


def test_an_unregistered_provider_is_a_clear_error_and_is_not_registered_behind_our_back(az):
    quota_client = client(az)
    checks = quotas.check_all(quota_client, az.subscription_id, REGION, quotas.needs(PLAN))
    for check in checks:
        assert check.error.code == "MissingSubscriptionRegistration"
        assert check.error.title == "Microsoft.Quota is not registered" and check.error.retryable
        assert "az provider register --namespace Microsoft.Quota" in check.error.next_step
    with pytest.raises(CloudError) as caught:
        quotas.request_increase(quota_client, az.subscription_id, REGION, checks[0])
    assert caught.value.code == "MissingSubscriptionRegistration"
    # The SDK's own pipeline would have POSTed .../register and slept 10 s; ours leaves it to the user.
    assert "providers.register" not in az.arm.requests
    assert az.arm.providers[az.subscription_id]["microsoft.quota"].state == "NotRegistered"


def test_throttling_on_one_read_fails_only_its_check(az):
    register_quota(az)
    az.arm.inject("quota.get", status=429, code="TooManyRequests", message="Too many requests.", retry_after=7)
    checks = quotas.check_all(client(az, retry_total=0), az.subscription_id, REGION, quotas.needs(PLAN))
    failed = [c for c in checks if c.error is not None]
    fine = [c for c in checks if c.error is None]
    assert len(failed) == 1 and len(fine) == 1
    assert failed[0].error.title == "Azure is throttling requests" and "Azure asks to wait 7 s" in failed[0].error.what
    assert failed[0].error.retryable and not failed[0].ok
    assert (fine[0].limit, fine[0].usage, fine[0].short_by) == (10, 0, 10)


def test_authorization_failed_on_one_read_fails_only_its_check(az):
    register_quota(az)
    az.arm.inject("usages.get", status=403, code="AuthorizationFailed",
                  message="The client does not have authorization to perform action 'Microsoft.Quota/usages/read'.")
    checks = quotas.check_all(client(az), az.subscription_id, REGION, quotas.needs(PLAN))
    failed = [c for c in checks if c.error is not None]
    fine = [c for c in checks if c.error is None]
    assert len(failed) == 1 and len(fine) == 1
    assert (failed[0].error.code, failed[0].error.title) == ("AuthorizationFailed", "Azure denied access")
    assert "Microsoft.Quota/usages/read" in failed[0].error.what
    assert (fine[0].limit, fine[0].usage) == (10, 0)


def test_a_reader_may_check_but_not_request(az):
    register_quota(az)
    reader = az.add_service_principal("quota-reader", arm_role="Reader")
    quota_client = client(az, reader)
    checks = quotas.check_all(quota_client, az.subscription_id, REGION, quotas.needs(PLAN))
    assert [c.error for c in checks] == [None, None]
    with pytest.raises(CloudError) as caught:
        quotas.request_increase(quota_client, az.subscription_id, REGION, checks[0])
    assert caught.value.code == "AuthorizationFailed" and "Microsoft.Quota/quotas/write" in caught.value.what


def test_an_unknown_region_is_refused_as_arm_does(az):
    register_quota(az)
    checks = quotas.check_all(client(az), az.subscription_id, "atlantis", quotas.needs(PLAN))
    assert {c.error.code for c in checks} == {"NoRegisteredProviderFound"}
    assert "'atlantis'" in checks[0].error.what and "eastus" in checks[0].error.what


def test_the_sdks_own_poller_follows_the_request_to_its_end(az):
    """The double answers the LRO as ARM does (202 + Location, then 202s, then the quota), so a
    caller that does block on the poller gets the new limit, or the denial as an error."""
    register_quota(az)
    az.set_quota_approval(delay_seconds=0.5)
    quota_client = client(az)
    scope = f"/subscriptions/{az.subscription_id}/providers/Microsoft.Compute/locations/{REGION}"  # leading "/" too

    def body(limit):
        return CurrentQuotaLimitBase(properties=QuotaProperties(limit=LimitObject(value=limit),
                                                                name=ResourceName(value="cores")))
    result = quota_client.quota.begin_create_or_update("cores", scope, body(48)).result()
    assert (result.properties.limit.value, result.properties.name.localized_value) == (48, "Total Regional vCPUs")
    assert az.arm.requests.count("quota.operation") >= 1
    az.set_quota_approval(delay_seconds=0.2, deny=True)
    with pytest.raises(HttpResponseError) as caught:
        quota_client.quota.begin_create_or_update("cores", scope, body(96)).result()
    assert caught.value.error.code == "ContactSupport" and "could not be approved" in caught.value.error.message
    assert quota_client.quota.get("cores", scope).properties.limit.value == 48


def test_the_portal_link_opens_usage_and_quotas_with_the_request_filled_in(monkeypatch):
    monkeypatch.delenv("AZURE_CLOUD", raising=False)
    url = quotas.portal_url("0b1f6471-1bf0-4dda-aec3-111122223333", "westeurope", "standardBasv2Family")
    prefix = "https://portal.azure.com/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/"
    assert url.startswith(prefix)
    parameters = json.loads(unquote(url[len(prefix):]))
    assert parameters["subscriptionId"] == "0b1f6471-1bf0-4dda-aec3-111122223333"
    (quota,) = parameters["quotas"]
    assert (quota["location"], quota["providerId"], quota["resourceName"]) == \
        ("westeurope", "Microsoft.Compute", "standardBasv2Family")
    assert quota["quotaRequest"]["properties"]["limit"] == 40
    monkeypatch.setenv("AZURE_CLOUD", "AzureUSGovernment")
    assert quotas.portal_url("s", "usgovvirginia", "cores").startswith("https://portal.azure.us/#blade/")
