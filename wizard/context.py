"""What every step of the wizard shares: the progress, where it is saved, and the secret store."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .secret_store import SecretStore
from .state import StateStore, WizardState


@dataclass
class WizardContext:
    state: WizardState
    store: StateStore
    secrets: SecretStore
    sandbox: bool = False
    #: Where the sandbox's AWS endpoint listens, shown in the SANDBOX marker.
    sandbox_endpoint: str = ""
    #: --force: replace what exists without asking (for scripted runs).
    force: bool = False
    #: Called with a cloud's name ("azure") before its first step is shown: the sandbox starts
    #: that cloud's local doubles then, not before.
    prepare_cloud: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.secrets.kept_by_an_earlier_run |= {
            name for name, record in self.state.secrets.items() if record.session_only}

    def save(self) -> None:
        """Called after every step; a crash after this point loses nothing."""
        self.store.save(self.state)
