"""Messages that workers post back to their screens (posted from threads; Textual queues them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from wizard.errors import WizardError


@dataclass
class ProfilesLoaded(Message):
    profiles: list[str]


@dataclass
class IdentityFound(Message):
    source_key: str
    account: str
    arn: str
    region: str


@dataclass
class IdentityFailed(Message):
    source_key: str
    error: WizardError


@dataclass
class StackLooked(Message):
    """What the grant step found in the account: a stack (or None) and whether it matches."""
    info: Any  # wizard.aws.role_stack.StackInfo | None
    template_matches: bool
    failure: str


@dataclass
class StackProgress(Message):
    event: Any  # wizard.aws.role_stack.StackEvent


@dataclass
class StackSettled(Message):
    info: Any  # StackInfo | None (None: the watch was cancelled)
    failure: str


@dataclass
class StepFailed(Message):
    error: WizardError


@dataclass
class VerifyRetrying(Message):
    notice: Any  # wizard.aws.verify.RetryNotice


@dataclass
class Verified(Message):
    identity: Any  # wizard.aws.verify.AssumedIdentity


@dataclass
class RegionsLoaded(Message):
    regions: list[Any]  # wizard.aws.regions.Region


@dataclass
class QuotaChecked(Message):
    check: Any  # wizard.aws.quotas.QuotaCheck


@dataclass
class QuotaChecksDone(Message):
    checks: list[Any]


@dataclass
class QuotaRequestUpdate(Message):
    request: Any  # wizard.aws.quotas.IncreaseRequest


@dataclass
class QuotaRequestFailed(Message):
    key: str
    error: WizardError


@dataclass
class StepChanged(Message):
    """A provisioning or teardown step changed state."""
    step: Any  # wizard.stepwise.StepState


@dataclass
class RunFinished(Message):
    result: Any = None


@dataclass
class RunStopped(Message):
    """Cancelled by the user, or failed (error set)."""
    error: WizardError | None = None


@dataclass
class SweepDone(Message):
    leftovers: list[Any]
