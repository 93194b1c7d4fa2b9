"""vCPU quotas for the cluster: the region's total and the node size's family, read through
Microsoft.Quota (azure-mgmt-quota), and increase requests.

Every read runs at once in its own thread, so the screen waits about one round trip. A request is
made and left: Azure decides on its own time (usually minutes, sometimes a denial), so the wizard
keeps the request ID in its state and asks for its status later, after a relaunch too, instead of
holding a thread on the SDK's poller. Sync code: screens run it in thread workers.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ..errors import WizardError
from .cloud import AzureCloud
from .credentials import mgmt_kwargs
from .errors import azure_call
from .plan import AksPlan

RECOMMENDED = 40  # the platform's docs recommend 40 for both
# Microsoft.Compute's quota names with the labels the portal shows for them.
LABELS = {"cores": "Total Regional vCPUs", "standardBasv2Family": "Standard Basv2 Family vCPUs"}
# Microsoft.Quota's request states (QuotaRequestState) after which nothing changes any more.
FINAL_STATES = ("Succeeded", "Failed", "Invalid")
_PORTALS = {"AzureChinaCloud": "https://portal.azure.cn", "AzureUSGovernment": "https://portal.azure.us"}


@dataclass(frozen=True)
class VcpuNeed:
    key: str  # "cores" or a family such as "standardBasv2Family"
    label: str
    needed: int


@dataclass
class VcpuCheck:
    need: VcpuNeed
    limit: int = 0
    usage: int = 0
    error: WizardError | None = None

    @property
    def short_by(self) -> int:
        return max(0, self.usage + self.need.needed - self.limit)

    @property
    def ok(self) -> bool:
        return self.error is None and self.short_by == 0

    @property
    def desired(self) -> int:
        """What to ask for: the docs' recommendation, or more if this cluster needs more."""
        return max(RECOMMENDED, self.usage + self.need.needed)


@dataclass
class IncreaseRequest:
    key: str
    request_id: str
    state: str  # Accepted, InProgress, Succeeded, Failed, Invalid
    message: str = ""

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def approved(self) -> bool:
        return self.state == "Succeeded"


def needs(plan: AksPlan) -> list[VcpuNeed]:
    """Every node counts against both the regional total and its VM family."""
    family = plan.node_family
    return [VcpuNeed("cores", LABELS["cores"], plan.vcpus_needed),
            VcpuNeed(family, LABELS.get(family, family), plan.vcpus_needed)]


def client(cloud: AzureCloud, credential, subscription_id: str, **settings):
    """A QuotaMgmtClient for this cloud; ``settings`` go to azure-core (tests pass retry_total=0).

    Built with the SDK's own pipeline minus ARMAutoResourceProviderRegistrationPolicy: on a 409
    MissingSubscriptionRegistration that policy registers Microsoft.Quota by itself, then sleeps
    10 s between polls with no timeout and no way to cancel, inside our worker thread. The wizard
    registers providers in its own step, with progress, and says plainly when one is missing.
    """
    from azure.core.pipeline import policies as p
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy
    from azure.mgmt.quota import QuotaMgmtClient, __version__

    # mgmt_kwargs brings three retries, not azure-core's ten: a throttled check says so within seconds.
    kwargs = {"sdk_moniker": f"mgmt-quota/{__version__}", **mgmt_kwargs(cloud), **settings}
    pipeline = [p.RequestIdPolicy(**kwargs), p.HeadersPolicy(**kwargs), p.UserAgentPolicy(**kwargs),
                p.ProxyPolicy(**kwargs), p.ContentDecodePolicy(**kwargs), p.RedirectPolicy(**kwargs),
                p.RetryPolicy(**kwargs),
                ARMChallengeAuthenticationPolicy(credential, *kwargs["credential_scopes"], **kwargs),
                p.CustomHookPolicy(**kwargs), p.NetworkTraceLoggingPolicy(**kwargs),
                p.DistributedTracingPolicy(**kwargs), p.SensitiveHeaderCleanupPolicy(**kwargs),
                ARMHttpLoggingPolicy(**kwargs)]
    return QuotaMgmtClient(credential, subscription_id, policies=pipeline, **kwargs)


def _scope(subscription_id: str, region: str) -> str:
    # No leading slash: the SDK writes "/{scope}/providers/Microsoft.Quota/...".
    return f"subscriptions/{subscription_id}/providers/Microsoft.Compute/locations/{region}"


