"""The PorterRole CloudFormation stack: the role the platform assumes, with its ExternalId.

Two ways to create it: the wizard creates it with the user's credentials, or the user does in the
console through a quick-create link while the wizard watches. Either way an existing stack is
reused or, only after the user confirms, updated; never replaced behind their back.
"""
from __future__ import annotations

import os
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from assets import read_text

from ..errors import CloudError
from .console import console_host
from .errors import aws_call
from .session import client_config

if TYPE_CHECKING:
    import boto3

STACK_NAME = "PorterRole"
#: The platform identity the role trusts: the template's PlatformPrincipalArn default.
PLATFORM_PRINCIPAL = "arn:aws:iam::108458755588:role/CAPIManagement"
TEMPLATE_ASSET = "porter-role.yaml"
# Where the platform publishes assets/porter-role.yaml for the console's quick-create page, which
# only accepts a template at an S3 URL. Override for a mirror, GovCloud or China.
DEFAULT_TEMPLATE_URL = "https://porter-cloudformation.s3.amazonaws.com/porter-role/porter-role.yaml"



@dataclass(frozen=True)
class StackEvent:
    event_id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime | None

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


@dataclass(frozen=True)
class StackInfo:
    stack_id: str
    status: str
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    last_changed: datetime | None = None

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    @property
    def usable(self) -> bool:
        """The role exists and is as the last successful operation left it."""
        return self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
                               "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE")

    @property
    def dead(self) -> bool:
        """A stack that can only be deleted (a failed create leaves ROLLBACK_COMPLETE)."""
        return self.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED",
                               "DELETE_FAILED")

    @property
    def role_arn(self) -> str:
        return self.outputs.get("RoleArn", "")


def new_external_id() -> str:
    # 128 random bits in hex: easy to read out on a support call, and inside both AssumeRole's
    # 2-1224 character limit and the template's AllowedPattern.
    return "porter-" + secrets.token_hex(16)


def template_body() -> str:
    return read_text(TEMPLATE_ASSET)


def template_url() -> str:
    return os.environ.get("PORTER_ROLE_TEMPLATE_URL", DEFAULT_TEMPLATE_URL)


def quick_create_url(region: str, partition: str, external_id: str) -> str:
    """The console page that creates the stack with our parameters filled in."""
    host = console_host(partition)
    query = urllib.parse.urlencode({"templateURL": template_url(), "stackName": STACK_NAME,
                                    "param_ExternalId": external_id})
    return f"https://{host}/cloudformation/home?region={region}#/stacks/quickcreate?{query}"


def stack_console_url(region: str, partition: str, stack_id: str) -> str:
    host = console_host(partition)
    return (f"https://{host}/cloudformation/home?region={region}#/stacks/stackinfo?"
            + urllib.parse.urlencode({"stackId": stack_id}))


