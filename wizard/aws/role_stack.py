"""The PorterRole CloudFormation stack: the role the platform assumes, with its ExternalId.

Two ways to create it: the wizard creates it with the user's credentials, or the user does in the
console through a quick-create link while the wizard watches. The template is ours
(assets/porter-role.yaml) or, when the user pasted the link from Porter's dashboard, the one that
link names (see porter_link). Either way an existing stack is reused or, only after the user
confirms, updated; never replaced behind their back.
"""
from __future__ import annotations

import os
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from assets import read_text

from ..errors import CloudError
from .console import console_host
from .errors import aws_call
# PLATFORM_PRINCIPAL and the parameter names are Porter's, defined once with the link's parser.
from .porter_link import EXTERNAL_ID_PARAM, PLATFORM_PRINCIPAL, TRUST_ARN_PARAM, PorterLink  # noqa: F401
from .session import client_config

if TYPE_CHECKING:
    import boto3

STACK_NAME = "PorterRole"
TEMPLATE_ASSET = "porter-role.yaml"
# Where Porter publishes its template: the URL its dashboard's link opens (porter-archive
# GrantAWSPermissions.tsx / CloudFormationForm.tsx), since the console's create page only accepts a
# template at an S3 URL. Override for a mirror, GovCloud or China.
DEFAULT_TEMPLATE_URL = "https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json"


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
    #: The role's ARN read from the stack's resources, for templates without a RoleArn output
    #: (Porter's own has none: zarf/cloudformation-policy.json).
    role_from_resources: str = ""

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
        return self.outputs.get("RoleArn", "") or self.role_from_resources

    @property
    def external_id(self) -> str:
        return self.parameters.get(EXTERNAL_ID_PARAM, "")


def new_external_id() -> str:
    # A uuid4, as Porter's dashboard makes it (CloudFormationForm.tsx: uuidv4()), so Porter's API
    # and support see the shape they know; inside AssumeRole's 2-1224 characters of [\w+=,.@:/-].
    return str(uuid.uuid4())


def template_body() -> str:
    return read_text(TEMPLATE_ASSET)


def template_url() -> str:
    return os.environ.get("PORTER_ROLE_TEMPLATE_URL", DEFAULT_TEMPLATE_URL)


def quick_create_url(region: str, partition: str, external_id: str) -> str:
    """The console page that creates the stack with our parameters filled in: the same page,
    template and parameter names as Porter's own link (GrantAWSPermissions.tsx), plus the region
    the wizard watches."""
    link = PorterLink(template_url(), STACK_NAME, {TRUST_ARN_PARAM: PLATFORM_PRINCIPAL})
    return link.with_external_id(external_id).console_url(region, console_host(partition))


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
        info = StackInfo(
            stack_id=s["StackId"], status=s["StackStatus"], reason=s.get("StackStatusReason", ""),
            outputs={o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])},
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in s.get("Parameters", [])},
            last_changed=s.get("LastUpdatedTime") or s.get("CreationTime"))
        if info.usable and not info.role_arn:
            info = replace(info, role_from_resources=self._role_resource(info.stack_id))
        return info

    def _role_resource(self, stack_id: str) -> str:
        with aws_call(f"read the {self.name} stack's resources"):
            resources = self._cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
        names = [r.get("PhysicalResourceId", "") for r in resources
                 if r.get("ResourceType") == "AWS::IAM::Role"
                 and r.get("ResourceStatus", "") in ("CREATE_COMPLETE", "UPDATE_COMPLETE")]
        # arn:<partition>:cloudformation:<region>:<account>:stack/...: the role is in that account.
        arn = stack_id.split(":")
        if not names or not names[0] or len(arn) < 5:
            return ""
        return f"arn:{arn[1]}:iam::{arn[4]}:role/{names[0]}"

    @staticmethod
    def _template(external_id: str, link: PorterLink | None) -> dict:
        """Our template, or the one Porter's link names with the link's parameters: exactly the
        stack the link would create in the console."""
        if link is None:
            return {"TemplateBody": template_body(), "Parameters": [
                {"ParameterKey": EXTERNAL_ID_PARAM, "ParameterValue": external_id}]}
        values = {**link.parameters, EXTERNAL_ID_PARAM: external_id}
        return {"TemplateURL": link.template_url, "Parameters": [
            {"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]}

    def create(self, external_id: str, link: PorterLink | None = None) -> str:
        with aws_call(f"create the {self.name} stack"):
            reply = self._cfn.create_stack(
                StackName=self.name, **self._template(external_id, link),
                # The template names its role, which CloudFormation only does when told it may.
                Capabilities=["CAPABILITY_NAMED_IAM"], OnFailure="ROLLBACK",
                Tags=[{"Key": "porter.run/managed-by", "Value": "porter-wizard"}])
        return reply["StackId"]

    def update(self, external_id: str, link: PorterLink | None = None) -> str:
        import botocore.exceptions

        with aws_call(f"update the {self.name} stack"):
            try:
                reply = self._cfn.update_stack(
                    StackName=self.name, **self._template(external_id, link),
                    Capabilities=["CAPABILITY_NAMED_IAM"])
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
