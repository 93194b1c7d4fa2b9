"""Rotating the platform's Azure client secret so that a working secret is in place at every moment.

Azure expires client secrets (after 365 days for the ones this wizard makes); once the platform's
has expired it can no longer manage the cluster. The order keeps the old secret usable until the
new one is proven: add a password to the app registration, check it gets a token and reads the
subscription, keep it in the keyring and record its expiry, and only then remove the old password.
A failure before the keyring holds the new secret removes the new password again; a failure to
remove the old one leaves two working secrets and says how to remove the old one in the portal.

Who makes the change: the service principal itself, with its current secret (the setup grants it
Microsoft Graph Application.ReadWrite.All, which covers its own app registration), or, when that
secret is expired, missing or refused, an admin signed in with a device code.

No Textual here (the screen runs this in a thread worker, the CLI in the terminal). The secret
never enters the state, the log or an error's text.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..errors import Cancelled, CloudError, WizardError
from ..logs import log
from ..redaction import register_secret
from ..reminders import CredentialStatus, credential_statuses
from ..secret_store import SecretStore
from ..state import WizardState
from ..stepwise import StepState
from .cloud import AzureCloud
from .connection import SECRET_DAYS, store_secret
from .credentials import ServicePrincipal, check_token, mgmt_kwargs, secret_credential
from .errors import azure_call
from .graph import Graph
from .signin import DeviceCodePrompt, SignedIn, device_code_sign_in

DEFAULT_APP_NAME = "azure-porter-restricted-sp"
STEPS = (("identity", "Who makes the change"), ("add", "Add a new client secret"),
         ("verify", "Check that the new secret works"), ("store", "Keep it in the keyring"),
         ("remove", "Remove the old secret"))
# Entra ID answers "invalid client secret" for a secret it has not spread to every replica yet;
# a secret we made seconds ago cannot be wrong, so this code means "not yet".
_NOT_YET = "AADSTS7000215"
# Graph's answers when the token is fine but the caller may not edit the app registration.
_GRAPH_DENIED = {"Authorization_RequestDenied", "InvalidAuthenticationToken", "Forbidden", "401", "403"}


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


@dataclass(frozen=True)
class RotationResult:
    key_id: str
    expires_at: datetime
    acted_as: str
    #: Set when the old secret could not be removed: it stays valid, and this says what to do.
    old_left: WizardError | None = None


class RotationFailed(CloudError):
    """A step failed; what the rotation had made was undone, or the text says what is left."""
    def __init__(self, step: str, title: str, what: str, next_step: str, *, code: str = "") -> None:
        super().__init__(title, what, next_step, code=code)
        self.step = step


@dataclass
class _Actor:
    graph: Graph
    who: str
    app: dict            # the app registration, as Graph returned it before anything changed
    old_secret: str | None = field(repr=False)
    old_works: bool      # Entra ID still gives the current secret a token
    why: str = ""        # why an admin acts, not the service principal

    @property
    def app_name(self) -> str:
        return self.app.get("displayName") or DEFAULT_APP_NAME


@dataclass
class _NewSecret:
    key_id: str
    expires_at: datetime
    value: str = field(repr=False)


class _KeyringHoldsNew(WizardError):
    """Not saved, and the old secret could not go back into the keyring: the new one must stay."""


class _Steps:
    """Reports each step's progress to the caller (a screen draws rows, the CLI prints lines)."""

    def __init__(self, on_step: Callable[[StepState], None]) -> None:
        self._on_step = on_step
        self.states = {key: StepState(key, label) for key, label in STEPS}
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


def current_secret(state: WizardState) -> CredentialStatus | None:
    """When the platform's stored secret expires, for the rotate screen and the CLI."""
    return next((s for s in credential_statuses(state) if s.name == state.azure.secret_name), None)


def admin_sign_in(cloud: AzureCloud, tenant_id: str,
                  show: Callable[[DeviceCodePrompt], None]) -> SignedIn:
    """The fallback when the secret can't act: an admin signs in with a device code, for Graph."""
    return device_code_sign_in(cloud, show, tenant=tenant_id, scope=cloud.graph_scope)


