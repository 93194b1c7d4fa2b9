"""Fixtures and helpers shared by the Azure doubles' tests."""
from __future__ import annotations

import base64
import json
import time

import pytest
from azure.core import PipelineClient
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, ContentDecodePolicy, HeadersPolicy, RetryPolicy
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential, DeviceCodeCredential

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


def cloud_of(az):
    """The doubles as the wizard's AzureCloud (its endpoints and CA)."""
    from wizard.azure.cloud import AzureCloud

    return AzureCloud(authority=az.authority_url, arm=az.arm_url, graph=az.graph_url, ca_path=az.ca_path)


def credential(az, sp=None):
    """The wizard's own credential for a service principal (the seeded one by default)."""
    from wizard.azure.credentials import ServicePrincipal, secret_credential

    sp = sp or az.service_principal
    return secret_credential(cloud_of(az), ServicePrincipal(az.tenant_id, sp.client_id), sp.client_secret)


NEEDED = ("Microsoft.Network", "Microsoft.ContainerService", "Microsoft.ContainerRegistry")


@pytest.fixture
def ready(az):
    """A subscription with the providers the cluster needs registered (through the real client),
    as the wizard's providers step leaves it."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    from wizard.azure.credentials import mgmt_kwargs

    az.set_provisioning_delay(0.05)
    client = ResourceManagementClient(credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))
    for namespace in NEEDED:
        client.providers.register(namespace)
    deadline = time.monotonic() + 10
    while any(client.providers.get(ns).registration_state != "Registered" for ns in NEEDED):
        assert time.monotonic() < deadline, "providers did not register"
        time.sleep(0.05)
    yield az


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
