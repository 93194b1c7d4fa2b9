"""Microsoft.Quota in the ARM double: a subscription's vCPU limits and usages per region, and
increase requests, as azure-mgmt-quota 3.0.1 (api-version 2025-09-01) calls them. The SDK formats
``/{scope}/providers/Microsoft.Quota/...`` with a scope written without a leading slash
(``subscriptions/{sub}/providers/Microsoft.Compute/locations/{region}``, as in Azure's docs); with
one, the path starts with "//" and the server folds it, as ARM does.

- ``GET .../quotas/{name}`` and ``GET .../usages/{name}``: the limit and the usage;
- ``PUT .../quotas/{name}``: 202 with ``Location: .../operationsStatus/{id}`` and ``Retry-After``
  (the REST spec's example; the SDK accepts only 200 or 202 here); or, when ``quota_at_once`` is
  set and the request is approved on the spot, 200 with ``location: .../quotaRequests/{id}`` and the
  quota as body (the same example's 200: azure-rest-api-specs, specification/quota/resource-manager/
  Microsoft.Quota/stable/2025-09-01/examples/putComputeOneSkuQuotaRequest.json). The operationsStatus
  URL answers 202 while the request is pending, then 200 with the quota, or the error once denied: ARM's rule for Location
  polling, which is what azure-core's LocationPolling reads (status codes, not bodies);
- ``GET .../quotaRequests/{id}``: always 200, the request's provisioningState (InProgress,
  Succeeded, Failed) and message, as the spec's examples show.

A request is decided ``quota_approval_delay`` seconds after it was made, lazily on the next call
(no timers, like provider registration), approved unless ``quota_deny`` was set when it was made;
an approved limit shows in ``quotas/{name}`` at once. Each call needs the caller's RBAC action
first, then the subscription registered for Microsoft.Quota (409 MissingSubscriptionRegistration,
ARM's code and message, which azure-mgmt-core's auto-registration policy also keys on).
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .arm_catalogue import LOCATIONS
from .directory import iso, now_utc
from ..https.service import Reply, Request, ServiceError

__all__ = ["DEFAULT_APPROVAL_DELAY", "DEFAULT_VCPUS", "VCPU_QUOTAS", "QuotaMixin"]

# Quota names as Microsoft.Compute spells them, with the portal's localized names.
VCPU_QUOTAS = {
    "cores": "Total Regional vCPUs",
    "standardBasv2Family": "Standard Basv2 Family vCPUs",
    "standardBSFamily": "Standard BS Family vCPUs",
    "standardDSv5Family": "Standard DSv5 Family vCPUs",
    "standardDASv5Family": "Standard DASv5 Family vCPUs",
}
DEFAULT_VCPUS = 10  # a new pay-as-you-go subscription's limit, per quota and region
DEFAULT_APPROVAL_DELAY = 3.0  # seconds: visible as "pending" in the sandbox, short enough to wait for
_API_VERSIONS = "2025-09-01, 2025-07-15, 2025-03-01, 2023-02-01"
_DENIED = ("The quota increase request could not be approved: {label} in {region} cannot be raised to "
           "{limit} at this time. Create a support request (Help + support → Service and subscription "
           "limits (quotas)) to ask again.")


@dataclass
class _QuotaRequest:
    id: str
    sub: str
    region: str
    name: str
    limit: int
    since: float  # time.monotonic() when made
    submitted: str  # ISO time, as requestSubmitTime
    delay: float
    deny: bool
    state: str = "InProgress"
    message: str = "Request processing"


class QuotaMixin:
    """Quota state and handlers; mixed into ArmService, which provides ``_caller``, ``_sub``,
    ``_provider`` and (RbacMixin) ``_check``. No stubs of them here: this class comes first in the
    MRO, so a stub ``_check`` would silently replace the real one for every route."""

    base_url: str

    def reset_quota(self) -> None:
        self.vcpu_quotas: dict[tuple[str, str, str], list[int]] = {}  # (sub, region, name) -> [limit, usage]
        self.quota_requests: dict[str, _QuotaRequest] = {}  # by id, upper case
        self.quota_approval_delay = DEFAULT_APPROVAL_DELAY
        self.quota_deny = False
        self.quota_at_once = False

    def route_quota(self, route: Any) -> None:
        scope = r"(?P<scope>/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Compute/locations/(?P<loc>[^/]+))"
        quota = scope + r"/providers/Microsoft\.Quota"
        route("quota.get", "GET", quota + r"/quotas/(?P<name>[^/]+)", self._get_quota)
        route("quota.put", "PUT", quota + r"/quotas/(?P<name>[^/]+)", self._put_quota)
        route("usages.get", "GET", quota + r"/usages/(?P<name>[^/]+)", self._get_usage)
        route("quota.status", "GET", quota + r"/quotaRequests/(?P<id>[^/]+)", self._get_request)
        route("quota.operation", "GET", quota + r"/operationsStatus/(?P<id>[^/]+)", self._get_operation)

    # -- controls -------------------------------------------------------------------------------
    def set_vcpu_quota(self, sub: str, region: str, name: str, limit: int, usage: int | None = None) -> None:
        """Raises KeyError for a region or quota name the double does not know (a typo in a test)."""
        found = self._vcpu(sub, _region(region, control=True), _resource(name, control=True))
        found[0] = int(limit)
        if usage is not None:
            found[1] = int(usage)

    # -- shared checks --------------------------------------------------------------------------
    def _quota_call(self: Any, req: Request, action: str) -> tuple[str, str, str]:
        """Who may do what, in ARM's order; returns (subscription, region, scope)."""
        who, sub = self._caller(req), self._sub(req.params["sub"])
        scope = f"/subscriptions/{sub}/providers/Microsoft.Compute/locations/{req.params['loc']}"
        self._check(who, scope, action)
        if self._provider(sub, "Microsoft.Quota").state != "Registered":
            raise ServiceError(409, "MissingSubscriptionRegistration", "The subscription is not registered to "
                               "use namespace 'Microsoft.Quota'. See https://aka.ms/rps-not-found for how to "
                               "register subscriptions.")
        region = _region(req.params["loc"], api=_api_version(req))
        self._settle_requests()
        return sub, region, f"/subscriptions/{sub}/providers/Microsoft.Compute/locations/{region}"

    def _vcpu(self, sub: str, region: str, name: str) -> list[int]:
        return self.vcpu_quotas.setdefault((sub, region, name), [DEFAULT_VCPUS, 0])

    def _settle_requests(self) -> None:
        now = time.monotonic()
        for request in self.quota_requests.values():
            if request.state != "InProgress" or now - request.since < request.delay:
                continue
            if request.deny:
                request.state = "Failed"
                request.message = _DENIED.format(label=VCPU_QUOTAS[request.name], region=request.region,
                                                 limit=request.limit)
            else:
                request.state, request.message = "Succeeded", "Request completed"
                self._vcpu(request.sub, request.region, request.name)[0] = request.limit

    def _find_request(self, req: Request, sub: str, region: str) -> _QuotaRequest:
        found = self.quota_requests.get(req.params["id"].upper())
        if found is None or found.sub != sub or found.region != region:
            raise ServiceError(404, "ResourceNotFound", f"The quota request '{req.params['id']}' was not found "
                               f"for this subscription in {region}.")
        return found

    # -- wire shapes ----------------------------------------------------------------------------
    def _quota_json(self, scope: str, sub: str, region: str, name: str) -> dict[str, Any]:
        limit = self._vcpu(sub, region, name)[0]
        return {"id": f"{scope}/providers/Microsoft.Quota/Quotas/{name}", "name": name,
                "type": "Microsoft.Quota/Quotas",
                "properties": {"limit": {"limitObjectType": "LimitValue", "limitType": "Independent", "value": limit},
                               "name": _localized(name), "unit": "Count", "isQuotaApplicable": True,
                               "properties": {}}}

    def _request_json(self, scope: str, request: _QuotaRequest) -> dict[str, Any]:
        item = {"name": _localized(request.name), "limit": {"limitObjectType": "LimitValue", "value": request.limit},
                "message": request.message, "provisioningState": request.state, "subRequestId": request.id,
                "unit": "Count"}
        props: dict[str, Any] = {"provisioningState": request.state, "message": request.message,
                                 "requestSubmitTime": request.submitted, "value": [item]}
        if request.state == "Failed":
            props["error"] = {"code": "ContactSupport", "message": request.message}
        return {"id": f"{scope}/providers/Microsoft.Quota/quotaRequests/{request.id}", "name": request.id,
                "type": "Microsoft.Quota/quotaRequests", "properties": props}

    def _pending(self, scope: str, request: _QuotaRequest, api: str) -> dict[str, str]:
        # Retry-After counts down to the decision (Azure says 30): the SDK's poller sleeps that long.
        left = request.delay - (time.monotonic() - request.since)
        return {"Location": f"{self.base_url}{scope}/providers/Microsoft.Quota/operationsStatus/{request.id}"
                            f"?api-version={api}",
                "Retry-After": str(min(30, max(1, math.ceil(left))))}

    # -- handlers -------------------------------------------------------------------------------
    def _get_quota(self, req: Request) -> Any:
        sub, region, scope = self._quota_call(req, "Microsoft.Quota/quotas/read")
        return self._quota_json(scope, sub, region, _resource(req.params["name"]))

    def _get_usage(self, req: Request) -> Any:
        sub, region, scope = self._quota_call(req, "Microsoft.Quota/usages/read")
        name = _resource(req.params["name"])
        return {"id": f"{scope}/providers/Microsoft.Quota/Usages/{name}", "name": name,
                "type": "Microsoft.Quota/Usages",
                "properties": {"name": _localized(name), "isQuotaApplicable": True, "unit": "Count",
                               "usages": {"usagesType": "Individual", "value": self._vcpu(sub, region, name)[1]}}}

    def _put_quota(self, req: Request) -> Any:
        sub, region, scope = self._quota_call(req, "Microsoft.Quota/quotas/write")
        name = _resource(req.params["name"])
        limit = ((req.json() or {}).get("properties") or {}).get("limit") or {}
        value = limit.get("value")
        if limit.get("limitObjectType", "LimitValue") != "LimitValue" or isinstance(value, bool) \
                or not isinstance(value, int) or value < 0:
            raise ServiceError(400, "InvalidQuotaRequest", "properties.limit must be {\"limitObjectType\": "
                               "\"LimitValue\", \"value\": <a whole number of vCPUs>}.")
        request = _QuotaRequest(str(uuid.uuid4()).upper(), sub, region, name, value, time.monotonic(),
                                iso(now_utc()), self.quota_approval_delay, self.quota_deny)
        self.quota_requests[request.id] = request
        if self.quota_at_once and not request.deny:
            request.delay = 0.0
            self._settle_requests()
            location = f"{self.base_url}{scope}/providers/Microsoft.Quota/quotaRequests/{request.id}" \
                       f"?api-version={_api_version(req)}"
            return Reply(200, self._quota_json(scope, sub, region, name), {"location": location})
        return Reply(202, None, self._pending(scope, request, _api_version(req)))

    def _get_request(self, req: Request) -> Any:
        sub, region, scope = self._quota_call(req, "Microsoft.Quota/quotaRequests/read")
        return self._request_json(scope, self._find_request(req, sub, region))

    def _get_operation(self, req: Request) -> Any:
        sub, region, scope = self._quota_call(req, "Microsoft.Quota/quotaRequests/read")
        request = self._find_request(req, sub, region)
        if request.state == "InProgress":
            return Reply(202, None, self._pending(scope, request, _api_version(req)))
        if request.state == "Failed":
            raise ServiceError(400, "ContactSupport", request.message)
        return self._quota_json(scope, sub, region, request.name)