def rotate(run: RotationRun, on_step: Callable[[StepState], None]) -> RotationResult:
    """Raises RotationFailed (the text says the old secret still works, or what is left),
    Cancelled (nothing is left changed), or a WizardError before anything was made."""
    az = run.state.azure
    _check_ready(run)
    steps = _Steps(on_step)
    old_key = az.secret_key_id
    steps.start("identity")
    try:
        actor = _acting_identity(run)
    except BaseException as exc:
        steps.end("identity", "failed", getattr(exc, "title", ""))
        raise
    steps.end("identity", "ready", actor.who)
    if run.cancelled():
        raise Cancelled("rotation")  # nothing made yet
    steps.start("add")
    try:
        new = _add_password(actor, az)
    except WizardError as err:
        steps.end("add", "failed", err.title)
        raise _failed("add", "No new secret was made", err, _unchanged(actor)) from None
    steps.end("add", "created", f"expires {new.expires_at.date().isoformat()}")
    doing = "verify"
    try:
        steps.start("verify")
        subscription = _verify(run, new, lambda detail: steps.note("verify", detail))
        steps.end("verify", "verified", f"token, and {subscription} read")
        doing = "store"
        steps.start("store")
        _store(run, actor, new)
        steps.end("store", "stored", "and its expiry saved")
    except _KeyringHoldsNew as err:
        steps.end("store", "failed", err.title)
        raise RotationFailed("store", err.title, err.what, err.next_step) from None
    except BaseException as exc:
        steps.end(doing, "failed", getattr(exc, "title", "stopped"))
        undone = _remove_new(actor, az.app_object_id, new)
        steps.end("add", "undone" if undone else "left", "removed again" if undone else "still on the app")
        note = _after_undo(actor, new, undone)
        if isinstance(exc, (Cancelled, KeyboardInterrupt)) and undone:
            raise
        if isinstance(exc, (WizardError, Cancelled, KeyboardInterrupt)):  # stopped: say what is left
            cause = exc if isinstance(exc, WizardError) else WizardError("Stopped", "You stopped the rotation.", "")
            title = "The new secret did not work" if doing == "verify" else "The new secret could not be kept"
            raise _failed(doing, title, cause, note) from None
        raise  # a bug: undone as far as possible, then on its way
    steps.start("remove")
    old_left = _remove_old(actor, az.app_object_id, old_key, new, steps)
    how = f"device code; {actor.why}" if actor.why else "its current secret"
    return RotationResult(new.key_id, new.expires_at, f"{actor.who} ({how})", old_left)


def _check_ready(run: RotationRun) -> None:
    az = run.state.azure
    if not (az.client_id and az.tenant_id and az.subscription_id):
        raise CloudError("Azure is not set up yet", "The saved progress names no service principal, "
                         "so there is no secret to rotate.", "Run porter-wizard and finish the Azure "
                         "steps first.", code="NotSetUp")
    problem = run.secrets.problem()
    if problem:
        raise problem  # before making a secret we could not keep


def _acting_identity(run: RotationRun) -> _Actor:
    az = run.state.azure
    old = run.secrets.get(az.secret_name)
    why, old_works = "the keyring holds no client secret for it", False
    if old:
        graph = Graph(run.cloud, secret_credential(
            run.cloud, ServicePrincipal(az.tenant_id, az.client_id), old))
        try:
            return _Actor(graph, "the service principal itself", _read_app(graph, az), old, True)
        except CloudError as err:
            token_refused = err.code.startswith("AADSTS") or err.code == "ClientAuthentication"
            if not (token_refused or err.code in _GRAPH_DENIED):
                raise  # the network or Azure itself: an admin would not get further
            why, old_works = err.title[0].lower() + err.title[1:], not token_refused
    if run.sign_in is None:
        raise CloudError("An admin must sign in", f"The service principal cannot change its own "
                         f"secrets: {why}.", "Run `porter-wizard rotate azure` in a terminal and sign "
                         "in with the device code it shows, as an Owner of the app registration or an "
                         "Application Administrator.", code="NeedsSignIn")
    admin = run.sign_in()
    graph = Graph(run.cloud, admin.credential)
    return _Actor(graph, admin.who, _read_app(graph, az), old, old_works, why)


def _read_app(graph: Graph, az) -> dict:
    with azure_call("read the app registration"):
        if az.app_object_id:
            return graph.get(f"/applications/{az.app_object_id}")
        # Signed in with an existing service principal's secret: only its appId is known.
        app = graph.get(f"/applications(appId='{az.client_id}')")
    az.app_object_id = app["id"]
    return app


def _add_password(actor: _Actor, az) -> _NewSecret:
    now = datetime.now(timezone.utc)
    ends = now + timedelta(days=SECRET_DAYS)
    with azure_call("add a client secret to the app registration"):
        made = actor.graph.post(f"/applications/{az.app_object_id}/addPassword", {"passwordCredential": {
            # The portal lists secrets by description: the date says when this one was made.
            "displayName": f"porter-wizard {now.date().isoformat()}",
            "endDateTime": ends.isoformat(timespec="seconds").replace("+00:00", "Z")}})
    register_secret(made["secretText"])  # from here on the log redacts it
    return _NewSecret(made["keyId"], _parse(made.get("endDateTime")) or ends, made["secretText"])


def _verify(run: RotationRun, new: _NewSecret, note: Callable[[str], None]) -> str:
    """The new secret gets an ARM token and reads the subscription: what the platform will do."""
    from azure.mgmt.subscription import SubscriptionClient

    az = run.state.azure
    deadline = time.monotonic() + run.propagation_timeout_s
    wait, tries = 2.0, 1
    while True:
        credential = secret_credential(run.cloud, ServicePrincipal(az.tenant_id, az.client_id), new.value)
        try:
            check_token(run.cloud, credential)
            with azure_call("read the subscription with the new secret"):
                client = SubscriptionClient(credential, **{**mgmt_kwargs(run.cloud), "retry_total": 2})
                found = client.subscriptions.get(az.subscription_id)
            return found.display_name or az.subscription_id
        except CloudError as err:
            if not (err.code == _NOT_YET or err.retryable):
                raise
            if time.monotonic() + wait > deadline:
                raise CloudError("The new secret was not accepted in time",
                                 f"Azure kept refusing it for {int(run.propagation_timeout_s)} s "
                                 f"({err.title}).", "New secrets usually work within a few minutes: "
                                 "rotate again later.", code=err.code, retryable=True) from None
            tries += 1
            log.info("rotate azure: new secret not accepted yet: %s", err.title)
            note(f"not accepted yet; try {tries} in {wait:.0f} s")
        run.sleep(wait)  # the screen's sleep returns early when the user stops the rotation
        if run.cancelled():
            raise Cancelled("verify")
        wait = min(wait * 2, 15.0)