def _limit(client, scope: str, need: VcpuNeed, region: str) -> int:
    with azure_call(f"read the {need.label} quota in {region}"):
        limit = client.quota.get(need.key, scope).properties.limit
    return int(getattr(limit, "value", 0) or 0)


def _usage(client, scope: str, need: VcpuNeed, region: str) -> int:
    with azure_call(f"read the {need.label} usage in {region}"):
        usages = client.usages.get(need.key, scope).properties.usages
    return int(getattr(usages, "value", 0) or 0)


def check_all(client, subscription_id: str, region: str, needs: list[VcpuNeed],
              on_check: Callable[[VcpuCheck], None] | None = None) -> list[VcpuCheck]:
    """Limits and usages of every need, all read at once; each check is reported through
    ``on_check`` as soon as both its reads are in. A failed read fails only its own check."""
    scope = _scope(subscription_id, region)
    with ThreadPoolExecutor(max_workers=2 * len(needs) or 1) as reads, \
            ThreadPoolExecutor(max_workers=len(needs) or 1) as checks:
        def one(need: VcpuNeed) -> VcpuCheck:
            limit = reads.submit(_limit, client, scope, need, region)
            usage = reads.submit(_usage, client, scope, need, region)
            try:
                check = VcpuCheck(need, limit.result(), usage.result())
            except WizardError as err:
                check = VcpuCheck(need, error=err)
            if on_check is not None:
                on_check(check)
            return check

        return list(checks.map(one, needs))


def request_increase(client, subscription_id: str, region: str, check: VcpuCheck) -> IncreaseRequest:
    """Ask Azure to raise the quota to ``check.desired``; returns as soon as Azure has the request.

    polling=False: Azure answers 202 with a Location to follow and may take minutes or hours to
    decide; the SDK's poller would hold this thread (and die with the process) for that long. The
    request ID, the Location's last segment, is what request_status() takes, in this process or
    the next. The 202 has no body, so the response is read through azure-core's raw_response_hook
    (the poller's result() would try to parse the empty body). A request Azure grants on the spot
    answers 200, its Location naming .../quotaRequests/{id} and its body the quota (the REST spec's
    example, putComputeOneSkuQuotaRequest.json)."""
    from azure.mgmt.quota.models import CurrentQuotaLimitBase, LimitObject, QuotaProperties, ResourceName

    seen = []
    body = CurrentQuotaLimitBase(properties=QuotaProperties(
        limit=LimitObject(value=check.desired), name=ResourceName(value=check.need.key)))
    with azure_call(f"request {check.desired} {check.need.label} in {region}"):
        client.quota.begin_create_or_update(check.need.key, _scope(subscription_id, region), body,
                                            polling=False, raw_response_hook=seen.append)
    response = seen[-1].http_response
    request_id = _request_id(response.headers.get("Location") or "")
    state = "Succeeded" if response.status_code == 200 else "Accepted"
    return IncreaseRequest(check.need.key, request_id, state)


def _request_id(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    if "/operationsstatus/" not in path.lower() and "/quotarequests/" not in path.lower():
        return ""
    return path.rsplit("/", 1)[-1]


def request_status(client, subscription_id: str, region: str, key: str, request_id: str) -> IncreaseRequest:
    label = LABELS.get(key, key)
    with azure_call(f"read the {label} increase request in {region}"):
        details = client.quota_request_status.get(request_id, _scope(subscription_id, region))
    props = details.properties
    state = getattr(props.provisioning_state, "value", props.provisioning_state) or "InProgress"
    message = (props.error.message if props.error is not None and props.error.message else props.message) or ""
    return IncreaseRequest(key, request_id, str(state), message)


def portal_url(subscription_id: str, region: str, key: str, *, limit: int = RECOMMENDED) -> str:
    """The subscription's Usage + quotas page (Compute, this region) with a request for ``limit``
    of ``key`` filled in: the link Azure itself puts in its "exceeding approved quota" errors."""
    host = _PORTALS.get(os.environ.get("AZURE_CLOUD", ""), "https://portal.azure.com")
    parameters = {"subscriptionId": subscription_id, "command": "openQuotaApprovalBlade",
                  "quotas": [{"location": region, "providerId": "Microsoft.Compute", "resourceName": key,
                              "quotaRequest": {"properties": {"limit": limit, "unit": "Count",
                                                              "name": {"value": key}}}}]}
    text = quote(json.dumps(parameters, separators=(",", ":")), safe="")
    return f"{host}/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/{text}"
