"""Which stored credentials expire soon: for the welcome screen's reminder and `porter-wizard
status`. Reads only the expiry dates the state records; never the secrets themselves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .state import WizardState

WARN_DAYS = 30
_KINDS = {"aws-access-key": "AWS access key", "azure-client-secret": "Azure client secret",
          "gcp-service-account-key": "GCP service-account key"}


@dataclass(frozen=True)
class CredentialStatus:
    name: str
    kind: str
    expires_at: datetime | None
    days_left: int | None

    @property
    def label(self) -> str:
        return _KINDS.get(self.kind, self.kind)

    @property
    def expired(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def due(self) -> bool:
        """Expired, or expiring within WARN_DAYS: time to rotate."""
        return self.days_left is not None and self.days_left <= WARN_DAYS

    def describe(self) -> str:
        if self.expires_at is None:
            return f"{self.label}: does not expire"
        when = self.expires_at.date().isoformat()
        if self.expired:
            return f"{self.label}: EXPIRED on {when} ({-self.days_left} days ago)"
        return f"{self.label}: expires {when} ({self.days_left} days left)"


def _parse(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def credential_statuses(state: WizardState, now: datetime | None = None) -> list[CredentialStatus]:
    now = now or datetime.now(timezone.utc)
    out = []
    for name, record in sorted(state.secrets.items()):
        expires = _parse(record.expires_at)
        days = None if expires is None else (expires - now).days
        out.append(CredentialStatus(name, record.kind, expires, days))
    return out


def due(state: WizardState, now: datetime | None = None) -> list[CredentialStatus]:
    return [s for s in credential_statuses(state, now) if s.due]
