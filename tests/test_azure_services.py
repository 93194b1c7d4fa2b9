"""wizard/azure services through the real azure-identity / azure-mgmt code paths, against the
local HTTPS doubles (token endpoint, ARM), reached through the SDKs' own endpoint settings."""
from __future__ import annotations

import pytest

from wizard.azure import providers, role
from wizard.azure.cloud import AzureCloud
from wizard.azure.credentials import ServicePrincipal, check_token, mgmt_kwargs, secret_credential
from wizard.errors import CloudError



def cloud_of(az) -> AzureCloud:
    return AzureCloud(authority=az.authority_url, arm=az.arm_url, graph=az.graph_url, ca_path=az.ca_path)


def sp_credential(az, secret: str | None = None):
    sp = az.service_principal
    return secret_credential(cloud_of(az), ServicePrincipal(az.tenant_id, sp.client_id),
                             secret if secret is not None else sp.client_secret)


def test_a_good_secret_gets_a_token(az):
    check_token(cloud_of(az), sp_credential(az))


def test_a_wrong_secret_is_named(az):
    with pytest.raises(CloudError) as caught:
        check_token(cloud_of(az), sp_credential(az, "not-the-secret"))
    assert caught.value.title == "The client secret is wrong" and caught.value.code == "AADSTS7000215"


def test_an_expired_secret_says_rotate(az):
    az.expire_secret(az.service_principal.client_id)
    with pytest.raises(CloudError) as caught:
        check_token(cloud_of(az), sp_credential(az))
    assert caught.value.title == "The client secret has expired" and "rotate azure" in caught.value.next_step


def _resources(az):
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(sp_credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))


def test_the_eleven_providers_register_concurrently(az):
    seen = []
    results = providers.register_all(_resources(az), seen.append, sleep=lambda s: __import__("time").sleep(0.05),
                                     poll_seconds=0.05)
    assert [r.namespace for r in results] == list(providers.REQUIRED)
    assert all(r.state == "Registered" and r.error is None for r in results)
    assert any(s.state == "Registering" for s in seen)  # a new subscription has some to register


def test_a_provider_stuck_registering_times_out_with_a_next_step(az):
    az.arm.stuck("Microsoft.ContainerService")
    results = {r.namespace: r for r in providers.register_all(
        _resources(az), lambda s: None, sleep=lambda s: __import__("time").sleep(0.02), poll_seconds=0.02,
        timeout_s=0.5)}
    stuck = results["Microsoft.ContainerService"]
    assert stuck.error is not None and stuck.error.code == "ProviderStuck" and "portal" in stuck.error.next_step
    assert results["Microsoft.Compute"].state == "Registered"


def test_throttling_is_said_with_retry_after(az):
    az.arm.inject("providers.get", status=429, code="TooManyRequests", message="slow down", times=None,
                  retry_after=7)
    from azure.mgmt.resource.resources import ResourceManagementClient

    client = ResourceManagementClient(sp_credential(az), az.subscription_id,
                                      **{**mgmt_kwargs(cloud_of(az)), "retry_total": 0})
    results = providers.register_all(client, lambda s: None, poll_seconds=0.01)
    error = results[0].error
    assert error.title == "Azure is throttling requests" and "7 s" in error.what


def _authorization(az):
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(sp_credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))


def test_the_custom_role_is_created_exactly_as_the_docs_define_it(az):
    client = _authorization(az)
    first = role.find(client, az.subscription_id)
    assert not first.exists
    made = role.put(client, az.subscription_id, first)
    again = role.find(client, az.subscription_id)
    assert again.exists and again.differences == [] and again.role_id.lower() == made.lower()
    stored = client.role_definitions.get(f"/subscriptions/{az.subscription_id}", made.rsplit("/", 1)[-1])
    assert stored.role_name == "porter-aks-restricted"
    assert stored.permissions[0].actions == ["*"]
    assert sorted(stored.permissions[0].not_actions) == sorted(role.NOT_ACTIONS)
    assert stored.assignable_scopes == [f"/subscriptions/{az.subscription_id}"]


def test_an_existing_role_that_differs_is_reported_not_changed(az):
    from azure.mgmt.authorization.models import Permission, RoleDefinition

    client = _authorization(az)
    check = role.find(client, az.subscription_id)
    scope = f"/subscriptions/{az.subscription_id}"
    client.role_definitions.create_or_update(scope, check.role_id.rsplit("/", 1)[-1], RoleDefinition(
        role_name=role.ROLE_NAME, role_type="CustomRole", assignable_scopes=[scope],
        permissions=[Permission(actions=["*"], not_actions=role.NOT_ACTIONS[:2])]))
    found = role.find(client, az.subscription_id)
    assert found.exists and found.differences == ["its notActions differ from the four the platform requires"]
