"""The order of the wizard's steps, and which screen shows each.

Screens are named as "module:Class" and imported only when reached, so that choosing one cloud
never imports another cloud's screens (or, through them, its SDK).
"""
from __future__ import annotations

import importlib

SCREENS = {
    "welcome": "screens.welcome:WelcomeScreen",
    "aws.account": "screens.aws_account:AwsAccountScreen",
    "aws.grant": "screens.aws_grant:AwsGrantScreen",
    "aws.verify": "screens.aws_verify:AwsVerifyScreen",
    "aws.connected": "screens.aws_connected:AwsConnectedScreen",
    "aws.region": "screens.aws_region:AwsRegionScreen",
    "aws.quotas": "screens.aws_quotas:AwsQuotasScreen",
    "aws.cost": "screens.aws_cost:AwsCostScreen",
    "aws.provision": "screens.aws_provision:AwsProvisionScreen",
    "aws.cluster": "screens.aws_cluster:AwsClusterScreen",
    "aws.teardown": "screens.aws_teardown:AwsTeardownScreen",
}

FLOWS = {"aws": ["aws.account", "aws.grant", "aws.verify", "aws.connected", "aws.region",
                 "aws.quotas", "aws.cost", "aws.provision", "aws.cluster"]}
# Steps outside the straight line, and where Back takes them.
ASIDE = {"aws.teardown": "aws.cluster"}

TITLES = {
    "welcome": "Welcome",
    "aws.account": "Your AWS account",
    "aws.grant": "Grant permissions",
    "aws.verify": "Verify the role",
    "aws.connected": "Connected",
    "aws.region": "Region",
    "aws.quotas": "Service quotas",
    "aws.cost": "Cost review",
    "aws.provision": "Provision",
    "aws.cluster": "Your cluster",
    "aws.teardown": "Tear down",
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


def position(step: str) -> tuple[int, int] | None:
    """(n, of) for the step bar, or None outside a cloud's flow."""
    for flow in FLOWS.values():
        if step in flow:
            return flow.index(step) + 1, len(flow)
    return None
