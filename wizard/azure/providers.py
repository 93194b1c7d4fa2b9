"""The resource providers the cluster needs, registered at once and followed to Registered."""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import CloudError, WizardError
from .errors import azure_call

# The eleven from the platform's docs.
REQUIRED = ("Microsoft.Capacity", "Microsoft.Compute", "Microsoft.ContainerRegistry",
            "Microsoft.ContainerService", "Microsoft.ManagedIdentity", "Microsoft.Network",
            "Microsoft.OperationalInsights", "Microsoft.OperationsManagement",
            "Microsoft.ResourceGraph", "Microsoft.Resources", "Microsoft.Storage")
# Not in the docs' list, but the wizard reads and raises vCPU quotas through Microsoft.Quota,
# which answers MissingSubscriptionRegistration until it is registered.
FOR_THE_WIZARD = ("Microsoft.Quota",)
WHY = {"Microsoft.Quota": "for the wizard's quota step"}


@dataclass(frozen=True)
class ProviderState:
    namespace: str
    state: str  # NotRegistered, Registering, Registered, Unregistering, or "error"
    error: WizardError | None = None

    @property
    def done(self) -> bool:
        return self.state == "Registered" or self.error is not None


def register_all(client, on_state: Callable[[ProviderState], None], *,
                 cancelled: Callable[[], bool] = lambda: False,
                 sleep: Callable[[float], None] = time.sleep, poll_seconds: float = 5.0,
                 timeout_s: float = 900.0,
                 namespaces: tuple[str, ...] = REQUIRED) -> list[ProviderState]:
    """`client` is a ResourceManagementClient. Every provider is handled in its own thread, so
    one that registers slowly (Microsoft.ContainerService often takes minutes) holds no other."""

    def one(namespace: str) -> ProviderState:
        try:
            with azure_call(f"register {namespace}"):
                state = client.providers.get(namespace).registration_state
                on_state(ProviderState(namespace, state))
                if state != "Registered":
                    state = client.providers.register(namespace).registration_state
                deadline = time.monotonic() + timeout_s
                while state != "Registered":
                    on_state(ProviderState(namespace, state))
                    if cancelled():
                        return ProviderState(namespace, state)
                    if time.monotonic() > deadline:
                        raise CloudError(f"{namespace} is still {state}",
                                         f"Azure has been registering {namespace} for "
                                         f"{int(timeout_s / 60)} minutes.",
                                         "Check Subscriptions → Resource providers in the portal; "
                                         "press Retry later.", code="ProviderStuck", retryable=True)
                    sleep(poll_seconds)
                    state = client.providers.get(namespace).registration_state
        except WizardError as err:
            result = ProviderState(namespace, "error", err)
            on_state(result)
            return result
        result = ProviderState(namespace, "Registered")
        on_state(result)
        return result

    with ThreadPoolExecutor(max_workers=len(namespaces)) as pool:
        return list(pool.map(one, namespaces))


def resource_client(cloud, credential, subscription_id: str):
    from azure.mgmt.resource.resources import ResourceManagementClient

    from .credentials import mgmt_kwargs

    return ResourceManagementClient(credential, subscription_id, **mgmt_kwargs(cloud))
