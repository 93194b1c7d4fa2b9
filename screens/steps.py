"""The order of the wizard's steps, and which screen shows each.

Screens are named as "module:Class" and imported only when reached, so that choosing one cloud
never imports another cloud's screens (or, through them, its SDK).
"""
from __future__ import annotations

import importlib

SCREENS = {
    "welcome": "screens.welcome:WelcomeScreen",
    "aws.porter": "screens.porter_mode:PorterModeScreen",
    "aws.account": "screens.aws_account:AwsAccountScreen",
    "aws.grant": "screens.aws_grant:AwsGrantScreen",
    "aws.verify": "screens.aws_verify:AwsVerifyScreen",
    "aws.handoff": "screens.handoff:HandoffScreen",
    "aws.connected": "screens.aws_connected:AwsConnectedScreen",
    "aws.region": "screens.aws_region:AwsRegionScreen",
    "aws.quotas": "screens.aws_quotas:AwsQuotasScreen",
    "aws.cost": "screens.aws_cost:AwsCostScreen",
    "aws.provision": "screens.aws_provision:AwsProvisionScreen",
    "aws.cluster": "screens.aws_cluster:AwsClusterScreen",
    "aws.teardown": "screens.aws_teardown:AwsTeardownScreen",
    "azure.porter": "screens.porter_mode:PorterModeScreen",
    "azure.signin": "screens.azure_signin:AzureSigninScreen",
    "azure.subscription": "screens.azure_subscription:AzureSubscriptionScreen",
    "azure.providers": "screens.azure_providers:AzureProvidersScreen",
    "azure.access": "screens.azure_access:AzureAccessScreen",
    "azure.handoff": "screens.handoff:HandoffScreen",
    "azure.region": "screens.azure_region:AzureRegionScreen",
    "azure.quotas": "screens.azure_quotas:AzureQuotasScreen",
    "azure.cost": "screens.azure_cost:AzureCostScreen",
    "azure.provision": "screens.azure_provision:AzureProvisionScreen",
    "azure.cluster": "screens.azure_cluster:AzureClusterScreen",
    "azure.teardown": "screens.azure_teardown:AzureTeardownScreen",
    "azure_rotate": "screens.azure_rotate:AzureRotateScreen",
    "gcp.porter": "screens.porter_mode:PorterModeScreen",
    "gcp.key": "screens.gcp_key:GcpKeyScreen",
    "gcp.apis": "screens.gcp_apis:GcpApisScreen",
    "gcp.handoff": "screens.handoff:HandoffScreen",
    "gcp.region": "screens.gcp_region:GcpRegionScreen",
    "gcp.checks": "screens.gcp_checks:GcpChecksScreen",
    "gcp.cost": "screens.gcp_cost:GcpCostScreen",
    "gcp.provision": "screens.gcp_provision:GcpProvisionScreen",
    "gcp.cluster": "screens.gcp_cluster:GcpClusterScreen",
    "gcp.teardown": "screens.gcp_teardown:GcpTeardownScreen",
}

# Each flow starts by asking how Porter is reached (its API, its dashboard by hand, or not yet),
# and hands the credentials to Porter as soon as the cloud's side of the access is set up.
FLOWS = {"aws": ["aws.porter", "aws.account", "aws.grant", "aws.verify", "aws.handoff",
                 "aws.connected", "aws.region", "aws.quotas", "aws.cost", "aws.provision",
                 "aws.cluster"],
         "azure": ["azure.porter", "azure.signin", "azure.subscription", "azure.providers",
                   "azure.access", "azure.handoff", "azure.region", "azure.quotas", "azure.cost",
                   "azure.provision", "azure.cluster"],
         "gcp": ["gcp.porter", "gcp.key", "gcp.apis", "gcp.handoff", "gcp.region", "gcp.checks",
                 "gcp.cost", "gcp.provision", "gcp.cluster"]}
# Steps outside the straight line, and where Back takes them.
# azure_rotate is pushed over whatever screen opened it and pops back there; "welcome" is only
# for a relaunch that finds it recorded as the step.
ASIDE = {"aws.teardown": "aws.cluster", "azure.teardown": "azure.cluster", "azure_rotate": "welcome",
         "gcp.teardown": "gcp.cluster"}
CLOUD_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}

TITLES = {
    "welcome": "Welcome",
    "aws.porter": "Connect to Porter",
    "aws.account": "Your AWS account",
    "aws.grant": "Grant permissions",
    "aws.verify": "Verify the role",
    "aws.handoff": "Hand off to Porter",
    "aws.connected": "Connected",
    "aws.region": "Region",
    "aws.quotas": "Service quotas",
    "aws.cost": "Cost review",
    "aws.provision": "Provision",
    "aws.cluster": "Your cluster",
    "aws.teardown": "Tear down",
    "azure.porter": "Connect to Porter",
    "azure.signin": "Sign in to Azure",
    "azure.subscription": "Subscription",
    "azure.providers": "Resource providers",
    "azure.access": "Role and service principal",
    "azure.handoff": "Hand off to Porter",
    "azure.region": "Region",
    "azure.quotas": "vCPU quotas",
    "azure.cost": "Cost and tier",
    "azure.provision": "Provision",
    "azure.cluster": "Your cluster",
    "azure.teardown": "Tear down",
    "azure_rotate": "Rotate the Azure client secret",
    "gcp.porter": "Connect to Porter",
    "gcp.key": "Service-account key",
    "gcp.apis": "Enable the APIs",
    "gcp.handoff": "Hand off to Porter",
    "gcp.region": "Region",
    "gcp.checks": "Provision checks",
    "gcp.cost": "Cost review",
    "gcp.provision": "Provision",
    "gcp.cluster": "Your cluster",
    "gcp.teardown": "Tear down",
}


def screen_class(step: str) -> type:
    module_name, _, class_name = SCREENS[step].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def previous_step(step: str) -> str | None:
    if step in ASIDE:
        return ASIDE[step]
    for flow in FLOWS.values():
        if step in flow:
            index = flow.index(step)
            return flow[index - 1] if index else "welcome"
    return None


def next_step(step: str) -> str | None:
    """The step after this one in its cloud's flow (None at the end or outside a flow)."""
    for flow in FLOWS.values():
        if step in flow:
            index = flow.index(step)
            return flow[index + 1] if index + 1 < len(flow) else None
    return None


def position(step: str) -> tuple[int, int] | None:
    """(n, of) for the step bar, or None outside a cloud's flow."""
    for flow in FLOWS.values():
        if step in flow:
            return flow.index(step) + 1, len(flow)
    return None
