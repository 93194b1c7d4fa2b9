"""What a rotation of the Azure client secret (rotation.py) and the finish of one that waited for
Porter (rotation_finish.py) share: the run's inputs and result, the step reports, who acts on the
app registration, the check that a secret works, and removing old secrets.

No Textual here; the secret never enters the state, the log or an error's text.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import Cancelled, CloudError, WizardError
from ..logs import log
from ..secret_store import SecretStore
from ..state import WizardState
from ..stepwise import StepState
from .cloud import AzureCloud
from .credentials import ServicePrincipal, check_token, mgmt_kwargs, secret_credential
from .errors import azure_call
from .graph import Graph
from .signin import SignedIn

DEFAULT_APP_NAME = "azure-porter-restricted-sp"
# Entra ID answers "invalid client secret" for a secret it has not spread to every replica yet;
# a secret we made seconds ago cannot be wrong, so this code means "not yet".
_NOT_YET = "AADSTS7000215"
# Graph's answers when the token is fine but the caller may not edit the app registration.
_GRAPH_DENIED = {"Authorization_RequestDenied", "InvalidAuthenticationToken", "Forbidden", "401", "403"}
HOW_TO_FINISH = ("Give Porter the new one: run `porter-wizard handoff azure --reveal` to see it (or "
                 "open the wizard), paste it in Porter's dashboard → Integrations → Azure → Password "
                 "→ Update; then run `porter-wizard rotate azure --finish` to remove the old secret.")


@dataclass(frozen=True)
class NewSecretForPorter:
    """What Porter must be given after a rotation: the new secret, and which one it is."""
    key_id: str
    expires_at: datetime
    value: str = field(repr=False)


@dataclass
class RotationRun:
    cloud: AzureCloud
    state: WizardState
    secrets: SecretStore
    #: Writes the state file; raises OSError when it cannot (the rotation then undoes itself).
    save: Callable[[], None]
    #: Signs an admin in (device code) when the current secret cannot act; None: no fallback.
    sign_in: Callable[[], SignedIn] | None = None
    cancelled: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    propagation_timeout_s: float = 120.0  # how long Entra ID may take to accept the new secret
    #: Gives Porter the new secret once it is stored: True when Porter has it (its API took it,
    #: recorded with wizard.handoff.record(..., "api", ...), or a person says they pasted it,
    #: recorded as "manual"), False when not yet; may raise a WizardError (Porter's API failed).
    #: Until it says True the old secret stays on the app, since Porter still holds that one.
    hand_off: Callable[[NewSecretForPorter], bool] | None = None
    #: The screen offers secret_store.THIS_RUN_BUTTON when there is no keyring (the command line
    #: cannot: the secret would end with the command), so the advice may name it.
    this_run_offered: bool = False


@dataclass(frozen=True)
class RotationResult:
    key_id: str
    expires_at: datetime
    acted_as: str
    #: Set when the old secret could not be removed: it stays valid, and this says what to do.
    old_left: WizardError | None = None
    #: Set when Porter does not have the new secret yet: both secrets stay valid, and this says
    #: until when the old one works and how to finish.
    porter_waiting: WizardError | None = None
    #: When the secret kept for Porter expires (None: not known, or it was removed).
    old_expires_at: datetime | None = None


class RotationFailed(CloudError):
    """A step failed; what the rotation had made was undone, or the text says what is left."""
    def __init__(self, step: str, title: str, what: str, next_step: str, *, code: str = "") -> None:
        super().__init__(title, what, next_step, code=code)
        self.step = step


@dataclass
class Actor:
    graph: Graph
    who: str
    app: dict            # the app registration, as Graph returned it before anything changed
    old_secret: str | None = field(repr=False)
    old_works: bool      # Entra ID still gives the current secret a token
    why: str = ""        # why an admin acts, not the service principal

    @property
    def app_name(self) -> str:
        return self.app.get("displayName") or DEFAULT_APP_NAME

    @property
    def portal(self) -> str:
        return f"Azure portal → App registrations → {self.app_name} → Certificates & secrets"

    @property
    def how(self) -> str:
        return f"{self.who} ({f'device code; {self.why}' if self.why else 'its current secret'})"

    def passwords(self, skip: str = "") -> dict[str, dict]:
        """The app's secrets by lowercase key ID, as Graph listed them (without `skip`)."""
        return {p["keyId"].lower(): p for p in self.app.get("passwordCredentials") or []
                if p.get("keyId") and p["keyId"].lower() != skip.lower()}


