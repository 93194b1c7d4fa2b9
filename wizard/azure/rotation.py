"""Rotating the platform's Azure client secret so that a working secret is in place at every moment,
for the wizard and for Porter.

Azure expires client secrets (after 365 days for the ones this wizard makes); once the platform's
has expired it can no longer manage the cluster. Porter holds that secret too (pasted into its
dashboard's Integrations → Azure → Password, or sent through its API), so removing the old secret
before Porter has the new one is exactly how Porter would lose the cluster. The order:

identity → add a password → verify it (token, and reads the subscription) → store it (keyring, and
the state, which also records the old secret as kept for Porter) → hand it to Porter → only once
Porter has it, remove the old one.

A failure before the keyring holds the new secret removes the new password again. When Porter
does not have the new secret yet (no way to send it, the user will paste it later, Porter's API
failed) both secrets stay valid and the state says which old one waits: rotation_finish.py
removes it once Porter has the new one. A failure to remove leaves two working secrets and says
how to finish.

Who makes the change: the service principal itself, with its current secret (the setup grants it
Microsoft Graph Application.ReadWrite.All, which covers its own app registration), or, when that
secret is expired, missing or refused, an admin signed in with a device code.

No Textual here (the screen runs this in a thread worker, the CLI in the terminal). The secret
never enters the state, the log or an error's text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import Cancelled, CloudError, WizardError
from ..handoff import porter_is_current, record
from ..redaction import register_secret
from ..reminders import CredentialStatus, credential_statuses
from ..state import WizardState
from ..stepwise import StepState
from .cloud import AzureCloud
from .connection import SECRET_DAYS, store_secret
from .errors import azure_call
from .rotation_common import (HOW_TO_FINISH, Actor, NewSecretForPorter, RotationFailed, RotationResult,
                              RotationRun, Steps, acting_identity, check_ready, gets_token, iso, now,
                              parse, remove_secrets, save_failure, settle, valid_until,
                              verify)
from .rotation_finish import FINISH_STEPS, NothingWaiting, finish_rotation
from .signin import DeviceCodePrompt, SignedIn, device_code_sign_in

__all__ = ["FINISH_STEPS", "STEPS", "NewSecretForPorter", "NothingWaiting", "RotationFailed",
           "RotationResult", "RotationRun", "admin_sign_in", "current_secret", "finish_rotation", "rotate"]

STEPS = (("identity", "Who makes the change"), ("add", "Add a new client secret"),
         ("verify", "Check that the new secret works"), ("store", "Keep it in the keyring"),
         ("porter", "Give Porter the new secret"), ("remove", "Remove the old secret"))


@dataclass(frozen=True)
class _Held:
    """The secret Porter holds until it is given the new one, so the one that must stay."""
    key: str                    # its key ID ("" when the wizard cannot tell which it is)
    until: datetime | None      # when it expires
    stale: tuple[str, ...] = ()  # an unfinished earlier rotation's secrets, removed along with it


class _KeyringHoldsNew(WizardError):
    """Not saved, and the old secret could not go back into the keyring: the new one must stay."""


def current_secret(state: WizardState) -> CredentialStatus | None:
    """When the platform's stored secret expires, for the rotate screen and the CLI."""
    return next((s for s in credential_statuses(state) if s.name == state.azure.secret_name), None)


def admin_sign_in(cloud: AzureCloud, tenant_id: str,
                  show: Callable[[DeviceCodePrompt], None]) -> SignedIn:
    """The fallback when the secret can't act: an admin signs in with a device code, for Graph."""
    return device_code_sign_in(cloud, show, tenant=tenant_id, scope=cloud.graph_scope)


