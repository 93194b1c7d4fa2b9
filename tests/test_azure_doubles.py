"""The Azure doubles driven by the real SDKs (azure-identity/msal, azure-mgmt-*, azure-core) over
HTTPS, configured only through the SDKs' own settings: authority + disable_instance_discovery +
connection_verify on credentials, base_url + credential_scopes + connection_verify on clients."""

from __future__ import annotations

import time
import uuid

import certifi
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import Permission, RoleAssignmentCreateParameters, RoleDefinition
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.subscription import SubscriptionClient


# The seven Graph application permissions from Porter's docs, with Microsoft's appRole ids, written
# out here so a wrong seed fails a test.
from .azure_double_fixtures import (
    PORTER_NOT_ACTIONS, arm, claims, device_credential, graph_client, secret_credential)


def test_client_secret_token(az):
    token = secret_credential(az).get_token(az.arm_scope)
    assert token.expires_on > time.time() + 3000
    body = claims(token.token)
    assert body["aud"] == az.arm_url and body["tid"] == az.tenant_id
    assert body["oid"] == az.service_principal.object_id and body["appid"] == az.service_principal.client_id
    assert az.identity.requests == ["openid-configuration", "token"]


def test_tls_is_trusted_through_connection_verify_only(az, monkeypatch):
    no_ca = ClientSecretCredential(az.tenant_id, az.service_principal.client_id, az.service_principal.client_secret,
                                   authority=az.authority_url, disable_instance_discovery=True, retry_total=0)
    with pytest.raises(ClientAuthenticationError, match="CERTIFICATE_VERIFY_FAILED"):
        no_ca.get_token(az.arm_scope)
    assert az.identity.requests == []  # the handshake failed; no request reached the double
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # a global bundle must not get in the way
    assert secret_credential(az).get_token(az.arm_scope).token


def test_wrong_secret_is_AADSTS7000215(az):
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        secret_credential(az, secret="not-the-secret").get_token(az.arm_scope)


def test_expired_secret_is_AADSTS7000222(az):
    az.expire_secret(az.service_principal.client_id)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000222") as caught:
        secret_credential(az).get_token(az.arm_scope)
    assert az.service_principal.client_id in str(caught.value)


def test_unknown_application_is_AADSTS700016(az):
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        secret_credential(az, client_id=str(uuid.uuid4())).get_token(az.arm_scope)


def test_client_credentials_need_a_default_scope(az):
    with pytest.raises(ClientAuthenticationError, match="AADSTS1002012"):
        secret_credential(az).get_token(f"{az.arm_url}/user_impersonation")


# -- ARM ----------------------------------------------------------------------------------------
def test_subscription_client_lists_the_subscription(az):
    client = SubscriptionClient(secret_credential(az), **arm(az))
    subs = list(client.subscriptions.list())
    assert [(s.subscription_id, s.display_name, s.state) for s in subs] == \
        [(az.subscription_id, "Pay-As-You-Go", "Enabled")]
    assert client.subscriptions.get(az.subscription_id).id == f"/subscriptions/{az.subscription_id}"
    assert {c.query["api-version"] for c in az.arm.calls} == {"2016-06-01"}


def test_provider_registers_after_a_delay(az):
    client = ResourceManagementClient(secret_credential(az), az.subscription_id, **arm(az))
    assert client.providers.get("Microsoft.ContainerService").registration_state == "NotRegistered"
    az.arm.registration_delay = 1.0  # clear() puts the fixture's 0.3 s back
    assert client.providers.register("Microsoft.ContainerService").registration_state == "Registering"
    assert client.providers.get("Microsoft.ContainerService").registration_state == "Registering"
    deadline, state = time.monotonic() + 5, "Registering"
    while state != "Registered" and time.monotonic() < deadline:
        time.sleep(0.1)
        state = client.providers.get("Microsoft.ContainerService").registration_state
    assert state == "Registered"
    listed = {p.namespace: p.registration_state for p in client.providers.list()}
    assert listed["Microsoft.ContainerService"] == "Registered" and listed["Microsoft.Compute"] == "NotRegistered"
    assert {c.query["api-version"] for c in az.arm.calls} == {"2025-04-01"}


def test_stuck_provider_stays_registering(az):
    az.arm.stuck("Microsoft.Network")
    client = ResourceManagementClient(secret_credential(az), az.subscription_id, **arm(az))
    client.providers.register("Microsoft.Network")
    time.sleep(0.5)  # past registration_delay
    assert client.providers.get("Microsoft.Network").registration_state == "Registering"