class Steps:
    """Reports each step's progress to the caller (a screen draws rows, the CLI prints lines)."""

    def __init__(self, on_step: Callable[[StepState], None], steps: tuple[tuple[str, str], ...]) -> None:
        self._on_step = on_step
        self.states = {key: StepState(key, label) for key, label in steps}
        for state in self.states.values():
            on_step(state)

    def start(self, key: str) -> None:
        self.states[key].started = time.monotonic()
        self.note(key, "")  # a retry's note replaces it

    def note(self, key: str, detail: str, status: str = "working") -> None:
        state = self.states[key]
        state.status, state.detail = status, detail
        self._on_step(state)

    def end(self, key: str, status: str, detail: str = "") -> None:
        log.info("rotate azure: %s %s %s", key, status, detail)
        self.states[key].finished = time.monotonic()
        self.note(key, detail, status)


def check_ready(run: RotationRun) -> None:
    az = run.state.azure
    if not (az.client_id and az.tenant_id and az.subscription_id):
        raise CloudError("Azure is not set up yet", "The saved progress names no service principal, "
                         "so there is no secret to rotate.", "Run porter-wizard and finish the Azure "
                         "steps first.", code="NotSetUp")
    problem = run.secrets.problem("azure" if run.this_run_offered else "")
    if problem:
        raise problem  # before making a secret we could not keep


def token_refused(err: CloudError) -> bool:
    """Entra ID said no to the secret itself (not the network, not a permission)."""
    return err.code.startswith("AADSTS") or err.code == "ClientAuthentication"


def gets_token(run: RotationRun, secret: str) -> bool:
    """Whether Entra ID gives this secret a token; the network's failures are raised."""
    az = run.state.azure
    try:
        check_token(run.cloud, secret_credential(run.cloud, ServicePrincipal(az.tenant_id, az.client_id), secret))
    except CloudError as err:
        if token_refused(err):
            return False
        raise
    return True


def acting_identity(run: RotationRun) -> Actor:
    az = run.state.azure
    old = run.secrets.get(az.secret_name)
    why, old_works = "the keyring holds no client secret for it", False
    if old:
        graph = Graph(run.cloud, secret_credential(
            run.cloud, ServicePrincipal(az.tenant_id, az.client_id), old))
        try:
            return Actor(graph, "the service principal itself", read_app(graph, az), old, True)
        except CloudError as err:
            if not (token_refused(err) or err.code in _GRAPH_DENIED):
                raise  # the network or Azure itself: an admin would not get further
            why, old_works = err.title[0].lower() + err.title[1:], not token_refused(err)
    if run.sign_in is None:
        raise CloudError("An admin must sign in", f"The service principal cannot change its own "
                         f"secrets: {why}.", "Run `porter-wizard rotate azure` in a terminal and sign "
                         "in with the device code it shows, as an Owner of the app registration or an "
                         "Application Administrator.", code="NeedsSignIn")
    admin = run.sign_in()
    graph = Graph(run.cloud, admin.credential)
    return Actor(graph, admin.who, read_app(graph, az), old, old_works, why)


def read_app(graph: Graph, az) -> dict:
    with azure_call("read the app registration"):
        if az.app_object_id:
            return graph.get(f"/applications/{az.app_object_id}")
        # Signed in with an existing service principal's secret: only its appId is known.
        app = graph.get(f"/applications(appId='{az.client_id}')")
    az.app_object_id = app["id"]
    return app


def verify(run: RotationRun, secret: NewSecretForPorter, note: Callable[[str], None],
           timeout_s: float) -> str:
    """The secret gets an ARM token and reads the subscription: what the platform will do. Within
    timeout_s a refusal counts as "not spread yet" and is retried; 0 tries once."""
    from azure.mgmt.subscription import SubscriptionClient

    az = run.state.azure
    deadline = time.monotonic() + timeout_s
    wait, tries = 2.0, 1
    while True:
        credential = secret_credential(run.cloud, ServicePrincipal(az.tenant_id, az.client_id), secret.value)
        try:
            check_token(run.cloud, credential)
            with azure_call("read the subscription with the new secret"):
                client = SubscriptionClient(credential, **{**mgmt_kwargs(run.cloud), "retry_total": 2})
                found = client.subscriptions.get(az.subscription_id)
            return found.display_name or az.subscription_id
        except CloudError as err:
            if timeout_s <= 0 or not (err.code == _NOT_YET or err.retryable):
                raise
            if time.monotonic() + wait > deadline:
                raise CloudError("The new secret was not accepted in time",
                                 f"Azure kept refusing it for {int(timeout_s)} s ({err.title}).",
                                 "New secrets usually work within a few minutes: rotate again later.",
                                 code=err.code, retryable=True) from None
            tries += 1
            log.info("rotate azure: new secret not accepted yet: %s", err.title)
            note(f"not accepted yet; try {tries} in {wait:.0f} s")
        run.sleep(wait)  # the screen's sleep returns early when the user stops the rotation
        if run.cancelled():
            raise Cancelled("verify")
        wait = min(wait * 2, 15.0)