def rotate(run: RotationRun, on_step: Callable[[StepState], None]) -> RotationResult:
    """Raises RotationFailed (the text says the old secret still works, or what is left),
    Cancelled (nothing is left changed), or a WizardError before anything was made. Once the new
    secret is stored it returns, with porter_waiting set when Porter does not have it yet."""
    az = run.state.azure
    check_ready(run)
    _refuse_if_waiting(run)
    steps = Steps(on_step, STEPS)
    steps.start("identity")
    try:
        actor = acting_identity(run)
    except BaseException as exc:
        steps.end("identity", "failed", getattr(exc, "title", ""))
        raise
    steps.end("identity", "ready", actor.who)
    if run.cancelled():
        raise Cancelled("rotation")  # nothing made yet
    held = _porter_holds(run, actor)
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
        subscription = verify(run, new, lambda detail: steps.note("verify", detail),
                              run.propagation_timeout_s)
        steps.end("verify", "verified", f"token, and {subscription} read")
        doing = "store"
        steps.start("store")
        _store(run, actor, new, held)
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
    # From here the wizard uses the new secret and the state names the old one as kept for Porter:
    # whatever happens next (a failure, Ctrl-C, a crash), Porter's secret is still on the app.
    given, why_not = _hand_off(run, new, steps)
    if not given:
        steps.end("remove", "kept", _kept_detail(held))
        return RotationResult(new.key_id, new.expires_at, actor.how,
                              porter_waiting=_waiting(new, held, why_not, actor), old_expires_at=held.until)
    save_failure(run)  # early, so a crash while removing leaves a true record; the end says if not
    steps.start("remove")
    old_left = remove_secrets(actor, az.app_object_id, [held.key, *held.stale], new.key_id, steps)
    return RotationResult(new.key_id, new.expires_at, actor.how, settle(run, old_left))


def _refuse_if_waiting(run: RotationRun) -> None:
    """An earlier rotation still waits for Porter: finishing it comes first, since Porter may
    hold either of the two secrets. Not when the kept one has expired (nobody can use it any
    more) or the current one no longer works (then Porter can only be using the kept one, and
    this rotation keeps it for Porter instead)."""
    az = run.state.azure
    if not az.old_secret_key_id or az.old_secret_key_id.lower() == az.secret_key_id.lower():
        return  # nothing waits (a record naming the current secret as the old one means nothing)
    until = parse(az.old_secret_expires_at)
    if until is not None and until <= now():
        return
    current = run.secrets.get(az.secret_name)
    if current and gets_token(run, current):
        raise CloudError("A rotation is waiting for Porter", f"The last rotation made a new secret "
                         f"(Secret ID {az.secret_key_id}) and kept the old one (Secret ID "
                         f"{az.old_secret_key_id}), {valid_until(until)}, because Porter still held "
                         "it.", f"{HOW_TO_FINISH} Rotate again after that.", code="WaitingForPorter")


def _porter_holds(run: RotationRun, actor: Actor) -> _Held:
    az = run.state.azure
    listed = actor.passwords()
    current = az.secret_key_id.lower()
    if not current and actor.old_secret:
        # A secret someone typed in: Graph shows each secret's first characters (its "hint"), and
        # exactly one match is the one we held.
        hits = [k for k, p in listed.items() if p.get("hint") and actor.old_secret.startswith(p["hint"])]
        current = hits[0] if len(hits) == 1 else ""
    kept = az.old_secret_key_id.lower()
    kept_until = parse(az.old_secret_expires_at)
    if kept and (kept_until is None or kept_until > now()):
        # _refuse_if_waiting let this through: the current secret does not work, so Porter can
        # only be using the kept one, which must stay until Porter has the new one.
        return _Held(kept, _ends(listed, kept) or kept_until, (current,) if current else ())
    record_ = run.state.secrets.get(az.secret_name)
    until = _ends(listed, current) or parse(record_.expires_at if record_ else "")
    return _Held(current, until, (kept,) if kept else ())  # an expired kept one: nobody uses it


def _ends(listed: dict[str, dict], key: str) -> datetime | None:
    return parse(listed[key].get("endDateTime")) if key in listed else None


def _add_password(actor: Actor, az) -> NewSecretForPorter:
    made_at = now()
    ends = made_at + timedelta(days=SECRET_DAYS)
    with azure_call("add a client secret to the app registration"):
        made = actor.graph.post(f"/applications/{az.app_object_id}/addPassword", {"passwordCredential": {
            # The portal lists secrets by description: the date says when this one was made.
            "displayName": f"porter-wizard {made_at.date().isoformat()}",
            "endDateTime": ends.isoformat(timespec="seconds").replace("+00:00", "Z")}})
    register_secret(made["secretText"])  # from here on the log redacts it
    return NewSecretForPorter(made["keyId"], parse(made.get("endDateTime")) or ends, made["secretText"])


