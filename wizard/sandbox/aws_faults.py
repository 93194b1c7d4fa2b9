"""What the AWS front's fault injection is made of: a scripted error for an operation (`_Fault`),
a kill at the k-th mutating request (`_FailAt`), and which requests count as mutating."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Fault:
    service: str
    action: str
    code: str
    message: str
    status: int
    remaining: int
    retry_after: int | None


# Action names that change something (query, EC2 and JSON protocols all POST, so the verb decides).
_MUTATING_VERBS = ("Create", "Modify", "Attach", "Associate", "Allocate", "Delete", "Put", "Update",
                   "Detach", "Disassociate", "Release", "Replace", "Tag", "Untag", "Authorize",
                   "Revoke", "Register", "Deregister", "Set", "Add", "Remove", "Enable", "Disable",
                   "Run", "Terminate", "Start", "Stop", "Request", "Assign", "Unassign")


def is_mutating(action: str, method: str) -> bool:
    """Does the request change state? Named actions by their verb (AssumeRole, Describe*, Get*,
    List*, Simulate* do not); REST calls (action "") by their HTTP method."""
    if action:
        return action.startswith(_MUTATING_VERBS)
    return method.upper() not in ("GET", "HEAD", "OPTIONS")


@dataclass
class _FailAt:
    k: int
    code: str
    message: str
    status: int
    after: bool  # let moto act first, then answer the error: the request "landed", its answer was lost
