"""The parts of IAM's policy evaluation the sandbox front needs, over policy documents.

- Who may assume a role: STS allows AssumeRole only when the role's trust policy has an Allow
  statement whose Principal names the caller (its ARN, its account's root or bare account ID, or
  "*") and whose conditions hold, and no Deny statement applies (IAM User Guide, "Policy
  evaluation logic" and "AWS JSON policy elements: Principal").
- What a principal's policies allow: the answer of iam:SimulatePrincipalPolicy (IAM API
  reference, SimulatePrincipalPolicy): per action, "explicitDeny" when a Deny statement matches,
  else "allowed" when an Allow does, else "implicitDeny". Condition keys are not evaluated (the
  sandbox has no request context); wildcards in Action and Resource are.
"""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections.abc import Iterable
from xml.sax.saxutils import escape

from wizard.sandbox.aws_wire import allows_assume_role, as_list, external_id_condition_holds

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_ACCOUNT_ROOT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):root")
_ASSUMED = re.compile(r"arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/.+")


def caller_arns(arn: str) -> set[str]:
    """The ARNs a trust policy may name for this caller: a role session also matches its role."""
    m = _ASSUMED.fullmatch(arn)
    return {arn, f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"} if m else {arn}


def principal_matches(principal: object, arns: set[str], account: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in as_list(principal.get("AWS")):
        value = str(value)
        root = _ACCOUNT_ROOT.fullmatch(value)
        if value == "*" or value in arns or value == account or (root and root.group(1) == account):
            return True
    return False  # Service and Federated principals are never an IAM caller


def trust_allows(document: dict, arns: set[str], account: str, external_id: str | None) -> bool:
    """Whether the role's trust policy lets this caller assume it with this ExternalId."""
    applying = []
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict):
            continue
        effect = str(statement.get("Effect", "")).lower()
        actions = [str(a).lower() for a in as_list(statement.get("Action"))]
        covers = any(a in ("sts:assumerole", "sts:*", "*") for a in actions)
        if ((effect == "deny" and covers) or allows_assume_role(statement)) and principal_matches(
                statement.get("Principal"), arns, account) and external_id_condition_holds(statement, external_id):
            applying.append(effect)
    return "allow" in applying and "deny" not in applying


def _matches(patterns: Iterable[object], value: str) -> bool:
    # Actions are case-insensitive in IAM; "*" and "?" are its only wildcards, as in fnmatch
    # once "[" (which fnmatch reads as a set) is escaped.
    value = value.lower()
    return any(fnmatch.fnmatchcase(value, str(p).lower().replace("[", "[[]")) for p in patterns)


def _statement_applies(statement: dict, action: str, resource: str) -> bool:
    if "NotAction" in statement:
        acted = not _matches(as_list(statement["NotAction"]), action)
    else:
        acted = _matches(as_list(statement.get("Action")), action)
    if "NotResource" in statement:
        placed = resource != "*" and not _matches(as_list(statement["NotResource"]), resource)
    else:
        # Resource "*" asked of the simulator stands for every resource: any statement matches.
        placed = resource == "*" or _matches(as_list(statement.get("Resource")), resource)
    return acted and placed


def evaluate(policies: list[tuple[str, str, dict]], action: str, resource: str = "*") -> dict:
    """One EvaluationResult: decision and the statements that decided it."""
    allows, denies = [], []
    for policy_id, kind, document in policies:
        for statement in as_list(document.get("Statement")):
            if isinstance(statement, dict) and _statement_applies(statement, action, resource):
                effect = str(statement.get("Effect", "")).lower()
                (denies if effect == "deny" else allows if effect == "allow" else []).append((policy_id, kind))
    decision = "explicitDeny" if denies else "allowed" if allows else "implicitDeny"
    return {"action": action, "resource": resource, "decision": decision,
            "matched": denies or (allows if decision == "allowed" else [])}


def simulate_response(results: list[dict]) -> bytes:
    """SimulatePrincipalPolicy's answer in IAM's query-protocol XML (botocore's service model:
    SimulatePolicyResponse wrapped in SimulatePrincipalPolicyResult)."""
    members = []
    for r in results:
        matched = "".join(
            f"<member><SourcePolicyId>{escape(pid)}</SourcePolicyId><SourcePolicyType>{escape(kind)}"
            "</SourcePolicyType></member>" for pid, kind in r["matched"])
        members.append(
            f"<member><EvalActionName>{escape(r['action'])}</EvalActionName>"
            f"<EvalResourceName>{escape(r['resource'])}</EvalResourceName>"
            f"<EvalDecision>{r['decision']}</EvalDecision><MatchedStatements>{matched}</MatchedStatements>"
            "<MissingContextValues/></member>")
    body = (f'<SimulatePrincipalPolicyResponse xmlns="{IAM_NS}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>")
    return body.encode()
