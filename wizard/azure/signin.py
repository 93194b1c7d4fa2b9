"""Signing in: an admin with a device code (works in any terminal, over SSH too), or an existing
service principal's credentials typed in. Either way, list the subscriptions it can see."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CloudError
from .cloud import AzureCloud
from .credentials import ServicePrincipal, check_token, mgmt_kwargs, secret_credential
from .errors import azure_call

# The Azure CLI's public client ID: Entra ID lets any tenant's users sign in to it with a device
# code and it is pre-consented for ARM and Microsoft Graph, so no app registration is needed.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
DEVICE_CODE_TIMEOUT_S = 900  # Entra ID's own lifetime for a device code


@dataclass(frozen=True)
class DeviceCodePrompt:
    url: str
    code: str


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    name: str
    state: str
    tenant_id: str

    @property
    def usable(self) -> bool:
        return self.state == "Enabled"


@dataclass(frozen=True)
class SignedIn:
    credential: object
    who: str          # the user's UPN, or the service principal's client ID
    tenant_id: str


def device_code_sign_in(cloud: AzureCloud, show: Callable[[DeviceCodePrompt], None],
                        tenant: str = "organizations", scope: str = "") -> SignedIn:
    """Blocks until the user has entered the code at the URL (or it expires). `show` is called
    once, first, with the URL and code; nothing else is launched, so this works over SSH.
    `scope` is what the first token is for (ARM unless said: the setup; Graph: the rotation)."""
    from azure.identity import DeviceCodeCredential

    kwargs = {"connection_verify": cloud.ca_path} if cloud.ca_path else {}
    credential = DeviceCodeCredential(
        client_id=AZURE_CLI_CLIENT_ID, tenant_id=tenant, authority=cloud.authority,
        disable_instance_discovery=cloud.is_custom, timeout=DEVICE_CODE_TIMEOUT_S,
        prompt_callback=lambda url, code, _expires: show(DeviceCodePrompt(url, code)), **kwargs)
    with azure_call("sign you in with the device code"):
        record = credential.authenticate(scopes=[scope or cloud.arm_scope])
    return SignedIn(credential, record.username, record.tenant_id)


def service_principal_sign_in(cloud: AzureCloud, tenant_id: str, client_id: str,
                              secret: str) -> SignedIn:
    credential = secret_credential(cloud, ServicePrincipal(tenant_id, client_id), secret)
    check_token(cloud, credential)
    return SignedIn(credential, client_id, tenant_id)


def subscriptions(cloud: AzureCloud, credential) -> list[Subscription]:
    from azure.mgmt.subscription import SubscriptionClient

    with azure_call("list your subscriptions"):
        found = list(SubscriptionClient(credential, **mgmt_kwargs(cloud)).subscriptions.list())
    return sorted((Subscription(s.subscription_id, s.display_name or s.subscription_id,
                                str(s.state or ""), getattr(s, "tenant_id", "") or "")
                   for s in found), key=lambda s: (not s.usable, s.name.lower()))


def no_subscriptions(who: str) -> CloudError:
    return CloudError("No subscriptions to use",
                      f"{who} can see no Azure subscription.",
                      "Sign in as someone with access to a subscription (Owner, to set everything up), "
                      "or, for a service principal, give it a role on the subscription first.",
                      code="NoSubscriptions")


# The admin who signed in with a device code, for this process only: a relaunch asks again
# (the wizard keeps no refresh token on disk).
_admin: SignedIn | None = None


def remember_admin(signed: SignedIn | None) -> None:
    global _admin
    _admin = signed


def setup_credential(azure, secrets, cloud: AzureCloud | None = None):
    """Who does the setup steps: the admin signed in this session, or the service principal
    whose credentials were typed in."""
    from .cloud import current_cloud
    from .connection import porter_credential

    if azure.signin_method == "device":
        if _admin is None or _admin.tenant_id != azure.tenant_id:
            raise CloudError("Sign in again",
                             "The device-code sign-in lasts only while the wizard runs, and this is "
                             "a new session.", "Press Esc to go back to Sign in, then continue from "
                             "here: nothing done so far is lost.", code="SignInAgain")
        return _admin.credential
    return porter_credential(azure, secrets, cloud or current_cloud())
