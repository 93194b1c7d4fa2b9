"""Scripted CloudFormation stack outcomes for the sandbox front (see ``aws_front``).

moto finishes every stack inside CreateStack, so on its own a sandbox can never show a stack
that is still being created, nor one whose creation failed and rolled back. A script notes when
a stack was created and rewrites moto's DescribeStacks / DescribeStackEvents answers (query
protocol XML) to tell the story CloudFormation would tell for the time that has passed.

moto's own state is left alone: the template's resources exist in moto from the start, even
while the stack is shown as in progress or rolled back, until DeleteStack removes them.
Nothing here logs: request bodies can carry credentials.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from wizard.sandbox.aws_wire import CFN_NS, _yaml_load, first

DEFAULT_REASON = 'Resource handler returned message: "porter-manager already exists"'
ACTIONS = frozenset({"CreateStack", "DeleteStack", "DescribeStacks", "DescribeStackEvents"})
STACK_TYPE = "AWS::CloudFormation::Stack"
# A failing resource the template does not declare still needs some type to show.
_UNKNOWN_TYPE = "AWS::CloudFormation::CustomResource"
# Scripted events at least this far apart, so newest-first order never hinges on a tie.
_STEP = 0.001


@dataclass
class _Script:
    in_progress_seconds: float
    fail_resource: str | None
    reason: str
    remaining: int


@dataclass(frozen=True)
class _Step:
    offset: float  # seconds after the stack was created
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""
    # Fixed once: the wizard tells events apart by EventId across polls.
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class _Run:
    stack_id: str
    stack_name: str
    region: str
    created_wall: datetime
    created_mono: float
    steps: list[_Step]
    why: str = ""  # StackStatusReason once rolling back
    deleted_mono: float | None = None

    def elapsed(self, now_mono: float) -> float:
        # A deleted stack's story stops where it was; moto's own delete events follow it.
        end = self.deleted_mono if self.deleted_mono is not None else now_mono
        return end - self.created_mono

    def visible(self, now_mono: float) -> list[_Step]:
        elapsed = self.elapsed(now_mono)
        return [s for s in self.steps if s.offset <= elapsed]

    def status(self, now_mono: float) -> str:
        stack_steps = [s for s in self.visible(now_mono) if s.resource_type == STACK_TYPE]
        return stack_steps[-1].status if stack_steps else "CREATE_IN_PROGRESS"

    def timestamp(self, offset: float) -> str:
        return _iso(self.created_wall + timedelta(seconds=offset))


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def template_resources(template_body: str | None) -> list[tuple[str, str]]:
    """(logical ID, type) of each resource, in template order; [] when unreadable."""
    if not template_body:
        return []
    try:
        doc = json.loads(template_body)
    except ValueError:
        try:
            doc = _yaml_load(template_body)
        except Exception:  # any YAML error: no resources to show, the stack still works
            return []
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        return []
    return [(str(k), str(v.get("Type", ""))) for k, v in resources.items() if isinstance(v, dict)]


def _timeline(run: _Run, resources: list[tuple[str, str]], physical: Mapping[str, str],
              seconds: float, fail: str | None, reason: str) -> None:
    steps = run.steps

    def add(target: float, logical: str, rtype: str, status: str, why: str = "", phys: str = "") -> None:
        offset = max(target, (steps[-1].offset if steps else 0.0) + _STEP)
        steps.append(_Step(offset, logical, rtype, status, why, phys))

    def stack(status: str, why: str = "") -> None:
        add(seconds, run.stack_name, STACK_TYPE, status, why, run.stack_id)

    if fail is not None and fail not in dict(resources):
        resources = [*resources, (fail, _UNKNOWN_TYPE)]
    for logical, rtype in resources:
        add(seconds / 2, logical, rtype, "CREATE_IN_PROGRESS")
    others = [(logical, rtype) for logical, rtype in resources if logical != fail]
    for logical, rtype in others:
        add(seconds, logical, rtype, "CREATE_COMPLETE", phys=physical.get(logical, ""))
    if fail is None:
        stack("CREATE_COMPLETE")  # Stands for moto's own event, which is only re-timed.
        return
    run.why = f"The following resource(s) failed to create: [{fail}]. Rollback requested by user."
    fail_type = dict(resources)[fail]
    add(seconds, fail, fail_type, "CREATE_FAILED", reason)
    stack("ROLLBACK_IN_PROGRESS", run.why)
    for logical, rtype in others:
        add(seconds, logical, rtype, "DELETE_COMPLETE", phys=physical.get(logical, ""))
    add(seconds, fail, fail_type, "DELETE_COMPLETE")
    stack("ROLLBACK_COMPLETE")


# --- XML ---------------------------------------------------------------------------

def _parse(payload: bytes) -> ET.Element:
    root = ET.fromstring(payload)
    # Bare tag names make lookups simple; the namespace goes back on in _dump.
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def _dump(root: ET.Element) -> bytes:
    # As a plain attribute, so the answer reads like AWS's (no ns0: prefixes).
    root.set("xmlns", CFN_NS)
    return ET.tostring(root, encoding="unicode").encode("utf-8")


def set_status_reason(member: ET.Element, status_el: ET.Element, why: str) -> None:
    """A stack's StackStatusReason, right after its StackStatus as CloudFormation orders them."""
    reason_el = member.find("StackStatusReason")
    if reason_el is None:
        reason_el = ET.Element("StackStatusReason")
        member.insert(list(member).index(status_el) + 1, reason_el)
    reason_el.text = why


