"""Finishing a rotation that waited for Porter: once Porter has the new client secret (a person
says so, or Porter's API took it), the old one, kept on the app only because Porter held it, is
removed and its record cleared.

Often run long after the rotation (the person pasted the secret days later, or a year on someone
finds `status` complaining), with only the state file to go on. So before removing anything it
checks that a rotation waits at all, and, unless Porter is already recorded as holding the
current secret, that the secret in the keyring (the one `porter-wizard handoff azure --reveal`
shows, so the one a person gave Porter) is the app's current secret and still works. Otherwise
the old secret stays, since it may be the only one Porter can use. Safe to run again: a secret
already gone counts as removed.
"""
from __future__ import annotations

from collections.abc import Callable

from ..errors import CloudError, WizardError
from ..handoff import porter_is_current, record
from ..stepwise import StepState
from .rotation_common import (NewSecretForPorter, RotationResult, RotationRun, Steps, acting_identity,
                              check_ready, now, parse, remove_secrets, save_failure, settle,
                              token_refused, valid_until, verify)

FINISH_STEPS = (("porter", "Give Porter the new secret"), ("remove", "Remove the old secret"))
_ROTATE_AGAIN = ("Rotate again: `porter-wizard rotate azure` keeps the old secret for Porter until "
                 "Porter has a new one that works.")


class NothingWaiting(WizardError):
    """No old secret is kept for Porter: there is nothing to finish."""


def finish_rotation(run: RotationRun, on_step: Callable[[StepState], None], *,
                    via: str = "manual") -> RotationResult:
    """Call once Porter has the current secret: `via` "manual" (a person says they gave it) or
    "api" (Porter's API took it; the caller has then recorded it with wizard.handoff.record).
    Raises NothingWaiting, or a WizardError when the current secret is not one Porter can be
    using (then nothing was removed)."""
    az = run.state.azure
    check_ready(run)
    kept = az.old_secret_key_id
    if not kept or kept.lower() == az.secret_key_id.lower():
        if kept:  # names the current secret as the old one: nothing to remove, and `status` must not say so
            az.old_secret_key_id = az.old_secret_expires_at = ""
            save_failure(run)
        given = (f" Porter was given the current one (Secret ID {az.secret_key_id}) on "
                 f"{az.porter_at[:10]}." if porter_is_current(run.state, "azure") and az.porter_at else "")
        raise NothingWaiting("No rotation is waiting", "No old client secret is kept on the app for "
                             f"Porter.{given}", "Nothing to do: `porter-wizard status` shows whether "
                             "Porter has the current secret.")
    steps = Steps(on_step, FINISH_STEPS)
    steps.start("porter")
    recorded = porter_is_current(run.state, "azure")
    try:
        if not recorded:
            steps.note("porter", "checking the secret in your keyring")
            _check_current_works(run)
        actor = acting_identity(run)
        if not recorded:
            _check_current_is_on_the_app(run, actor.passwords(), actor.portal)
    except BaseException as exc:
        steps.end("porter", "failed", getattr(exc, "title", "stopped"))
        raise
    if not recorded:
        record(run.state, "azure", via)
    steps.end("porter", "updated", f"recorded on {az.porter_at[:10]}" if recorded else
              "through Porter's API" if via == "api" else "you gave it to Porter")
    steps.start("remove")
    listed = actor.passwords()
    old_left = remove_secrets(actor, az.app_object_id, [kept], az.secret_key_id, steps)
    record_ = run.state.secrets.get(az.secret_name)
    current = az.secret_key_id.lower()
    ends = (parse(listed[current].get("endDateTime")) if current in listed else None) or \
        parse(record_.expires_at if record_ else "") or now()
    return RotationResult(az.secret_key_id, ends, actor.how, settle(run, old_left))


def _kept(run: RotationRun) -> str:
    az = run.state.azure
    return (f"The old secret (Secret ID {az.old_secret_key_id}), "
            f"{valid_until(parse(az.old_secret_expires_at))}, stays on the app.")


def _check_current_works(run: RotationRun) -> None:
    az = run.state.azure
    value = run.secrets.get(az.secret_name)
    if not value:
        raise CloudError("The new secret is not in the keyring", "The wizard cannot check the secret "
                         f"Porter was given, so it removes nothing. {_kept(run)}", _ROTATE_AGAIN, code="NoSecret")
    record_ = run.state.secrets.get(az.secret_name)
    current = NewSecretForPorter(az.secret_key_id, parse(record_.expires_at if record_ else "") or now(), value)
    try:
        verify(run, current, lambda _detail: None, 0)  # made long ago: a refusal is final
    except CloudError as err:
        refused = token_refused(err)
        raise CloudError("The new secret does not work", f"{err.title}: {err.what} Porter cannot be "
                         f"using it, so the wizard removes nothing. {_kept(run)}",
                         _ROTATE_AGAIN if refused else err.next_step, code=err.code) from None


def _check_current_is_on_the_app(run: RotationRun, listed: dict[str, dict], portal: str) -> None:
    """The keyring's secret is the app's current one (Graph shows each secret's first characters,
    its "hint"): not, say, the old one typed in again."""
    az = run.state.azure
    value = run.secrets.get(az.secret_name) or ""
    found = listed.get(az.secret_key_id.lower())
    hint = (found or {}).get("hint") or ""
    if found is None or not value.startswith(hint):
        what = ("is no longer on the app" if found is None else
                "is not the one the saved progress names as current")
        raise CloudError("The secret Porter was given is not the current one",
                         f"The secret in your keyring {what} (Secret ID {az.secret_key_id}; see the "
                         f"{portal}), so the wizard removes nothing. {_kept(run)}", _ROTATE_AGAIN,
                         code="NotCurrent")
