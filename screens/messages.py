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


@dataclass
class PorterFound(Message):
    """Porter CLI's login (or the PORTER_* variables), or None when there is none."""
    login: Any  # wizard.porter.login.PorterLogin | None


@dataclass
class PorterChecked(Message):
    """Porter's API accepted the login; the project's name."""
    name: str


@dataclass
class HandoffProgress(Message):
    """Porter's own access check after the hand-off, 0-100."""
    percent: int


@dataclass
class HandoffSent(Message):
    """Porter's API took the credentials; how far its access check got."""
    integration_id: str
    percent: int


@dataclass
class PorterClusterUpdate(Message):
    """How far Porter has got building the cluster."""
    ref: str
    phase: str  # "provisioning" | "ready" | "failed"
    message: str
    percent: int
