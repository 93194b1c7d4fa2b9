"""What the sandbox front does itself instead of passing a request to moto as it is.

- STS AssumeRole: allowed only as AWS would, when the role's trust policy names the caller (its
  ARN or its account) and the sts:ExternalId condition holds; moto checks neither.
- CloudFormation CreateStack/UpdateStack/CreateChangeSet: refused without CAPABILITY_[NAMED_]IAM
  for IAM resources in a TemplateBody, as CloudFormation does; moto does not.
- IAM SimulatePrincipalPolicy: answered here from the role's policies in moto, which lacks it.
- Around CreateStack/UpdateStack/DeleteStack: the stack's roles made whole in moto, and their
  managed policies detached before the stack is deleted, as CloudFormation does (stack_roles).
- CloudFormation UpdateStack that changes nothing: refused with "No updates are to be performed."
  (aws_cfn_rules), as CloudFormation does.
- EC2 ReleaseAddress of an associated address and DeleteSubnet of a subnet with network
  interfaces: refused, as EC2 does; DescribeNatGateways: its tag filters honoured (aws_ec2_rules).

Who calls: the access key ``PLATFORM_ACCESS_KEY_ID`` is Porter's platform identity (the local
Porter double signs with it to assume a role "as Porter"); any other key is a principal of the
sandbox account (or of the x-moto-account-id header's), as moto's STS says. Nothing here logs.
"""

from __future__ import annotations

from collections.abc import Mapping

from wizard.sandbox.aws_cfn_rules import cfn_rule
from wizard.sandbox.aws_ec2_rules import ec2_rule
from wizard.sandbox.aws_wire import (
    access_denied_message, access_key_id, credential_scope, error_response, first, form, lower_headers,
    missing_capability,
)
from wizard.sandbox.iam_policies import caller_arns, evaluate, simulate_response, trust_allows
from wizard.sandbox.moto_iam import MotoClients
from wizard.sandbox.stack_roles import release_stack_roles, sync_stack_roles

#: The access key that stands for Porter's platform principal in the sandbox.
PLATFORM_ACCESS_KEY_ID = "AKIAPORTERPLATFORM00"
PLATFORM_PRINCIPAL_ARN = "arn:aws:iam::108458755588:role/CAPIManagement"
_CFN_TEMPLATE_ACTIONS = {"CreateStack", "UpdateStack", "CreateChangeSet"}
_Answer = tuple[int, list[tuple[str, str]], bytes]


class FrontRules:
    def __init__(self, upstream: str, timeout: float) -> None:
        self.moto = MotoClients(upstream, timeout)
        self._upstream, self._timeout = upstream, timeout

    def caller(self, headers: Mapping[str, str], path: str = "") -> tuple[str, str]:
        """(account, ARN) of whoever signed the request."""
        key = access_key_id(headers, path)
        if key == PLATFORM_ACCESS_KEY_ID:
            return PLATFORM_PRINCIPAL_ARN.split(":")[4], PLATFORM_PRINCIPAL_ARN
        return self.moto.identity(key, lower_headers(headers).get("x-moto-account-id", ""))

    def before(self, service: str, action: str, headers: Mapping[str, str], body: bytes, path: str
               ) -> _Answer | None:
        """An answer of the front's own (a refusal, or an operation moto lacks), or None to forward."""
        if service == "sts" and action == "AssumeRole":
            fields = form(body)
            role_arn = first(fields, "RoleArn") or ""
            account, arn = self.caller(headers, path)
            role = self.moto.role(role_arn)
            if role is None or not trust_allows(role["AssumeRolePolicyDocument"], caller_arns(arn), account,
                                                first(fields, "ExternalId")):
                return error_response("query", "sts", "AccessDenied", access_denied_message(arn, role_arn), 403)
        elif service == "cloudformation" and action in _CFN_TEMPLATE_ACTIONS:
            missing = missing_capability(form(body))
            if missing:
                message = f"Requires capabilities : [{missing}]"
                return error_response("query", "cloudformation", "InsufficientCapabilitiesException", message, 400)
            if action == "UpdateStack":
                return cfn_rule(self.moto, action, headers, body, path)
        elif service == "iam" and action == "SimulatePrincipalPolicy":
            return self._simulate(form(body))
        elif service == "cloudformation" and action == "DeleteStack":
            self._release(form(body), headers, path)
        elif service == "ec2":
            return ec2_rule(self.moto, self._upstream, self._timeout, action, headers, body, path)
        return None

    def _stack(self, fields: Mapping[str, list[str]], headers: Mapping[str, str], path: str) -> dict[str, str]:
        return {"stack": first(fields, "StackName") or "", "region": credential_scope(headers, path)[1],
                "access_key": access_key_id(headers, path),
                "account": lower_headers(headers).get("x-moto-account-id", "")}

    def _release(self, fields: Mapping[str, list[str]], headers: Mapping[str, str], path: str) -> None:
        from botocore.exceptions import ClientError

        try:
            release_stack_roles(self.moto, **self._stack(fields, headers, path))
        except (ClientError, IndexError):
            pass  # no such stack: moto's own answer to DeleteStack says so

    def _simulate(self, fields: Mapping[str, list[str]]) -> _Answer:
        source = first(fields, "PolicySourceArn") or ""
        role = self.moto.role(source) if ":role/" in source else None
        if role is None:
            what = (f"The role with name {source.rsplit('/', 1)[-1]} cannot be found." if ":role/" in source
                    else "The sandbox simulates the policies of roles only.")
            return error_response("query", "iam", "NoSuchEntity" if ":role/" in source else "InvalidInput", what,
                                  404 if ":role/" in source else 400)
        actions = _members(fields, "ActionNames")
        resources = _members(fields, "ResourceArns") or ["*"]
        policies = self.moto.role_policies(source)
        results = [evaluate(policies, a, r) for a in actions for r in resources]
        return 200, [("Content-Type", "text/xml")], simulate_response(results)

    def after(self, action: str, fields: dict[str, list[str]], headers: Mapping[str, str], path: str
              ) -> dict[str, list[str]]:
        """After moto created or updated a stack: its roles synced; returns the request's fields
        with the template filled in when it came by TemplateURL (for the stack scripts)."""
        if action not in ("CreateStack", "UpdateStack"):
            return fields
        body = sync_stack_roles(self.moto, **self._stack(fields, headers, path))
        if body and first(fields, "TemplateBody") is None:
            return {**fields, "TemplateBody": [body]}
        return fields


def _members(fields: Mapping[str, list[str]], name: str) -> list[str]:
    prefix = f"{name}.member."
    numbered = sorted((int(k[len(prefix):]), v[0]) for k, v in fields.items()
                      if k.startswith(prefix) and k[len(prefix):].isdigit() and v)
    return [v for _, v in numbered]
