"""Azure credentials and clients, pointed at the chosen cloud (or the sandbox's doubles)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .cloud import AzureCloud
from .errors import azure_call

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


@dataclass(frozen=True)
class ServicePrincipal:
    tenant_id: str
    client_id: str


def secret_credential(cloud: AzureCloud, sp: ServicePrincipal, secret: str) -> TokenCredential:
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(
        sp.tenant_id, sp.client_id, secret, authority=cloud.authority,
        # Without this msal asks the public cloud to validate a custom authority.
        disable_instance_discovery=cloud.is_custom, **_verify(cloud))


def check_token(cloud: AzureCloud, credential: TokenCredential) -> None:
    """Proves the credential works: Entra ID issues it a token for ARM."""
    with azure_call("sign in to Azure"):
        credential.get_token(cloud.arm_scope)


def _verify(cloud: AzureCloud) -> dict[str, Any]:
    return {"connection_verify": cloud.ca_path} if cloud.ca_path else {}


def mgmt_kwargs(cloud: AzureCloud) -> dict[str, Any]:
    """What every azure-mgmt client needs to talk to this cloud."""
    # Three retries (azure-core waits as a 429's Retry-After says) instead of ten: a user waiting
    # at a screen is better told "throttled, retry later" than kept waiting for minutes.
    return {"base_url": cloud.arm, "credential_scopes": [cloud.arm_scope], "retry_total": 3,
            **_verify(cloud)}
