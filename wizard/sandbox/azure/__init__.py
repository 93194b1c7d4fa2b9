"""Local HTTPS doubles of Entra ID's token endpoint, Azure Resource Manager and Microsoft Graph.

The real SDKs reach them through their own settings, nothing is patched::

    with AzureDoubles() as az:
        cred = ClientSecretCredential(az.tenant_id, sp.client_id, sp.client_secret,
                                      authority=az.authority_url, disable_instance_discovery=True,
                                      connection_verify=az.ca_path)
        SubscriptionClient(cred, base_url=az.arm_url, credential_scopes=[az.arm_scope],
                           connection_verify=az.ca_path)

Graph is plain REST (an azure-core ``PipelineClient`` with ``BearerTokenCredentialPolicy`` for
``az.graph_scope``). Sandbox mode and tests both start these: they print nothing, start in
milliseconds (one TLS CA per process) and keep all state in memory. ``clear()`` puts everything
back to the seed (same tenant, subscription, users and pre-made service principal, same ids).

The seed: one tenant, one "Pay-As-You-Go" subscription with a new subscription's resource
providers, an admin user (directory admin, Owner of the subscription), a non-admin user
(Contributor, cannot grant consent), the Microsoft Graph service principal with its app roles,
and, unless ``service_principal=False``, an app registration + service principal with a client
secret and Owner on the subscription.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .arm import ArmService
from .arm_catalogue import PORTER_PROVIDERS, builtin_role_id
from .arm_resources import fail_provisioning, resource_list
from ..https.certs import ca_pem_path
from .directory import (
    ARM_PUBLIC_AUDIENCES,
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    GRAPH_PUBLIC_AUDIENCES,
    Directory,
    new_client_secret,
    now_utc,
)
from .graph import GraphService
from .identity import IdentityService
from ..https.kill import KillControls, KillSwitch
from ..https.server import HttpsServer

__all__ = ["GRAPH_APP_ID", "GRAPH_APP_ROLES", "PORTER_PROVIDERS", "AzureDoubles", "SeededServicePrincipal",
           "SeededUser"]


@dataclass(frozen=True)
class SeededUser:
    object_id: str
    upn: str
    display_name: str


@dataclass(frozen=True)
class SeededServicePrincipal:
    client_id: str  # the application's appId
    client_secret: str
    key_id: str
    object_id: str  # the service principal's id (what role assignments name)
    app_object_id: str  # the application's id (what Graph's /applications/{id} takes)
    display_name: str


class AzureDoubles(KillControls):
    def __init__(self, *, one_port: bool = False, registration_delay: float = 0.5, device_code_interval: int = 1,
                 auto_approve_device_codes: float | None = None, service_principal: bool = True,
                 token_lifetime: int = 3599) -> None:
        self._lock = threading.RLock()
        self._settings = {"registration_delay": registration_delay, "token_lifetime": token_lifetime}
        # Ids are drawn once per instance and reused by clear(): tests may hold them across resets.
        self.tenant_id, self.subscription_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.domain = "portersandbox.onmicrosoft.com"
        self.subscription_name = "Pay-As-You-Go"
        self.admin_user = SeededUser(str(uuid.uuid4()), f"admin@{self.domain}", "Sandbox Admin")
        self.non_admin_user = SeededUser(str(uuid.uuid4()), f"developer@{self.domain}", "Sandbox Developer")
        self._graph_sp_id = str(uuid.uuid4())
        self.service_principal: SeededServicePrincipal | None = SeededServicePrincipal(
            str(uuid.uuid4()), new_client_secret(), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()),
            "sandbox-automation-sp") if service_principal else None

        self.directory = Directory(self.tenant_id, self.domain)
        self.identity = IdentityService(self._lock, self.directory, device_code_interval=device_code_interval,
                                        auto_approve_after=auto_approve_device_codes)
        self.identity.default_user_id = self.admin_user.object_id
        self.arm = ArmService(self._lock, self.directory, registration_delay=registration_delay)
        self.graph = GraphService(self._lock, self.directory)
        services = [self.identity, self.arm, self.graph]
        self.kill_switch = KillSwitch()
        for service in services:
            service.kill_switch = self.kill_switch
        self._servers = [HttpsServer(services)] if one_port else [HttpsServer([s]) for s in services]
        self._seed()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> AzureDoubles:
        for server in self._servers:
            server.start()
        with self._lock:
            resources = self.directory.resources
            resources.clear()
            for audience in ARM_PUBLIC_AUDIENCES + (self.arm_url,):
                resources.setdefault(audience.lower(), set()).add("arm")
            for audience in GRAPH_PUBLIC_AUDIENCES + (self.graph_url,):
                resources.setdefault(audience.lower(), set()).add("graph")
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()

    def __enter__(self) -> AzureDoubles:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- where clients go -------------------------------------------------------------------
    @property
    def authority_url(self) -> str:
        """The authority *host* (azure-identity appends the tenant)."""
        return self.identity.base_url

    @property
    def arm_url(self) -> str:
        return self.arm.base_url

    @property
    def graph_url(self) -> str:
        return self.graph.base_url

    @property
    def arm_scope(self) -> str:
        return f"{self.arm_url}/.default"

    @property
    def graph_scope(self) -> str:
        return f"{self.graph_url}/.default"

    @property
    def ca_path(self) -> str:
        return ca_pem_path()

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    # -- controls ----------------------------------------------------------------------------
    def approve_device_code(self, user_code: str, user: SeededUser | str | None = None) -> None:
        """Sign ``user`` (default: the admin) in for a pending device code."""
        ref = user.object_id if isinstance(user, SeededUser) else user
        with self._lock:
            principal = self.directory.principal(ref) if ref else None
            if ref and principal is None:
                raise KeyError(f"no user {ref!r}")
            self.identity.approve(user_code, principal.object_id if principal else None)

    def decline_device_code(self, user_code: str) -> None:
        self.identity.decline(user_code)

    def pending_device_codes(self) -> list[str]:
        return self.identity.pending_codes()

    def expire_secret(self, client_id: str, key_id: str | None = None) -> None:
        """Move the endDateTime of the app's secrets (or of one) into the past."""
        with self._lock:
            app = self.directory.app_by_app_id(client_id)
            if app is None:
                raise KeyError(f"no application with appId {client_id!r}")
            hit = [p for p in app.passwords if key_id is None or p.key_id == key_id.lower()]
            if not hit:
                raise KeyError(f"application {client_id} has no secret {key_id!r}")
            for password in hit:
                password.end = now_utc() - timedelta(minutes=1)
                password.start = min(password.start, password.end - timedelta(days=1))

    def allow_arm(self, principal: str, allowed: bool | None) -> None:
        """Force ARM to allow (True) or refuse (False, 403 AuthorizationFailed) a principal, by
        object id, appId or UPN; None goes back to deciding by role assignments."""
        with self._lock:
            self._principal(principal).arm_access = allowed

    def set_directory_admin(self, principal: str, admin: bool) -> None:
        """Whether the principal may grant admin consent (Graph appRoleAssignments)."""
        with self._lock:
            self._principal(principal).directory_admin = admin

    def add_service_principal(self, display_name: str, *, arm_role: str | None = "Owner",
                              client_id: str | None = None, secret: str | None = None, key_id: str | None = None,
                              object_id: str | None = None, app_object_id: str | None = None) -> SeededServicePrincipal:
        """An app registration + service principal + client secret (+ a built-in role on the subscription)."""
        with self._lock:
            d = self.directory
            app = d.add_application(display_name, object_id=app_object_id, app_id=client_id)
            password = d.add_password(app, display_name="sandbox", key_id=key_id, secret=secret)
            password.usable_from = 0.0
            sp = d.add_service_principal(app.app_id, display_name, object_id=object_id)
            if arm_role:
                self.arm.assign(self.subscription_scope, builtin_role_id(arm_role), sp)
            return SeededServicePrincipal(app.app_id, password.secret, password.key_id, sp.object_id,
                                          app.object_id, display_name)

    def set_provisioning_delay(self, seconds: float) -> None:
        """How long each create, update or delete of a resource (or group delete) runs before ARM
        reports it done; decided on the next read. Kept across clear(), like the registration delay."""
        with self._lock:
            self.arm.resource_state.provisioning_delay = float(seconds)

    def fail_provisioning(self, resource_type: str, code: str, message: str) -> None:
        """The next create of this type ("aks", "vnet", "acr" or its ARM type) ends in provisioningState
        Failed with this error, reported through its async operation (AKS: also status.provisioningError)."""
        with self._lock:
            fail_provisioning(self.arm, resource_type, code, message)

    def fail_deletion(self, resource_type: str, code: str, message: str) -> None:
        """The next delete of this type ends in provisioningState Failed with this error, reported
        through its async operation; the resource stays, and a new delete may be asked."""
        with self._lock:
            fail_provisioning(self.arm, resource_type, code, message, delete=True)

    def resources(self) -> list[dict[str, Any]]:
        """Every resource group and resource that exists now, each as ARM's GET returns it."""
        with self._lock:
            return resource_list(self.arm)

    def set_vcpu_quota(self, region: str, name: str, limit: int, usage: int | None = None) -> None:
        """The subscription's vCPU quota ``name`` ("cores", "standardBasv2Family"...) in ``region``;
        a new subscription has 10 of each, none used. KeyError for a name or region not known."""
        with self._lock:
            self.arm.set_vcpu_quota(self.subscription_id, region, name, limit, usage)

    def set_quota_approval(self, delay_seconds: float, deny: bool = False, at_once: bool = False) -> None:
        """Quota increase requests made from now on are decided ``delay_seconds`` after they are
        made (on the next call): approved, or denied with Azure's message; ``at_once``: approved in
        the PUT's own answer (200), as Azure sometimes does. clear() undoes this."""
        with self._lock:
            self.arm.quota_approval_delay, self.arm.quota_deny = float(delay_seconds), deny
            self.arm.quota_at_once = at_once

    def clear(self) -> None:
        """Back to the seed: state, faults, latencies and call logs."""
        with self._lock:
            self.kill_switch.reset()
            for service in (self.identity, self.arm, self.graph):
                service.clear()
            self._seed()

    # -- seed --------------------------------------------------------------------------------
    def _principal(self, ref: str) -> Any:
        found = self.directory.principal(ref)
        if found is None:
            raise KeyError(f"no principal {ref!r}")
        return found

    def _seed(self) -> None:
        with self._lock:
            d = self.directory
            d.reset()
            d.token_lifetime = int(self._settings["token_lifetime"])
            d.secret_propagation_delay = 0.0
            self.arm.reset()
            self.arm.registration_delay = float(self._settings["registration_delay"])
            self.arm.principal_replication_delay = 0.0
            roles = [{"allowedMemberTypes": ["Application"], "description": f"Allows the app to {title.lower()} "
                      "without a signed-in user.", "displayName": title, "id": guid, "isEnabled": True,
                      "origin": "Application", "value": value} for value, (guid, title) in GRAPH_APP_ROLES.items()]
            d.add_service_principal(GRAPH_APP_ID, "Microsoft Graph", object_id=self._graph_sp_id, app_roles=roles)
            admin = d.add_user(self.admin_user.upn, self.admin_user.display_name, admin=True, arm_access=None,
                               object_id=self.admin_user.object_id)
            dev = d.add_user(self.non_admin_user.upn, self.non_admin_user.display_name, admin=False, arm_access=None,
                             object_id=self.non_admin_user.object_id)
            self.arm.add_subscription(self.subscription_id, self.subscription_name)
            self.arm.assign(self.subscription_scope, builtin_role_id("Owner"), admin)
            self.arm.assign(self.subscription_scope, builtin_role_id("Contributor"), dev)
            sp = self.service_principal
            if sp is not None:
                self.add_service_principal(sp.display_name, client_id=sp.client_id, secret=sp.client_secret,
                                           key_id=sp.key_id, object_id=sp.object_id, app_object_id=sp.app_object_id)
