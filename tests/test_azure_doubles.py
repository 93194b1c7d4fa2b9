"""The Azure doubles driven by the real SDKs (azure-identity/msal, azure-mgmt-*, azure-core) over
HTTPS, configured only through the SDKs' own settings: authority + disable_instance_discovery +
connection_verify on credentials, base_url + credential_scopes + connection_verify on clients."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import certifi
import pytest
from azure.core import PipelineClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, ContentDecodePolicy, HeadersPolicy, RetryPolicy
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential, DeviceCodeCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import Permission, RoleAssignmentCreateParameters, RoleDefinition
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.subscription import SubscriptionClient

from wizard.sandbox.azure import AzureDoubles

# The seven Graph application permissions from Porter's docs, with Microsoft's appRole ids, written
# out here so a wrong seed fails a test.
GRAPH_PERMISSIONS = {
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Group.Create": "bf7b1a76-6e77-406b-b258-bf5c7720e98f",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
}
PORTER_NOT_ACTIONS = [
    "Microsoft.Authorization/elevateAccess/Action",
    "Microsoft.Blueprint/blueprintAssignments/write",
    "Microsoft.Blueprint/blueprintAssignments/delete",
    "Microsoft.Compute/galleries/share/action",
]


@pytest.fixture(scope="module")
def started():
    with AzureDoubles(registration_delay=0.3) as doubles:
        yield doubles


@pytest.fixture
def az(started, monkeypatch):
    # Some machines trust a bundle globally; TLS must work because of connection_verify alone.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)
    started.clear()
    yield started


def secret_credential(az, client_id=None, secret=None, **extra):
    sp = az.service_principal
    return ClientSecretCredential(az.tenant_id, client_id or sp.client_id, secret or sp.client_secret,
                                  authority=az.authority_url, disable_instance_discovery=True,
                                  connection_verify=az.ca_path, **extra)


def arm(az, **extra):
    return {"base_url": az.arm_url, "credential_scopes": [az.arm_scope], "connection_verify": az.ca_path, **extra}


def device_credential(az, user=None, *, approve_inline=True, codes=None):
    """DeviceCodeCredential whose prompt signs ``user`` in at once (or only records the code)."""
    def prompt(verification_uri, user_code, expires_on):
        assert verification_uri.startswith(az.authority_url)
        if codes is not None:
            codes.append(user_code)
        if approve_inline:
            az.approve_device_code(user_code, user)
    return DeviceCodeCredential(tenant_id=az.tenant_id, authority=az.authority_url, disable_instance_discovery=True,
                                connection_verify=az.ca_path, prompt_callback=prompt, timeout=15)


def graph_client(az, credential):
    return PipelineClient(az.graph_url, policies=[
        HeadersPolicy(), RetryPolicy(retry_total=0), BearerTokenCredentialPolicy(credential, az.graph_scope),
        ContentDecodePolicy()], connection_verify=az.ca_path)


def call(client, method, path, body=None, expect=200):
    response = client.send_request(HttpRequest(method, client.format_url(path), json=body))
    assert response.status_code == expect, response.text()
    return response.json() if response.content else None


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# -- token endpoint ---------------------------------------------------------------------------
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
def test_graph_app_secret_lifecycle(az):
    graph = graph_client(az, device_credential(az))
    app = call(graph, "POST", "/v1.0/applications", {"displayName": "azure-porter-restricted-sp"}, expect=201)
    found = call(graph, "GET", "/v1.0/applications?$filter=displayName eq 'azure-porter-restricted-sp'")
    assert [a["appId"] for a in found["value"]] == [app["appId"]]

    graph_sp = call(graph, "GET", "/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'")
    roles = {r["value"]: r["id"] for r in graph_sp["value"][0]["appRoles"]}
    assert {k: roles.get(k) for k in GRAPH_PERMISSIONS} == GRAPH_PERMISSIONS
    access = [{"resourceAppId": "00000003-0000-0000-c000-000000000000",
               "resourceAccess": [{"id": i, "type": "Role"} for i in GRAPH_PERMISSIONS.values()]}]
    call(graph, "PATCH", f"/v1.0/applications/{app['id']}", {"requiredResourceAccess": access}, expect=204)
    assert call(graph, "GET", f"/v1.0/applications/{app['id']}")["requiredResourceAccess"] == access

    sp = call(graph, "POST", "/v1.0/servicePrincipals", {"appId": app["appId"]}, expect=201)
    assert sp["appId"] == app["appId"]
    password = call(graph, "POST", f"/v1.0/applications/{app['id']}/addPassword",
                    {"passwordCredential": {"displayName": "porter"}})
    in_364_days = time.strftime("%Y-%m-%dT", time.gmtime(time.time() + 364 * 86400))
    assert password["secretText"] and password["endDateTime"] > in_364_days  # default lifetime: a year
    token = secret_credential(az, app["appId"], password["secretText"]).get_token(az.arm_scope)
    assert claims(token.token)["oid"] == sp["id"]

    call(graph, "POST", f"/v1.0/applications/{app['id']}/removePassword", {"keyId": password["keyId"]}, expect=204)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        secret_credential(az, app["appId"], password["secretText"]).get_token(az.arm_scope)


def test_admin_consent_for_admin_and_denied_for_non_admin(az):
    admin = graph_client(az, device_credential(az))
    app = call(admin, "POST", "/v1.0/applications", {"displayName": "azure-porter-restricted-sp"}, expect=201)
    sp = call(admin, "POST", "/v1.0/servicePrincipals", {"appId": app["appId"]}, expect=201)
    graph_sp = call(admin, "GET", "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')")
    for role_id in GRAPH_PERMISSIONS.values():
        grant = call(admin, "POST", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments",
                     {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": role_id}, expect=201)
        assert grant["resourceDisplayName"] == "Microsoft Graph"
    listed = call(admin, "GET", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments")
    assert sorted(g["appRoleId"] for g in listed["value"]) == sorted(GRAPH_PERMISSIONS.values())

    password = call(admin, "POST", f"/v1.0/applications/{app['id']}/addPassword", {})
    porter = secret_credential(az, app["appId"], password["secretText"])
    assert sorted(claims(porter.get_token(az.graph_scope).token)["roles"]) == sorted(GRAPH_PERMISSIONS)

    developer = graph_client(az, device_credential(az, az.non_admin_user))
    grant = {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": GRAPH_PERMISSIONS["Group.Create"]}
    response = developer.send_request(HttpRequest(
        "POST", f"{az.graph_url}/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments", json=grant))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "Authorization_RequestDenied" and "request-id" in error["innerError"]


# -- device code --------------------------------------------------------------------------------
def test_device_code_sign_in_approved_from_another_thread(az):
    codes: list[str] = []

    def prompt(verification_uri, user_code, expires_on):
        codes.append(user_code)  # what the wizard shows; the "user" approves a moment later
        threading.Timer(0.2, az.approve_device_code, args=(user_code,)).start()

    cred = DeviceCodeCredential(tenant_id=az.tenant_id, authority=az.authority_url, disable_instance_discovery=True,
                                connection_verify=az.ca_path, prompt_callback=prompt, timeout=15)
    record = cred.authenticate(scopes=[az.arm_scope])
    assert (record.username, record.tenant_id) == (az.admin_user.upn, az.tenant_id)
    assert len(codes) == 1 and len(codes[0]) == 9
    subs = SubscriptionClient(cred, **arm(az))
    assert [s.subscription_id for s in subs.subscriptions.list()] == [az.subscription_id]
    me = call(graph_client(az, cred), "GET", "/v1.0/me")  # a second resource: refresh token, no new prompt
    assert me["userPrincipalName"] == az.admin_user.upn
    assert az.identity.requests.count("devicecode") == 1
    assert az.identity.requests.count("token") >= 3  # pending poll(s), approval, refresh


def test_declined_device_code_fails(az):
    def prompt(verification_uri, user_code, expires_on):
        az.decline_device_code(user_code)

    cred = DeviceCodeCredential(tenant_id=az.tenant_id, authority=az.authority_url, disable_instance_discovery=True,
                                connection_verify=az.ca_path, prompt_callback=prompt, timeout=15)
    with pytest.raises(ClientAuthenticationError, match="authorization_declined|declined"):
        cred.get_token(az.arm_scope)


# -- housekeeping -------------------------------------------------------------------------------
def test_clear_restores_the_seed(az):
    graph = graph_client(az, device_credential(az))
    call(graph, "POST", "/v1.0/applications", {"displayName": "leftover"}, expect=201)
    az.arm.stuck("Microsoft.Storage")
    az.clear()
    assert call(graph, "GET", "/v1.0/applications?$filter=displayName eq 'leftover'")["value"] == []
    assert az.arm.stuck_providers == set() and az.graph.requests == ["applications.list"]
    assert secret_credential(az).get_token(az.arm_scope).token


def test_doubles_are_quiet(capfd):
    with AzureDoubles(one_port=True) as doubles:
        assert doubles.arm_url == doubles.graph_url == doubles.authority_url
        cred = ClientSecretCredential(doubles.tenant_id, doubles.service_principal.client_id, "wrong",
                                      authority=doubles.authority_url, disable_instance_discovery=True,
                                      connection_verify=doubles.ca_path)
        with pytest.raises(ClientAuthenticationError):
            cred.get_token(doubles.arm_scope)
        with pytest.raises(ClientAuthenticationError):  # a TLS failure on the server side
            ClientSecretCredential(doubles.tenant_id, "x", "y", authority=doubles.authority_url,
                                   disable_instance_discovery=True, retry_total=0).get_token(doubles.arm_scope)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
