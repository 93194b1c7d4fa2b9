"""CloudFormation where moto is laxer than AWS in a way the wizard's update path depends on (issue 18).

- UpdateStack that changes nothing is refused. CloudFormation "compares the changes you submit
  with the current state of your stack and updates only the changed resources" (CloudFormation
  User Guide, "CloudFormation stack updates",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html);
  when there is no change at all, UpdateStack fails with a ValidationError whose message is
  "No updates are to be performed." (as the service answers it: aws/aws-cli#3249, boto/boto3#1609).
  moto runs the update anyway (UPDATE_IN_PROGRESS, UPDATE_COMPLETE), so the wizard's handling of
  that refusal (RoleStack.update) would never run in the sandbox.

No change means: the same template (parsed, so whitespace and JSON/YAML spelling do not count;
UsePreviousTemplate is the same), every parameter resolving to the value the stack has now (an
omitted one takes the template's Default, UsePreviousValue keeps it), and no tags or the tags the
stack has. A template given by TemplateURL is not compared (the front does not fetch it): the
request goes to moto. Nothing here logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wizard.sandbox.aws_wire import access_key_id, credential_scope, error_response, first, form, lower_headers
from wizard.sandbox.stack_roles import load_template

_Answer = tuple[int, list[tuple[str, str]], bytes]
NO_UPDATES = "No updates are to be performed."


def cfn_rule(moto: Any, action: str, headers: Mapping[str, str], body: bytes, path: str) -> _Answer | None:
    """CloudFormation's refusal of an UpdateStack that changes nothing, or None to forward."""
    if action != "UpdateStack":
        return None
    from botocore.exceptions import ClientError

    fields = form(body)
    cfn = moto.client("cloudformation", account=lower_headers(headers).get("x-moto-account-id", ""),
                      access_key=access_key_id(headers, path), region=credential_scope(headers, path)[1])
    name = first(fields, "StackName") or ""
    try:
        [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
        current = cfn.get_template(StackName=stack["StackId"])["TemplateBody"]
    except (ClientError, ValueError):
        return None  # no such stack: moto's own answer says so
    if _changes(fields, stack, current):
        return None
    return error_response("query", "cloudformation", "ValidationError", NO_UPDATES, 400)


def _changes(fields: Mapping[str, list[str]], stack: dict, current: Any) -> bool:
    """Whether the request asks for anything the stack does not already have."""
    if first(fields, "UsePreviousTemplate") == "true":
        template = load_template(current)
    else:
        body = first(fields, "TemplateBody")
        if body is None:
            return True  # TemplateURL: not compared
        template = load_template(body)
        if template != load_template(current):
            return True
    have = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    if _parameters(fields, template, have) != have:
        return True
    tags = _pairs(fields, "Tags", "Key", "Value")
    return bool(tags) and tags != {t["Key"]: t["Value"] for t in stack.get("Tags", [])}


def _parameters(fields: Mapping[str, list[str]], template: dict, have: dict[str, str]) -> dict[str, str]:
    """The values the stack's parameters would take after the update."""
    given = _pairs(fields, "Parameters", "ParameterKey", "ParameterValue")
    previous = {k for k, v in _pairs(fields, "Parameters", "ParameterKey", "UsePreviousValue").items()
                if v == "true"}
    values = {}
    for key, spec in (template.get("Parameters") or {}).items():
        if key in previous:
            values[key] = have.get(key, "")
        elif key in given:
            values[key] = given[key]
        elif isinstance(spec, dict) and "Default" in spec:
            values[key] = str(spec["Default"])
    return values


def _pairs(fields: Mapping[str, list[str]], member: str, key: str, value: str) -> dict[str, str]:
    """``<member>.member.N.<key>`` -> ``<member>.member.N.<value>`` from a query request."""
    prefix = f"{member}.member."
    out = {}
    for name, values in fields.items():
        if name.startswith(prefix) and name.endswith(f".{key}") and values:
            index = name[len(prefix):-len(key) - 1]
            found = first(fields, f"{prefix}{index}.{value}")
            if found is not None:
                out[values[0]] = found
    return out
