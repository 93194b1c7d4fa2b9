"""Which Azure cloud the wizard talks to: its sign-in authority, ARM and Graph endpoints.

AZURE_CLOUD picks a sovereign cloud as the Azure SDKs' own setting does (AzurePublicCloud,
AzureChinaCloud, AzureUSGovernment); AZURE_AUTHORITY_HOST (azure-identity's own setting) and
PORTER_AZURE_ARM_URL / PORTER_AZURE_GRAPH_URL override single endpoints, which is how the tests
and the sandbox reach their local doubles.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

_CLOUDS = {
    "AzurePublicCloud": ("https://login.microsoftonline.com", "https://management.azure.com",
                         "https://graph.microsoft.com"),
    "AzureChinaCloud": ("https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn",
                        "https://microsoftgraph.chinacloudapi.cn"),
    "AzureUSGovernment": ("https://login.microsoftonline.us", "https://management.usgovcloudapi.net",
                          "https://graph.microsoft.us"),
}


@dataclass(frozen=True)
class AzureCloud:
    authority: str
    arm: str
    graph: str
    #: A CA bundle for a private endpoint (the sandbox's doubles); None means the system's.
    ca_path: str | None = None

    @property
    def arm_scope(self) -> str:
        return f"{self.arm.rstrip('/')}/.default"

    @property
    def graph_scope(self) -> str:
        return f"{self.graph.rstrip('/')}/.default"

    @property
    def is_custom(self) -> bool:
        return self.authority not in {a for a, _, _ in _CLOUDS.values()}


def current_cloud() -> AzureCloud:
    name = os.environ.get("AZURE_CLOUD", "AzurePublicCloud")
    authority, arm, graph = _CLOUDS.get(name, _CLOUDS["AzurePublicCloud"])
    return AzureCloud(
        authority=os.environ.get("AZURE_AUTHORITY_HOST", authority).rstrip("/"),
        arm=os.environ.get("PORTER_AZURE_ARM_URL", arm).rstrip("/"),
        graph=os.environ.get("PORTER_AZURE_GRAPH_URL", graph).rstrip("/"),
        ca_path=os.environ.get("PORTER_AZURE_CA_BUNDLE") or None)