def _api_version(req: Request) -> str:
    return next((v for k, v in req.query.items() if k.lower() == "api-version"), "")


def _region(loc: str, *, control: bool = False, api: str = "") -> str:
    found = next((name for name, *_ in LOCATIONS if name == loc.lower()), None)
    if found is not None:
        return found
    if control:
        raise KeyError(f"no region {loc!r}; regions: {[name for name, *_ in LOCATIONS]}")
    # ARM's answer for a location a resource type is not offered in.
    raise ServiceError(400, "NoRegisteredProviderFound", f"No registered resource provider found for location "
                       f"'{loc}' and API version '{api}' for type 'quotas'. The supported api-versions are "
                       f"'{_API_VERSIONS}'. The supported locations are "
                       f"'{', '.join(name for name, *_ in LOCATIONS)}'.")


def _resource(name: str, *, control: bool = False) -> str:
    found = next((known for known in VCPU_QUOTAS if known.lower() == name.lower()), None)
    if found is not None:
        return found
    if control:
        raise KeyError(f"no quota {name!r}; quotas: {list(VCPU_QUOTAS)}")
    # The code is a guess: Azure documents no error for an unknown quota name.
    raise ServiceError(400, "InvalidResourceName", f"The resource name '{name}' is not a quota of "
                       "Microsoft.Compute in this location.")


def _localized(name: str) -> dict[str, str]:
    return {"value": name, "localizedValue": VCPU_QUOTAS[name]}
