"""One error hierarchy for the whole wizard.

Every error a user can meet says three things: a short title, what happened, and what to do next.
Screens show those three fields; nothing else of an exception (never its traceback) reaches the user.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


class WizardError(Exception):
    """An error a person can act on."""

    def __init__(self, title: str, what: str, next_step: str, *, retryable: bool = False) -> None:
        super().__init__(f"{title}: {what}")
        self.title = title
        self.what = what
        self.next_step = next_step
        #: True when trying the same thing again later may work (throttling, network, propagation).
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.title}: {self.what} {self.next_step}"


class InputError(WizardError):
    """Bad input in one field; the screen shows it under that field."""

    def __init__(self, what: str, next_step: str = "") -> None:
        super().__init__("Check this field", what, next_step)


class CloudError(WizardError):
    """A cloud API said no, or could not be reached."""

    def __init__(self, title: str, what: str, next_step: str, *, code: str = "",
                 retryable: bool = False) -> None:
        super().__init__(title, what, next_step, retryable=retryable)
        #: The cloud's own error code (AccessDenied, Throttling...), for tests and support.
        self.code = code


class StateFileError(WizardError):
    """The saved progress file cannot be read."""

    def __init__(self, title: str, what: str, next_step: str, *, from_a_command: str = "") -> None:
        super().__init__(title, what, next_step)
        #: What to do when a command (status, handoff, rotate) met it: there is no Start over
        #: button there.
        self.from_a_command = from_a_command or next_step


class KeyringUnavailable(WizardError):
    """No OS keyring we are willing to store a secret in."""


class Cancelled(Exception):
    """The user stopped a long operation; what it made so far stays and is found on resume."""


@contextlib.contextmanager
def translating(translate: Callable[[Exception, str], WizardError], doing: str) -> Iterator[None]:
    """Let nothing but a WizardError out: a cloud's exceptions become what `translate` makes of
    them (`doing` finishes "could not ..."); translate re-raises what it does not know."""
    try:
        yield
    except WizardError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise translate(exc, doing) from None