def remove_secrets(actor: Actor, app_id: str, keys: list[str], new_key: str,
                   steps: Steps) -> WizardError | None:
    """Removes the secret Porter held (keys[0], "" when unknown) and older leftovers after it.
    Called only once Porter has the new secret: None when all are gone, or what is left."""
    listed = actor.passwords(skip=new_key)
    held = keys[0].lower() if keys else ""
    if not held:
        steps.end("remove", "skipped", "which one is unknown")
        return WizardError("The old secret was not removed", "The new secret is in use, but the "
                           "wizard cannot tell which of the app's other secrets was the previous one.",
                           f"Check the list in the {actor.portal} and delete the secrets no one uses.")
    removed, failed = [], []
    for key in dict.fromkeys(k.lower() for k in keys if k):
        if key not in listed:
            continue  # deleted in the portal already, or never on this app
        try:
            with azure_call("remove the old client secret"):
                actor.graph.post(f"/applications/{app_id}/removePassword", {"keyId": key})
            removed.append(key)
        except WizardError as err:
            failed.append((key, err))
    if failed:
        key, err = failed[0]
        steps.end("remove", "failed", err.title)
        ends = parse(listed[key].get("endDateTime"))
        until = ("It stays valid until it expires." if ends is None else
                 f"It stays valid until {ends.date().isoformat()}." if ends > now()
                 else f"It expired on {ends.date().isoformat()}, so it no longer works.")
        return WizardError("The old secret is still on the app", f"The new secret is in use, but "
                           f"removing the old one failed ({err.title}: {err.what}) {until}",
                           f"Run `porter-wizard rotate azure --finish` to try again, or delete it in "
                           f"the {actor.portal}: the secret whose Secret ID is {key}.")
    steps.end("remove", "deleted" if held in removed else "absent", f"Secret ID {held[:8]}…")
    return None


def save_failure(run: RotationRun) -> str:
    """Writes the state; "" when it worked, else why not (the caller says what that leaves)."""
    try:
        run.save()
    except OSError as exc:
        log.warning("rotate azure: the state file was not written: %s", exc.strerror)
        return f"Writing the state file failed ({exc.strerror or type(exc).__name__})."
    return ""


def settle(run: RotationRun, old_left: WizardError | None) -> WizardError | None:
    """After the removal: the record of the secret kept for Porter goes once it is gone (or the
    wizard cannot tell which it was), and the state is written; what is left, if anything."""
    az = run.state.azure
    if old_left is None or not az.old_secret_key_id:
        az.old_secret_key_id = az.old_secret_expires_at = ""
    reason = save_failure(run)
    if reason and old_left is None:
        return WizardError("Progress not saved", f"Porter has the new secret and the old one was "
                           f"removed, but {reason[0].lower()}{reason[1:]}", "Free some disk space or fix "
                           "the permissions of the wizard's folder, then run `porter-wizard rotate "
                           "azure --finish`: it finds the old secret gone and clears the record.")
    return old_left


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def parse(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:  # also "": Graph left the date out
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def validity(ends: datetime | None) -> str:
    """"stays valid until …" or "expired on …", for the secret kept for Porter."""
    if ends is None:
        return "stays valid until it expires"
    return (f"stays valid until {ends.date().isoformat()}" if ends > now() else
            f"expired on {ends.date().isoformat()}")


def valid_until(ends: datetime | None) -> str:
    """"which stays valid until …", or that it has expired and what that means for Porter."""
    if ends is not None and ends <= now():
        return f"which {validity(ends)}: Porter cannot reach your cluster until it has the new one"
    return f"which {validity(ends)}"
