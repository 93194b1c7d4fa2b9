"""Reading a role's trust policy: does it let Porter in with this project's ExternalId, and
nobody else? Pure functions over the policy document (IAM's JSON policy grammar)."""
from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from .porter_link import PLATFORM_PRINCIPAL

_ACCOUNT_ROOT = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root")


def policy_document(raw: Any) -> dict:
    """boto3 hands trust policies back decoded; other paths give JSON text, sometimes URL-encoded."""
    if isinstance(raw, dict):
        return raw
    text = str(raw or "")
    for candidate in (text, urllib.parse.unquote(text)):
        try:
            doc = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(doc, dict):
            return doc
    return {}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _grants_assume_role(statement: dict) -> bool:
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    # NotAction in an Allow grants everything it does not name, AssumeRole included.
    return any(a in ("sts:assumerole", "sts:*", "*") for a in actions) or "NotAction" in statement


def _describe(principal: str) -> str:
    if principal == "*":
        return "anyone at all (*)"
    root = _ACCOUNT_ROOT.fullmatch(principal)
    account = root.group(1) if root else principal if re.fullmatch(r"\d{12}", principal) else ""
    if account:
        return f"every identity of account {account} (its root, {principal})"
    return principal


def _external_ids(statement: dict) -> list[str] | None:
    """The ExternalIds a statement accepts exactly, or None when it does not ask for one."""
    found: list[str] | None = None
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            if key.lower() == "sts:externalid":  # condition keys are case-insensitive in IAM
                # StringLike with a wildcard accepts more than one ExternalId: say so, not "equal".
                listed = [str(v) for v in _as_list(values)]
                exact = operator == "StringEquals" or not any(c in v for v in listed for c in "*?")
                found = (found or []) + [v if exact else f"{v} (a pattern)" for v in listed]
    return found


def trust_problem(document: dict, external_id: str) -> tuple[str, str, str] | None:
    """(title, what is wrong, code), or None when only Porter may assume the role, with exactly
    this ExternalId. "What is wrong" follows "The trust policy of <role>". Service principals
    (ec2, eks: Porter's own template has them) are fine."""
    others: list[str] = []
    accepted: list[list[str] | None] = []
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or not _grants_assume_role(statement):
            continue
        if "NotPrincipal" in statement:
            others.append("everyone not named in its NotPrincipal")
        principal = statement.get("Principal")
        if principal == "*":
            others.append(_describe("*"))
            continue
        for kind, values in (principal.items() if isinstance(principal, dict) else []):
            for value in _as_list(values):
                if kind == "AWS" and value == PLATFORM_PRINCIPAL:
                    accepted.append(_external_ids(statement))
                elif kind == "AWS":
                    others.append(_describe(str(value)))
                elif kind != "Service":
                    others.append(f"{kind} identities ({value})")
    if others:
        return ("The role trusts more than Porter",
                f"also lets {'; '.join(dict.fromkeys(others))} assume it. With "
                "AdministratorAccess attached, any of them that learns the ExternalId becomes "
                "administrator of this account.", "TrustTooWide")
    if not accepted:
        return ("The role does not trust Porter",
                f"does not name Porter's platform identity ({PLATFORM_PRINCIPAL}), "
                "so Porter cannot assume it.", "PorterNotTrusted")
    if any(ids is None for ids in accepted):
        return ("The role requires no ExternalId",
                "lets Porter's platform identity in without an ExternalId, so "
                "any Porter project could use it; the ExternalId is what ties it to this one.",
                "NoExternalId")
    theirs = sorted({i for ids in accepted for i in ids or []})
    if theirs != [external_id]:
        return ("The role expects another ExternalId",
                f"requires the ExternalId {', '.join(theirs)}; this project's is "
                f"{external_id or 'not set'}. Porter presents this project's, so AWS would refuse it.",
                "ExternalIdMismatch")
    return None
