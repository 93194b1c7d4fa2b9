"""Scripted DeleteStack failures for the sandbox front (see ``aws_front.stack_delete_fails``).

moto deletes every stack it is asked to, so on its own a sandbox can never show a stack that
CloudFormation could not delete. A script makes the next DeleteStack of a named stack end as
CloudFormation reports it, and the front answers that DeleteStack itself: moto never sees it, so
the stack and all its resources (the role and its attached policies too) stay, and a later
DeleteStack that is not scripted goes to moto and removes them, as a retry does in AWS.

The shapes, from AWS's documentation and what the service prints:
- The stack: StackStatus DELETE_FAILED with StackStatusReason "The following resource(s) failed
  to delete: [<LogicalId>]. " (as CloudFormation reports it: aws-cdk's "DELETE_FAILED (The
  following resource(s) failed to delete: [apiCorsEE047D24, staticRewrite57ABF371]. )", and the
  CloudFormation workshops' "Delete Failed: The following resource(s) failed to delete:
  [S3Bucket]"). Its events: DELETE_IN_PROGRESS ("User Initiated"), then the resource's
  DELETE_IN_PROGRESS and DELETE_FAILED, then the stack's DELETE_FAILED (newest first, as
  DescribeStackEvents lists them). "Find the failure event and then view the status reason for
  that event" (CloudFormation User Guide, Troubleshooting CloudFormation,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html).
- The resource's ResourceStatusReason: by default the IAM refusal CloudFormation shows when a
  role cannot be deleted, wrapped as a resource handler's message: IAM DeleteRole answers
  DeleteConflict, HTTP 409, "The request was rejected because it attempted to delete a resource
  that has attached subordinate entities" (IAM API Reference, DeleteRole,
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html), whose message for a
  role is "Cannot delete entity, must detach all policies first."; the handler's wrapping is the
  one CloudFormation prints, e.g. 'Resource handler returned message: "Cannot delete entity,
  must delete login profile first. (Service: Iam, Status Code: 409, Request ID: ...) (SDK Attempt
  Count: 1)" (RequestToken: ..., HandlerErrorCode: GeneralServiceException)'.
- A retry is allowed: "For stacks in the DELETE_FAILED state, a list of resource logical IDs ...
  you want to retain" (CloudFormation API Reference, DeleteStack, RetainResources,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html;
  AWS re:Post, "cloudformation-stack-delete-failed"). The front forwards it to moto, which
  deletes everything (it ignores RetainResources).

Nothing here logs: request bodies can carry credentials.
"""

from __future__ import annotations

import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from wizard.sandbox.aws_wire import CFN_NS, first
from wizard.sandbox.stack_script import (
    _STEP, _UNKNOWN_TYPE, STACK_TYPE, _dump, _event, _parse, _Run, _Step, _text, _when, set_status_reason,
)

DEFAULT_RESOURCE = "PorterManagerRole"  # the role in assets/porter-role.yaml
_IAM_CONFLICT = "Cannot delete entity, must detach all policies first."

#: Asks moto a CloudFormation query call with the caller's identity: (status, payload).
AskMoto = Callable[[Mapping[str, str]], tuple[int, bytes]]


def default_reason() -> str:
    return (f'Resource handler returned message: "{_IAM_CONFLICT} (Service: Iam, Status Code: 409, '
            f'Request ID: {uuid.uuid4()}) (SDK Attempt Count: 1)" (RequestToken: {uuid.uuid4()}, '
            "HandlerErrorCode: GeneralServiceException)")


@dataclass
class _Script:
    resource: str
    reason: str  # "" for default_reason(), made fresh for each failure
    in_progress_seconds: float
    remaining: int


def _name_of(target: str) -> str:
    # A stack ID is arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>.
    return target.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in target else target


def _answer() -> tuple[int, list[tuple[str, str]], bytes]:
    rid = str(uuid.uuid4())
    body = (f'<DeleteStackResponse xmlns="{CFN_NS}"><ResponseMetadata><RequestId>{rid}</RequestId>'
            "</ResponseMetadata></DeleteStackResponse>")
    return 200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], body.encode()


