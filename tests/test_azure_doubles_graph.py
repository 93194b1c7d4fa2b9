"""The Graph double (apps, secrets, consent) and device-code sign-in, with the real SDKs."""

from __future__ import annotations

import threading
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential, DeviceCodeCredential
from azure.mgmt.subscription import SubscriptionClient

from wizard.sandbox.azure import AzureDoubles

# The seven Graph application permissions from Porter's docs, with Microsoft's appRole ids, written
# out here so a wrong seed fails a test.
from .azure_double_fixtures import (
    GRAPH_PERMISSIONS, arm, call, claims, device_credential, graph_client, secret_credential)


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