class RoleStack:
    """Operations on the PorterRole stack in one region of one account."""

    def __init__(self, session: boto3.Session, region: str, name: str = STACK_NAME) -> None:
        self.name = name
        self.region = region
        self._cfn = session.client("cloudformation", region_name=region, config=client_config())

    def describe(self) -> StackInfo | None:
        import botocore.exceptions

        with aws_call(f"look up the {self.name} stack"):
            try:
                stacks = self._cfn.describe_stacks(StackName=self.name)["Stacks"]
            except botocore.exceptions.ClientError as exc:
                # CloudFormation answers a missing stack with a ValidationError, not a 404.
                if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
                    return None
                raise
        if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
            return None
        s = stacks[0]
        return StackInfo(
            stack_id=s["StackId"], status=s["StackStatus"], reason=s.get("StackStatusReason", ""),
            outputs={o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])},
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in s.get("Parameters", [])},
            last_changed=s.get("LastUpdatedTime") or s.get("CreationTime"))

    def _parameters(self, external_id: str) -> list[dict[str, str]]:
        return [{"ParameterKey": "ExternalId", "ParameterValue": external_id}]

    def create(self, external_id: str) -> str:
        with aws_call(f"create the {self.name} stack"):
            reply = self._cfn.create_stack(
                StackName=self.name, TemplateBody=template_body(),
                Parameters=self._parameters(external_id),
                # The template names its role, which CloudFormation only does when told it may.
                Capabilities=["CAPABILITY_NAMED_IAM"], OnFailure="ROLLBACK",
                Tags=[{"Key": "porter.run/managed-by", "Value": "porter-wizard"}])
        return reply["StackId"]

    def update(self, external_id: str) -> str:
        import botocore.exceptions

        with aws_call(f"update the {self.name} stack"):
            try:
                reply = self._cfn.update_stack(
                    StackName=self.name, TemplateBody=template_body(),
                    Parameters=self._parameters(external_id), Capabilities=["CAPABILITY_NAMED_IAM"])
            except botocore.exceptions.ClientError as exc:
                if "No updates are to be performed" in exc.response.get("Error", {}).get("Message", ""):
                    info = self.describe()
                    return info.stack_id if info else ""
                raise
        return reply["StackId"]

    def delete(self) -> None:
        with aws_call(f"delete the {self.name} stack"):
            self._cfn.delete_stack(StackName=self.name)

    def delete_and_wait(self, on_event: Callable[[StackEvent], None], *,
                        cancelled: Callable[[], bool], poll_seconds: float = 3.0,
                        sleep: Callable[[float], None] = time.sleep) -> bool:
        """Delete the stack and wait until it is gone; False if cancelled while waiting."""
        info = self.describe()
        if info is None:
            return True
        self.delete()
        seen: set[str] = set()
        while not cancelled():
            current = self.describe()
            if current is None:
                return True
            for event in self.events(info.stack_id):
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    on_event(event)
            if current.status == "DELETE_FAILED":
                raise CloudError("The stack could not be deleted",
                                 failure_reason(self.events(info.stack_id)) or current.reason,
                                 "Delete what blocks it in the CloudFormation console (the event "
                                 "above names it), then press Retry.", code="DELETE_FAILED")
            sleep(poll_seconds)
        return False

    def template_matches(self) -> bool:
        """Whether the deployed template is the one this wizard ships."""
        with aws_call(f"read the {self.name} stack's template"):
            body = self._cfn.get_template(StackName=self.name)["TemplateBody"]
        if not isinstance(body, str):  # CloudFormation parses JSON templates into a dict
            return False
        return body.strip() == template_body().strip()

    def events(self, stack_id: str | None = None) -> list[StackEvent]:
        """All events of the stack, oldest first."""
        with aws_call(f"read the {self.name} stack's events"):
            pages = self._cfn.get_paginator("describe_stack_events").paginate(
                StackName=stack_id or self.name)
            raw = [e for page in pages for e in page["StackEvents"]]
        events = [StackEvent(event_id=e["EventId"], logical_id=e.get("LogicalResourceId", ""),
                             resource_type=e.get("ResourceType", ""),
                             status=e.get("ResourceStatus", ""),
                             reason=e.get("ResourceStatusReason", "") or "",
                             timestamp=e.get("Timestamp")) for e in raw]
        return list(reversed(events))

    def watch(self, on_event: Callable[[StackEvent], None], *, cancelled: Callable[[], bool],
              wait_for_stack: bool = False, poll_seconds: float = 3.0,
              sleep: Callable[[float], None] = time.sleep) -> StackInfo | None:
        """Report new events until the stack stops changing; returns its final state.

        With wait_for_stack, a stack that does not exist yet is waited for (the console path,
        where the user creates it in a browser). Returns None only if cancelled first.
        """
        seen: set[str] = set()
        while not cancelled():
            info = self.describe()
            if info is not None:
                for event in self.events(info.stack_id):
                    if event.event_id not in seen:
                        seen.add(event.event_id)
                        on_event(event)
                if not info.in_progress:
                    return info
            elif not wait_for_stack:
                raise CloudError("The stack disappeared",
                                 f"{self.name} was deleted while the wizard was watching it.",
                                 "Start the Grant step again.", code="StackGone")
            sleep(poll_seconds)
        return None


def failure_reason(events: list[StackEvent]) -> str:
    """The first failed event's reason: the cause, not the rollback's echo of it."""
    for event in events:
        if event.failed and event.reason and "cancelled" not in event.reason.lower():
            return f"{event.logical_id} ({event.resource_type}): {event.reason}"
    for event in events:
        if event.failed:
            return f"{event.logical_id}: {event.reason or event.status}"
    return ""