def _text(el: ET.Element, path: str) -> str:
    child = el.find(path)
    return (child.text or "") if child is not None else ""


def _when(event: ET.Element) -> datetime:
    try:
        return datetime.fromisoformat(_text(event, "Timestamp").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def _event(run: _Run, step: _Step) -> ET.Element:
    event = ET.Element("member")
    fields = [("StackId", run.stack_id), ("EventId", step.event_id), ("StackName", run.stack_name),
              ("LogicalResourceId", step.logical_id), ("PhysicalResourceId", step.physical_id),
              ("ResourceType", step.resource_type), ("Timestamp", run.timestamp(step.offset)),
              ("ResourceStatus", step.status)]
    if step.reason:
        fields.append(("ResourceStatusReason", step.reason))
    for tag, value in fields:
        ET.SubElement(event, tag).text = value
    return event


def physical_ids(payload: bytes) -> dict[str, str]:
    """LogicalResourceId -> PhysicalResourceId from a DescribeStackResources answer."""
    root = _parse(payload)
    return {_text(m, "LogicalResourceId"): _text(m, "PhysicalResourceId")
            for m in root.iterfind("DescribeStackResourcesResult/StackResources/member")}


class StackScripts:
    """The scripts and the stacks they apply to; safe to use from the front's threads."""

    def __init__(self, default_seconds: float = 0.0) -> None:
        if default_seconds < 0:
            raise ValueError("default_stack_seconds must be >= 0")
        self.default_seconds = float(default_seconds)
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}
        self._runs: dict[str, _Run] = {}

    def script(self, stack_name: str, *, in_progress_seconds: float, fail_resource: str | None,
               reason: str, times: int) -> None:
        if not stack_name:
            raise ValueError("stack_name must not be empty")
        if times < 1:
            raise ValueError("times must be >= 1")
        if in_progress_seconds < 0:
            raise ValueError("in_progress_seconds must be >= 0")
        script = _Script(float(in_progress_seconds), fail_resource or None, reason or DEFAULT_REASON, times)
        with self._lock:
            self._scripts[stack_name] = script

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._runs.clear()

    def on_response(self, action: str, fields: Mapping[str, list[str]], region: str, status: int,
                    payload: bytes, lookup_physical: Callable[[str], dict[str, str]]) -> bytes:
        """moto's answer to a CloudFormation query call, as the scripts would have it."""
        if status != 200 or action not in ACTIONS:
            return payload
        if action == "CreateStack":
            self._created(fields, region, payload, lookup_physical)
            return payload
        if action == "DeleteStack":
            self._deleted(first(fields, "StackName") or "", region)
            return payload
        with self._lock:
            if not self._runs:  # Nothing scripted: moto's bytes exactly.
                return payload
        root = _parse(payload)
        now = time.monotonic()
        changed = self._stacks(root, now) if action == "DescribeStacks" else self._events(root, now)
        return _dump(root) if changed else payload

    def _run(self, stack_id: str) -> _Run | None:
        with self._lock:
            return self._runs.get(stack_id)

    def _created(self, fields: Mapping[str, list[str]], region: str, payload: bytes,
                 lookup_physical: Callable[[str], dict[str, str]]) -> None:
        created_wall, created_mono = datetime.now(timezone.utc), time.monotonic()
        name = first(fields, "StackName") or ""
        with self._lock:
            script = self._scripts.get(name)
            if script is not None:
                script.remaining -= 1
                if script.remaining <= 0:
                    del self._scripts[name]
            elif self.default_seconds > 0:
                script = _Script(self.default_seconds, None, DEFAULT_REASON, 1)
            else:
                return
        stack_id = _text(_parse(payload), "CreateStackResult/StackId")
        if not stack_id:
            return
        resources = template_resources(first(fields, "TemplateBody"))
        # Outside the lock: this asks moto, and other requests must not wait for it.
        physical = lookup_physical(stack_id) if resources else {}
        run = _Run(stack_id, name, region, created_wall, created_mono, [])
        _timeline(run, resources, physical, script.in_progress_seconds, script.fail_resource, script.reason)
        with self._lock:
            self._runs[stack_id] = run

    def _deleted(self, target: str, region: str) -> None:
        with self._lock:
            run = self._runs.get(target)
            if run is None:
                # A name means the live stack of that name in the caller's region.
                live = [r for r in self._runs.values()
                        if r.deleted_mono is None and r.stack_name == target and r.region == region]
                run = max(live, key=lambda r: r.created_mono, default=None)
            if run is not None and run.deleted_mono is None:
                run.deleted_mono = time.monotonic()

    def _stacks(self, root: ET.Element, now: float) -> bool:
        changed = False
        for member in root.iterfind("DescribeStacksResult/Stacks/member"):
            run = self._run(_text(member, "StackId"))
            # Once moto's stack moved on (deleted, updated), its own answer is the truth.
            if run is None or run.deleted_mono is not None or _text(member, "StackStatus") != "CREATE_COMPLETE":
                continue
            status = run.status(now)
            if status == "CREATE_COMPLETE":
                continue
            status_el = member.find("StackStatus")
            status_el.text = status
            if status.startswith("ROLLBACK"):
                set_status_reason(member, status_el, run.why)
            # Outputs only exist once a stack is complete, and never after a rollback.
            for outputs in member.findall("Outputs"):
                member.remove(outputs)
            changed = True
        return changed

    def _events(self, root: ET.Element, now: float) -> bool:
        container = root.find("DescribeStackEventsResult/StackEvents")
        members = list(container) if container is not None else []
        run = self._run(_text(members[0], "StackId")) if members else None
        if run is None:
            return False
        kept: list[ET.Element] = []
        moto_done: list[ET.Element] = []
        for m in members:
            if _text(m, "ResourceStatus") != "CREATE_COMPLETE":
                kept.append(m)
            elif _text(m, "ResourceType") == STACK_TYPE and _text(m, "LogicalResourceId") == run.stack_name:
                moto_done.append(m)
        for step in run.visible(now):
            if step.resource_type == STACK_TYPE and step.status == "CREATE_COMPLETE" and moto_done:
                # moto stamps it at creation; after the scripted resource events it belongs.
                for m in moto_done:
                    m.find("Timestamp").text = run.timestamp(step.offset)
                kept.extend(moto_done)
            else:
                kept.append(_event(run, step))
        kept.sort(key=_when, reverse=True)  # CloudFormation lists newest first.
        container[:] = kept
        return True