class StackDeletes:
    """The scripted delete failures and the attempts they made; safe from the front's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}
        self._attempts: dict[str, list[_Run]] = {}  # by StackId, oldest first

    def script(self, stack_name: str, *, resource: str, reason: str, in_progress_seconds: float,
               times: int) -> None:
        if not stack_name or not resource:
            raise ValueError("stack_name and resource must not be empty")
        if times < 1:
            raise ValueError("times must be >= 1")
        if in_progress_seconds < 0:
            raise ValueError("in_progress_seconds must be >= 0")
        with self._lock:
            self._scripts[stack_name] = _Script(resource, reason, float(in_progress_seconds), times)

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._attempts.clear()

    def intercept(self, fields: Mapping[str, list[str]], region: str, ask: AskMoto
                  ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The front's own answer to a DeleteStack scripted to fail, or None to forward it."""
        name = _name_of(first(fields, "StackName") or "")
        with self._lock:
            if name not in self._scripts:
                return None
        status, payload = ask({"Action": "DescribeStacks", "StackName": first(fields, "StackName") or ""})
        stacks = list(_parse(payload).iterfind("DescribeStacksResult/Stacks/member")) if status == 200 else []
        if not stacks or _text(stacks[0], "StackStatus").startswith("DELETE_COMPLETE"):
            return None  # no such stack: moto's own answer says so, and the script waits
        stack_id = _text(stacks[0], "StackId")
        status, payload = ask({"Action": "DescribeStackResources", "StackName": stack_id})
        found = {_text(m, "LogicalResourceId"): (_text(m, "ResourceType"), _text(m, "PhysicalResourceId"))
                 for m in (_parse(payload).iterfind("DescribeStackResourcesResult/StackResources/member")
                           if status == 200 else [])}
        with self._lock:
            script = self._scripts.get(name)
            if script is None:  # another request took the last one meanwhile
                return None
            script.remaining -= 1
            if script.remaining <= 0:
                del self._scripts[name]
            rtype, physical = found.get(script.resource, (_UNKNOWN_TYPE, ""))
            run = _Run(stack_id, name, region, datetime.now(timezone.utc), time.monotonic(), [])
            run.why = f"The following resource(s) failed to delete: [{script.resource}]. "
            seconds = script.in_progress_seconds
            for offset, logical, kind, state, why, phys in (
                    (0.0, name, STACK_TYPE, "DELETE_IN_PROGRESS", "User Initiated", stack_id),
                    (0.0, script.resource, rtype, "DELETE_IN_PROGRESS", "", physical),
                    (seconds, script.resource, rtype, "DELETE_FAILED", script.reason or default_reason(), physical),
                    (seconds, name, STACK_TYPE, "DELETE_FAILED", run.why, stack_id)):
                # Apart, so newest-first order never hinges on a tie.
                offset = max(offset, run.steps[-1].offset + _STEP) if run.steps else offset
                run.steps.append(_Step(offset, logical, kind, state, why, phys))
            self._attempts.setdefault(stack_id, []).append(run)
        return _answer()

    def on_response(self, action: str, status: int, payload: bytes) -> bytes:
        """moto's DescribeStacks / DescribeStackEvents answer with the failed deletes told."""
        if status != 200 or action not in ("DescribeStacks", "DescribeStackEvents"):
            return payload
        with self._lock:
            if not self._attempts:  # Nothing scripted: moto's bytes exactly.
                return payload
        root, now = _parse(payload), time.monotonic()
        changed = self._stacks(root, now) if action == "DescribeStacks" else self._events(root, now)
        return _dump(root) if changed else payload

    def _of(self, stack_id: str) -> list[_Run]:
        with self._lock:
            return list(self._attempts.get(stack_id, ()))

    def _stacks(self, root: ET.Element, now: float) -> bool:
        changed = False
        for member in root.iterfind("DescribeStacksResult/Stacks/member"):
            attempts = self._of(_text(member, "StackId"))
            # Once moto deleted the stack (a retry went through), its own answer is the truth.
            if not attempts or _text(member, "StackStatus").startswith("DELETE_"):
                continue
            latest = attempts[-1]
            status = latest.status(now)
            status_el = member.find("StackStatus")
            status_el.text = status
            reason_el = member.find("StackStatusReason")
            if status == "DELETE_FAILED":
                set_status_reason(member, status_el, latest.why)
            elif reason_el is not None:
                member.remove(reason_el)
            changed = True
        return changed

    def _events(self, root: ET.Element, now: float) -> bool:
        container = root.find("DescribeStackEventsResult/StackEvents")
        members = list(container) if container is not None else []
        attempts = self._of(_text(members[0], "StackId")) if members else []
        if not attempts:
            return False
        # Failed attempts stay in the stack's history, also once a retry deleted it.
        members.extend(_event(run, step) for run in attempts for step in run.visible(now))
        members.sort(key=_when, reverse=True)  # CloudFormation lists newest first.
        container[:] = members
        return True