def _store(run: RotationRun, actor: Actor, new: NewSecretForPorter, held: _Held) -> None:
    az, name = run.state.azure, run.state.azure.secret_name
    old_record, old_key = run.state.secrets.get(name), az.secret_key_id
    old_kept = (az.old_secret_key_id, az.old_secret_expires_at)
    store_secret(run.state, run.secrets, new.value, new.expires_at)  # raises before changing anything
    az.secret_key_id = new.key_id
    # In the same write: from now until Porter has the new secret, the file names the old one,
    # which must stay on the app because Porter still holds it.
    az.old_secret_key_id, az.old_secret_expires_at = held.key, iso(held.until)
    try:
        run.save()
    except OSError as exc:
        # The state file is replaced atomically, so it still names the old secret: make memory and
        # the keyring match it again.
        az.secret_key_id = old_key
        az.old_secret_key_id, az.old_secret_expires_at = old_kept
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


def _hand_off(run: RotationRun, new: NewSecretForPorter, steps: Steps) -> tuple[bool, WizardError | None]:
    """(True, None) once Porter has the new secret; else (False, why: Porter's API's error or None)."""
    steps.start("porter")
    given, why_not = False, None
    if run.hand_off is not None:
        try:
            given = bool(run.hand_off(new))
        except WizardError as err:
            why_not = err
        except Cancelled:
            given = False  # the user stopped waiting: Porter has not said it has the secret
    if not given:
        if why_not:
            steps.end("porter", "failed", why_not.title)
        else:
            steps.end("porter", "manual", "Porter still has the old one")
        return False, why_not
    state = run.state
    if not porter_is_current(state, "azure"):  # Porter's API path records itself; a person's yes:
        record(state, "azure", "manual")
    via = "through Porter's API" if state.azure.porter_via == "api" else "you gave it to Porter"
    steps.end("porter", "updated", via)
    return True, None


def _waiting(new: NewSecretForPorter, held: _Held, why_not: WizardError | None, actor: Actor) -> WizardError:
    """What the result says when Porter does not have the new secret yet."""
    expired = held.until is not None and held.until <= now()
    said = [("The new secret works and the old one stays on the app" if expired else "Both secrets are valid")
            + f": the new one (Secret ID {new.key_id}, in your keyring, expires "
            f"{new.expires_at.date().isoformat()}) and the old one"
            + (f" (Secret ID {held.key})." if held.key else ".")]
    if why_not:
        said.append(f"Sending the new one through Porter's API failed ({why_not.title}: {why_not.what}).")
    said.append(f"Porter still holds the old secret, {valid_until(held.until)}.")
    finish = HOW_TO_FINISH if held.key else (
        HOW_TO_FINISH.partition("; then")[0] + f"; then delete the previous secret in the {actor.portal} "
        "(the wizard cannot tell which of the app's secrets it is).")
    return WizardError("Porter still uses the old secret", " ".join(said), finish)


def _kept_detail(held: _Held) -> str:
    if held.until is None:
        return "Porter still uses it"
    when = held.until.date().isoformat()
    return f"Porter uses it; valid until {when}" if held.until > now() else f"Porter holds it; expired {when}"


def _remove_new(actor: Actor, app_id: str, new: NewSecretForPorter) -> bool:
    try:
        with azure_call("remove the new client secret again"):
            actor.graph.post(f"/applications/{app_id}/removePassword", {"keyId": new.key_id})
        return True
    except WizardError:
        return False


def _unchanged(actor: Actor) -> str:
    return "Nothing changed" + (": the current secret still works." if actor.old_works else
                                ": your keyring still holds the previous secret (which Azure refuses)."
                                if actor.old_secret else ".")


def _after_undo(actor: Actor, new: NewSecretForPorter, undone: bool) -> str:
    if undone:
        return "The new secret was removed again. " + _unchanged(actor)
    kept = " and the current secret still works" if actor.old_works else ""
    return (f"Removing the new secret again failed: delete the one whose Secret ID is {new.key_id} "
            f"in the {actor.portal}. Your keyring was not changed{kept}.")


def _failed(step: str, title: str, cause: WizardError, note: str) -> RotationFailed:
    return RotationFailed(step, title, f"{cause.title}: {cause.what} {note}".strip(),
                          cause.next_step, code=getattr(cause, "code", ""))