def _store(run: RotationRun, actor: _Actor, new: _NewSecret) -> None:
    az, name = run.state.azure, run.state.azure.secret_name
    old_record, old_key = run.state.secrets.get(name), az.secret_key_id
    store_secret(run.state, run.secrets, new.value, new.expires_at)  # raises before changing anything
    az.secret_key_id = new.key_id
    try:
        run.save()
    except OSError as exc:
        # The state file is replaced atomically, so it still names the old secret: make memory and
        # the keyring match it again.
        az.secret_key_id = old_key
        if old_record is None:
            run.state.secrets.pop(name, None)
        else:
            run.state.secrets[name] = old_record
        reason = f"Writing the state file failed ({exc.strerror or type(exc).__name__})."
        fix = "Free some disk space or fix the permissions of the wizard's folder, then rotate again."
        try:
            (run.secrets.put(name, actor.old_secret) if actor.old_secret else run.secrets.delete(name))
        except WizardError:
            raise _KeyringHoldsNew("Progress not saved", f"{reason} The keyring holds the new secret, "
                                   "which works; the old one stays valid too.", fix) from None
        raise WizardError("Progress not saved", reason, fix) from None


def _remove_new(actor: _Actor, app_id: str, new: _NewSecret) -> bool:
    try:
        with azure_call("remove the new client secret again"):
            actor.graph.post(f"/applications/{app_id}/removePassword", {"keyId": new.key_id})
        return True
    except WizardError:
        return False


def _remove_old(actor: _Actor, app_id: str, known_key: str, new: _NewSecret,
                steps: _Steps) -> WizardError | None:
    listed = {p["keyId"].lower(): p for p in actor.app.get("passwordCredentials") or []
              if p.get("keyId") and p["keyId"].lower() != new.key_id.lower()}
    old_key = known_key.lower()
    if not old_key and actor.old_secret:
        # A secret someone typed in: Graph shows each secret's first characters (its "hint"), and
        # exactly one match is the one we held.
        hits = [k for k, p in listed.items() if p.get("hint") and actor.old_secret.startswith(p["hint"])]
        old_key = hits[0] if len(hits) == 1 else ""
    portal = f"Azure portal → App registrations → {actor.app_name} → Certificates & secrets"
    if not old_key:
        steps.end("remove", "skipped", "which one is unknown")
        return WizardError("The old secret was not removed", "The new secret is in use, but the "
                           "wizard cannot tell which of the app's other secrets was the previous one.",
                           f"Check the list in the {portal} and delete the secrets no one uses.")
    if old_key not in listed:
        steps.end("remove", "absent", f"Secret ID {old_key[:8]}…")
        return None
    try:
        with azure_call("remove the old client secret"):
            actor.graph.post(f"/applications/{app_id}/removePassword", {"keyId": old_key})
    except WizardError as err:
        steps.end("remove", "failed", err.title)
        ends = _parse(listed[old_key].get("endDateTime"))
        until = ("It stays valid until it expires." if ends is None else
                 f"It stays valid until {ends.date().isoformat()}." if ends > datetime.now(timezone.utc)
                 else f"It expired on {ends.date().isoformat()}, so it no longer works.")
        return WizardError("The old secret is still on the app", f"The new secret is in use, but "
                           f"removing the old one failed ({err.title}: {err.what}) {until}",
                           f"Delete it in the {portal}: the secret whose Secret ID is {old_key}.")
    steps.end("remove", "deleted", f"Secret ID {old_key[:8]}…")
    return None


def _unchanged(actor: _Actor) -> str:
    return "Nothing changed" + (": the current secret still works." if actor.old_works else
                                ": your keyring still holds the previous secret (which Azure refuses)."
                                if actor.old_secret else ".")


def _after_undo(actor: _Actor, new: _NewSecret, undone: bool) -> str:
    if undone:
        return "The new secret was removed again. " + _unchanged(actor)
    kept = " and the current secret still works" if actor.old_works else ""
    return (f"Removing the new secret again failed: delete the one whose Secret ID is {new.key_id} "
            f"in the Azure portal (App registrations → {actor.app_name} → Certificates & secrets). "
            f"Your keyring was not changed{kept}.")


def _failed(step: str, title: str, cause: WizardError, note: str) -> RotationFailed:
    return RotationFailed(step, title, f"{cause.title}: {cause.what} {note}".strip(),
                          cause.next_step, code=getattr(cause, "code", ""))


def _parse(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:  # also "": Graph left the date out
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
