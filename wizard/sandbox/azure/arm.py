"""Azure Resource Manager, the subset Porter's setup touches, in the shapes the installed SDKs
send and parse:

- subscriptions: ``GET /subscriptions`` and ``/subscriptions/{id}`` (azure-mgmt-subscription 3.1,
  api-version 2016-06-01);
- resource providers: list/get/register/unregister under ``/subscriptions/{id}/providers``
  (azure-mgmt-resource 26, ``azure.mgmt.resource.resources``, api-version 2025-04-01). A register
  answers ``Registering`` and flips to ``Registered`` after ``registration_delay`` seconds, read
  lazily on the next call (no timers); ``stuck(ns)`` keeps one ``Registering`` for good;
- RBAC: role definitions and role assignments (arm_rbac.py). azure-mgmt-authorization formats
  ``/{scope}/...`` with a scope that starts with "/", so the wire path starts with "//"; the server
  folds it.

Every call needs a bearer token the identity double issued for an ARM audience (401 otherwise,
ARM's codes) and an ``api-version`` (400 MissingApiVersionParameter, as ARM); then the caller's
role assignments decide (403 AuthorizationFailed, see arm_rbac.py).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .arm_catalogue import LOCATIONS, PROVIDERS, resource_types
from .arm_quota import QuotaMixin
from .arm_rbac import Principal, RbacMixin, _covers
from .arm_resources import route_resources
from .arm_store import ResourceState
from .directory import ARM_PUBLIC_AUDIENCES, Directory
from ..https.service import Request, Service, ServiceError

__all__ = ["ArmService"]


@dataclass
class _Provider:
    namespace: str
    state: str
    since: float = 0.0


class ArmService(QuotaMixin, RbacMixin, Service):
    name = "arm"

    def __init__(self, lock: Any, directory: Directory, *, registration_delay: float = 1.0) -> None:
        super().__init__(lock)
        self.directory = directory
        self.registration_delay = registration_delay
        # A principal made seconds ago may be unknown to ARM's directory replica (PrincipalNotFound
        # unless principalType is given). 0 turns that off.
        self.principal_replication_delay = 0.0
        self.reset()
        sub = r"/subscriptions/(?P<sub>[^/]+)"
        r = self.route
        r("subscriptions.list", "GET", r"/subscriptions", self._list_subscriptions)
        r("subscriptions.get", "GET", sub, self._get_subscription)
        r("subscriptions.locations", "GET", sub + r"/locations", self._list_locations)
        r("providers.list", "GET", sub + r"/providers", self._list_providers)
        r("providers.get", "GET", sub + r"/providers/(?P<ns>[^/]+)", self._get_provider)
        r("providers.register", "POST", sub + r"/providers/(?P<ns>[^/]+)/register", self._register)
        r("providers.unregister", "POST", sub + r"/providers/(?P<ns>[^/]+)/unregister", self._unregister)
        self.route_rbac(r)
        self.route_quota(r)  # Microsoft.Quota: vCPU limits, usages, increase requests (arm_quota.py)
        route_resources(self, r)  # resource groups, VNets, AKS, registries (arm_resources.py)

    def reset(self) -> None:
        self.subscriptions: dict[str, dict[str, str]] = {}
        self.providers: dict[str, dict[str, _Provider]] = {}
        self.role_definitions: dict[str, dict[str, Any]] = {}  # custom roles by GUID
        self.role_assignments: dict[str, dict[str, Any]] = {}  # by name (GUID)
        self.stuck_providers: set[str] = set()
        self.reset_quota()
        self.resource_state = ResourceState.fresh(getattr(self, "resource_state", None))

    def common_headers(self) -> dict[str, str]:
        rid = str(uuid.uuid4())
        return {"x-ms-request-id": rid, "x-ms-correlation-request-id": rid}

    # -- seeding / controls -----------------------------------------------------------------
    def add_subscription(self, sub_id: str, display_name: str, state: str = "Enabled") -> None:
        self.subscriptions[sub_id] = {"displayName": display_name, "state": state}
        self.providers[sub_id] = {ns.lower(): _Provider(ns, "Registered" if registered else "NotRegistered")
                                  for ns, (registered, _) in PROVIDERS.items()}

    def stuck(self, namespace: str, stuck: bool = True) -> None:
        with self.lock:
            (self.stuck_providers.add if stuck else self.stuck_providers.discard)(namespace.lower())

    # -- authentication / authorisation -----------------------------------------------------
    def _caller(self, req: Request) -> Principal:
        token = req.bearer
        challenge = {"WWW-Authenticate": f'Bearer authorization_uri="{self.base_url}", error="invalid_token", '
                                         'error_description="The authentication failed."'}
        if not token:
            raise ServiceError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                               "missing.", headers=challenge)
        record = self.directory.tokens.get(token)
        principal = self.directory.principal(record.principal_id) if record else None
        if record is None or principal is None:
            raise ServiceError(401, "InvalidAuthenticationToken", "The access token is invalid.", headers=challenge)
        if record.expired:
            raise ServiceError(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier "
                               "than current UTC time.", headers=challenge)
        if "arm" not in self.directory.audience_services(record.audience):
            allowed = ",".join(f"'{a}/','{a}'" for a in ARM_PUBLIC_AUDIENCES[::-1])
            raise ServiceError(401, "InvalidAuthenticationTokenAudience", "The access token has been obtained for "
                               f"wrong audience or resource '{record.audience}'. It should exactly match with one of "
                               f"the allowed audiences {allowed}.", headers=challenge)
        if "api-version" not in {k.lower() for k in req.query}:
            raise ServiceError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) "
                               "is required for all requests.")
        return principal

    def _sub(self, sub_id: str) -> str:
        found = next((s for s in self.subscriptions if s.lower() == sub_id.lower()), None)
        if found is None:
            raise ServiceError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        return found

    def _scope(self, req: Request) -> str:
        scope = req.params.get("scope", "")
        if m := re.match(r"/subscriptions/([^/]+)", scope, re.IGNORECASE):
            scope = scope.replace(m.group(1), self._sub(m.group(1)), 1)
        return scope

    # -- subscriptions ------------------------------------------------------------------------
    def _subscription_json(self, sub_id: str) -> dict[str, Any]:
        sub = self.subscriptions[sub_id]
        return {"id": f"/subscriptions/{sub_id}", "authorizationSource": "RoleBased", "managedByTenants": [],
                "subscriptionId": sub_id, "tenantId": self.directory.tenant_id, "displayName": sub["displayName"],
                "state": sub["state"], "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                                "quotaId": "PayAsYouGo_2014-09-01",
                                                                "spendingLimit": "Off"}}

    def _visible(self, who: Principal, sub_id: str) -> bool:
        if who.arm_access is not None:
            return who.arm_access
        scope = f"/subscriptions/{sub_id}"
        return any(ra["principalId"] == who.object_id and (_covers(ra["scope"], scope) or _covers(scope, ra["scope"]))
                   for ra in self.role_assignments.values())

    def _list_subscriptions(self, req: Request) -> Any:
        who = self._caller(req)
        return {"value": [self._subscription_json(s) for s in self.subscriptions if self._visible(who, s)]}

    def _get_subscription(self, req: Request) -> Any:
        who, sub = self._caller(req), self._sub(req.params["sub"])
        self._check(who, f"/subscriptions/{sub}", "Microsoft.Resources/subscriptions/read")
        return self._subscription_json(sub)

    def _list_locations(self, req: Request) -> Any:
        who, sub = self._caller(req), self._sub(req.params["sub"])
        self._check(who, f"/subscriptions/{sub}", "Microsoft.Resources/subscriptions/read")
        return {"value": [{"id": f"/subscriptions/{sub}/locations/{name}", "subscriptionId": sub, "name": name,
                           "displayName": display, "latitude": lat, "longitude": lon}
                          for name, display, lat, lon in LOCATIONS]}

    # -- resource providers -------------------------------------------------------------------
    def _provider(self, sub: str, ns: str) -> _Provider:
        provider = self.providers[sub].get(ns.lower())
        if provider is None:
            raise ServiceError(404, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
        settling = {"Registering": "Registered", "Unregistering": "NotRegistered"}
        if provider.state in settling and provider.namespace.lower() not in self.stuck_providers \
                and time.monotonic() - provider.since >= self.registration_delay:
            provider.state = settling[provider.state]
        return provider

    def _provider_json(self, sub: str, p: _Provider) -> dict[str, Any]:
        return {"id": f"/subscriptions/{sub}/providers/{p.namespace}", "namespace": p.namespace,
                "registrationState": p.state, "registrationPolicy": "RegistrationRequired",
                "resourceTypes": resource_types(p.namespace), "providerAuthorizationConsentState": "NotSpecified"}

    def _list_providers(self, req: Request) -> Any:
        who, sub = self._caller(req), self._sub(req.params["sub"])
        self._check(who, f"/subscriptions/{sub}", "Microsoft.Resources/subscriptions/providers/read")
        return {"value": [self._provider_json(sub, self._provider(sub, ns)) for ns in sorted(self.providers[sub])]}

    def _get_provider(self, req: Request) -> Any:
        who, sub = self._caller(req), self._sub(req.params["sub"])
        self._check(who, f"/subscriptions/{sub}", "Microsoft.Resources/subscriptions/providers/read")
        return self._provider_json(sub, self._provider(sub, req.params["ns"]))

    def _set_state(self, req: Request, verb: str, moving: str, done: str) -> Any:
        who, sub = self._caller(req), self._sub(req.params["sub"])
        provider = self._provider(sub, req.params["ns"])
        self._check(who, f"/subscriptions/{sub}", f"{provider.namespace}/{verb}/action")
        if provider.state not in (moving, done):
            provider.state, provider.since = moving, time.monotonic()
        return self._provider_json(sub, provider)

    def _register(self, req: Request) -> Any:
        return self._set_state(req, "register", "Registering", "Registered")

    def _unregister(self, req: Request) -> Any:
        return self._set_state(req, "unregister", "Unregistering", "NotRegistered")

