"""What moto's CloudFormation leaves out of an AWS::IAM::Role, put back after the fact.

moto creates a stack's role without its ManagedPolicyArns, and a stack update changes neither
the role's trust policy nor its policies; CloudFormation does both (CloudFormation User Guide,
AWS::IAM::Role: ManagedPolicyArns, AssumeRolePolicyDocument "Update requires: No interruption").
The wizard's verification reads exactly those, so once moto has created or updated a stack the
front calls ``sync_stack_roles``: it resolves the template's few intrinsic functions (Ref, Sub,
If, Join, Select, the condition functions) and attaches the missing managed policies and writes
the trust policy through moto's own IAM API. Nothing here logs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wizard.sandbox.aws_wire import as_list, policy_document
from wizard.sandbox.moto_iam import MotoClients

_NO_VALUE = object()  # AWS::NoValue: the property is left out
_SUB = re.compile(r"\$\{(!?)([^}]+)\}")


def load_template(text: Any) -> dict:
    """A template as data, YAML short forms (!Ref, !Sub...) turned into their long forms."""
    if isinstance(text, dict):
        return text
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml  # comes with moto

        class _Loader(yaml.SafeLoader):
            pass

        def _intrinsic(loader: Any, suffix: str, node: Any) -> Any:
            if isinstance(node, yaml.MappingNode):
                value: Any = loader.construct_mapping(node, deep=True)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_scalar(node)
            if suffix == "Ref" or suffix == "Condition":
                return {suffix: value}
            if suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
            return {f"Fn::{suffix}": value}

        _Loader.add_multi_constructor("!", _intrinsic)
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    return doc if isinstance(doc, dict) else {}


class Resolver:
    def __init__(self, values: dict[str, str], conditions: dict) -> None:
        self._values, self._conditions, self._decided = values, conditions, {}

    def condition(self, name: str) -> bool:
        if name not in self._decided:
            self._decided[name] = bool(self.value(self._conditions.get(name, False)))
        return self._decided[name]

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self._values.get(arg, arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        resolved = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _function(self, name: str, arg: Any) -> Any:
        if name == "If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        args = self.value(arg)
        if name == "Sub":
            text, extra = (args, {}) if isinstance(args, str) else (args[0], args[1])
            values = {**self._values, **extra}
            return _SUB.sub(lambda m: "${" + m.group(2) + "}" if m.group(1)
                            else str(values.get(m.group(2), m.group(0))), text)
        if name == "Join":
            return str(args[0]).join(str(v) for v in args[1])
        if name == "Select":
            return args[1][int(args[0])]
        if name == "Equals":
            return args[0] == args[1]
        if name == "Not":
            return not args[0]
        if name == "And":
            return all(args)
        if name == "Or":
            return any(args)
        return {f"Fn::{name}": args}  # GetAtt and the rest: not needed for a role's policies


def _roles(moto: MotoClients, *, stack: str, region: str, access_key: str, account: str = ""
           ) -> tuple[str, list[tuple[Any, str, dict]]]:
    """The stack's template body, and (IAM client, role name, resolved properties) of each of its
    roles; ("", []) when the stack is not complete (nothing of it to sync or release)."""
    cfn = moto.client("cloudformation", account=account, access_key=access_key, region=region)
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    if described["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return "", []
    stack_id = described["StackId"]
    arn = stack_id.split(":")
    body = cfn.get_template(StackName=stack_id)["TemplateBody"]
    template = load_template(body)
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    values.update({"AWS::AccountId": arn[4], "AWS::Partition": arn[1], "AWS::Region": region,
                   "AWS::StackName": described["StackName"], "AWS::StackId": stack_id,
                   "AWS::URLSuffix": "amazonaws.com.cn" if arn[1] == "aws-cn" else "amazonaws.com"})
    resolver = Resolver(values, template.get("Conditions") or {})
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                for r in cfn.describe_stack_resources(StackName=stack_id)["StackResources"]}
    iam = moto.client("iam", account=arn[4])
    roles = []
    for logical, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        if physical.get(logical):
            roles.append((iam, physical[logical], resolver.value(resource.get("Properties") or {})))
    return (body if isinstance(body, str) else json.dumps(body)), roles


def sync_stack_roles(moto: MotoClients, **stack: str) -> str:
    """After moto created or updated the stack: its roles made what CloudFormation would have
    made them. Returns the stack's template body ("" when it is not complete)."""
    body, roles = _roles(moto, **stack)
    for iam, name, properties in roles:
        _sync_role(iam, name, properties)
    return body


def release_stack_roles(moto: MotoClients, **stack: str) -> None:
    """Before moto deletes the stack: CloudFormation detaches a role's ManagedPolicyArns before
    deleting it, and moto refuses to delete a role with policies attached (DeleteConflict)."""
    from botocore.exceptions import ClientError

    for iam, name, properties in _roles(moto, **stack)[1]:
        for policy_arn in as_list(properties.get("ManagedPolicyArns")):
            try:
                iam.detach_role_policy(RoleName=name, PolicyArn=str(policy_arn))
            except ClientError:
                pass  # not attached (moto lacked it, or someone detached it already)


def _sync_role(iam: Any, name: str, properties: dict) -> None:
    from botocore.exceptions import ClientError

    have = {p["PolicyArn"] for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
            for p in page["AttachedPolicies"]}
    for policy_arn in as_list(properties.get("ManagedPolicyArns")):
        if policy_arn not in have:
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=str(policy_arn))
            except ClientError:
                pass  # a policy moto does not know (AWS managed ones need MOTO_IAM_LOAD_MANAGED_POLICIES)
    trust = properties.get("AssumeRolePolicyDocument")
    if isinstance(trust, str):
        trust = policy_document(trust)
    current = policy_document(iam.get_role(RoleName=name)["Role"].get("AssumeRolePolicyDocument"))
    if isinstance(trust, dict) and trust and trust != current:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
