"""States of the Azure flow for tests that start part-way: signed in with the sandbox's seeded
service principal (Owner of the subscription), its secret in the test's keyring."""
from __future__ import annotations

from wizard.azure.connection import store_secret
from wizard.state import WizardState


def connected_azure_state(azure, step: str, secrets, *, region: str = "westeurope") -> WizardState:
    sp = azure.service_principal
    state = WizardState(step=step, project="demo", cloud="azure")
    az = state.azure
    az.signin_method, az.tenant_id, az.signed_in_as = "secret", azure.tenant_id, sp.client_id
    az.subscription_id, az.subscription_name = azure.subscription_id, azure.subscription_name
    az.client_id, az.app_object_id, az.sp_object_id = sp.client_id, sp.app_object_id, sp.object_id
    az.secret_key_id, az.region, az.tier = sp.key_id, region, "Free"
    store_secret(state, secrets, sp.client_secret, None)
    return state


def register_providers(azure, secrets, state: WizardState) -> None:
    """What the providers step does, done directly: later steps need Microsoft.Quota and the
    resource providers registered."""
    import time

    from wizard.azure import providers
    from wizard.azure.cloud import current_cloud
    from wizard.azure.connection import porter_credential

    client = providers.resource_client(current_cloud(), porter_credential(state.azure, secrets),
                                       azure.subscription_id)
    results = providers.register_all(client, lambda s: None, sleep=time.sleep, poll_seconds=0.02,
                                     namespaces=providers.REQUIRED + providers.FOR_THE_WIZARD)
    assert all(r.state == "Registered" for r in results)