def test_custom_role_and_assignment_as_porter_defines_them(az):
    cred = secret_credential(az)
    auth = AuthorizationManagementClient(cred, az.subscription_id, **arm(az))
    scope, role_id = az.subscription_scope, str(uuid.uuid4())
    created = auth.role_definitions.create_or_update(scope, role_id, RoleDefinition(
        role_name="porter-aks-restricted", description="Grants Porter access to manage resources for an AKS cluster.",
        role_type="CustomRole", assignable_scopes=[scope],
        permissions=[Permission(actions=["*"], not_actions=PORTER_NOT_ACTIONS, data_actions=[], not_data_actions=[])]))
    assert created.id == f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
    (found,) = auth.role_definitions.list(scope, filter="roleName eq 'porter-aks-restricted'")
    read = auth.role_definitions.get(scope, role_id)
    for role in (found, read):
        assert (role.role_name, role.role_type, role.assignable_scopes) == \
            ("porter-aks-restricted", "CustomRole", [scope])
        assert role.description == "Grants Porter access to manage resources for an AKS cluster."
        assert role.permissions[0].actions == ["*"] and role.permissions[0].not_actions == PORTER_NOT_ACTIONS

    porter = az.add_service_principal("azure-porter-restricted-sp", arm_role=None)
    porter_rm = ResourceManagementClient(secret_credential(az, porter.client_id, porter.client_secret),
                                         az.subscription_id, **arm(az, retry_total=0))
    with pytest.raises(HttpResponseError) as denied:
        porter_rm.providers.get("Microsoft.Compute")
    assert denied.value.status_code == 403

    with pytest.raises(HttpResponseError) as mistyped:  # the SDK model defaults principal_type to "User"
        auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=created.id, principal_id=porter.object_id))
    assert mistyped.value.error.code == "UnmatchedPrincipalType"

    name = str(uuid.uuid4())
    assignment = auth.role_assignments.create(scope, name, RoleAssignmentCreateParameters(
        role_definition_id=created.id, principal_id=porter.object_id, principal_type="ServicePrincipal"))
    assert (assignment.scope, assignment.role_definition_id, assignment.principal_id) == \
        (scope, created.id, porter.object_id)
    assert auth.role_assignments.get(scope, name).principal_type == "ServicePrincipal"
    listed = list(auth.role_assignments.list_for_subscription(filter=f"principalId eq '{porter.object_id}'"))
    assert [a.name for a in listed] == [name]
    assert porter_rm.providers.register("Microsoft.Compute").registration_state == "Registering"

    with pytest.raises(ResourceExistsError) as again:  # same principal, role and scope under a new name
        auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=created.id, principal_id=porter.object_id, principal_type="ServicePrincipal"))
    assert again.value.error.code == "RoleAssignmentExists"


def test_new_principal_is_not_found_while_replicating_unless_typed(az):
    az.arm.principal_replication_delay = 30
    fresh = az.add_service_principal("just-made", arm_role=None)
    auth = AuthorizationManagementClient(secret_credential(az), az.subscription_id, **arm(az, retry_total=0))
    reader = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    with pytest.raises(HttpResponseError) as caught:
        auth.role_assignments.create(az.subscription_scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=reader, principal_id=fresh.object_id, principal_type=None))
    assert caught.value.error.code == "PrincipalNotFound" and "replication delay" in caught.value.error.message
    typed = auth.role_assignments.create(az.subscription_scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=reader, principal_id=fresh.object_id, principal_type="ServicePrincipal"))
    assert typed.role_definition_id.endswith("acdd72a7-3385-48ef-bd42-f606fba81ae7")


def test_throttling_surfaces_as_429_without_retries_and_recovers_with_them(az):
    az.arm.inject("providers.get", status=429, code="TooManyRequests", message="Too many requests.", retry_after=1)
    once = ResourceManagementClient(secret_credential(az), az.subscription_id, **arm(az, retry_total=0))
    with pytest.raises(HttpResponseError) as caught:
        once.providers.get("Microsoft.Storage")
    assert caught.value.status_code == 429 and caught.value.response.headers["Retry-After"] == "1"
    assert "TooManyRequests" in str(caught.value)

    az.arm.inject("providers.get", status=429, code="TooManyRequests", message="Too many requests.", retry_after=1)
    patient = ResourceManagementClient(secret_credential(az), az.subscription_id, **arm(az))
    assert patient.providers.get("Microsoft.Storage").namespace == "Microsoft.Storage"
    assert az.arm.requests.count("providers.get") == 3


def test_injected_faults_and_latency_speak_each_services_shape(az):
    az.identity.inject("token", status=401, code="invalid_client",
                       message="AADSTS7000222: The provided client secret keys for app 'x' are expired.")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000222"):
        secret_credential(az).get_token(az.arm_scope)
    az.identity.latency("token", 0.3)
    started = time.monotonic()
    admin = device_credential(az)
    admin.get_token(az.graph_scope)
    assert time.monotonic() - started >= 0.3
    az.graph.inject("*", status=503, code="serviceNotAvailable", message="Service unavailable.", retry_after=2)
    response = graph_client(az, admin).send_request(HttpRequest("GET", f"{az.graph_url}/v1.0/me"))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")
    error = response.json()["error"]
    assert error["code"] == "serviceNotAvailable" and "date" in error["innerError"]
    with pytest.raises(KeyError):
        az.arm.inject("providers.regster", status=500, code="x", message="typo in a route name")


def test_authorization_failed_is_403_with_its_code(az):
    az.allow_arm(az.service_principal.client_id, False)
    client = ResourceManagementClient(secret_credential(az), az.subscription_id, **arm(az, retry_total=0))
    with pytest.raises(HttpResponseError) as caught:
        client.providers.register("Microsoft.Compute")
    assert caught.value.status_code == 403 and caught.value.error.code == "AuthorizationFailed"
    assert "Microsoft.Compute/register/action" in caught.value.error.message


def test_contributor_cannot_write_role_assignments(az):
    dev = device_credential(az, az.non_admin_user)
    auth = AuthorizationManagementClient(dev, az.subscription_id, **arm(az, retry_total=0))
    with pytest.raises(HttpResponseError) as caught:
        auth.role_assignments.create(az.subscription_scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
            role_definition_id=f"/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}",
            principal_id=az.non_admin_user.object_id))
    assert caught.value.error.code == "AuthorizationFailed"


def test_arm_refuses_a_graph_token(az):
    client = SubscriptionClient(secret_credential(az), base_url=az.arm_url, connection_verify=az.ca_path,
                                credential_scopes=[az.graph_scope], retry_total=0)
    with pytest.raises(ClientAuthenticationError) as caught:
        list(client.subscriptions.list())
    assert caught.value.error.code == "InvalidAuthenticationTokenAudience"


# -- Graph --------------------------------------------------------------------------------------
