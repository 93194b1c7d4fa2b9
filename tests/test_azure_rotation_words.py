"""What an admin sees when rotating the Azure client secret a year on (wizard/azure/rotation.py),
word for word, and what each outcome leaves: the passwords on the app, the keyring entry, the
secret's recorded expiry, the old secret the state keeps for Porter, and what Porter holds.
Against the local doubles of Entra ID, ARM and Graph, with the fixtures of rotation_fixtures.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import keyring.errors
import pytest

from wizard.azure.connection import SECRET_KIND
from wizard.azure.rotation import RotationFailed, admin_sign_in, current_secret, rotate
from wizard.errors import CloudError
from wizard.redaction import redact
from wizard.state import SecretRecord

from .rotation_words import (ARM_DENIED, DENIED, FIX, OWNER, admin, day, expired_keyring_secret, made_passwords,
                             portal, saved, shown)
from .test_azure_rotation import cloud_of, key_ids, works


def test_current_secret_is_the_platform_s_own_record_or_nothing(platform):
    state = platform.state
    state.secrets["aaa-other-cloud-key"] = SecretRecord(kind="gcp-key", stored_at="2026-01-01T00:00:00+00:00",
                                                        expires_at="2030-01-01T00:00:00+00:00")
    status = current_secret(state)
    assert status.name == platform.name and status.expires_at == datetime(2026, 12, 1, tzinfo=timezone.utc)
    state.secrets.pop(platform.name)
    assert current_secret(state) is None


def test_the_admin_signs_in_to_the_platform_s_tenant_for_graph(az):
    signed = admin_sign_in(cloud_of(az), az.tenant_id, lambda prompt: az.approve_device_code(prompt.code))
    assert signed.who == az.admin_user.upn
    assert [c.path for c in az.identity.calls if c.route == "devicecode"] == [
        f"/{az.tenant_id}/oauth2/v2.0/devicecode"]  # not "organizations": a guest admin's home tenant
    [code] = az.directory.device_codes.values()
    assert az.graph_scope in code.scope.split()  # consented for Graph, what the rotation calls


def test_a_rotation_that_works_says_each_step_and_keeps_azure_s_expiry(platform, monkeypatch):
    az, old, steps = platform.az, platform.old, []
    made = made_passwords(platform, monkeypatch)
    result = rotate(platform.run(), steps.append)
    [(asked, password)] = made
    today = datetime.now(timezone.utc)
    assert asked["display_name"] == f"porter-wizard {day(today)}"
    assert abs(asked["end"] - (today + timedelta(days=365))) < timedelta(minutes=1)
    assert result.key_id == password.key_id and result.expires_at == password.end  # Azure's, to the second
    assert result.acted_as == "the service principal itself (its current secret)"
    assert (result.old_left, result.porter_waiting, result.old_expires_at) == (None, None, None)
    assert shown(steps) == {
        "identity": ("ready", "the service principal itself"), "add": ("created", f"expires {day(password.end)}"),
        "verify": ("verified", f"token, and {az.subscription_name} read"), "store": ("stored", "and its expiry saved"),
        "porter": ("updated", "you gave it to Porter"), "remove": ("deleted", f"Secret ID {old.key_id[:8]}…")}
    record = saved(platform).secrets[platform.name]
    assert (record.kind, record.expires_at) == (SECRET_KIND, password.end.isoformat())
    assert platform.secrets.get(platform.name) == password.secret == platform.porter.holds
    assert key_ids(az) == [password.key_id] and not works(az, old.client_secret)


def test_a_new_secret_that_fails_its_check_is_removed_and_never_logged(platform, monkeypatch):
    az, steps = platform.az, []
    made = made_passwords(platform, monkeypatch)
    az.arm.inject("subscriptions.get", **ARM_DENIED)
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(), steps.append)
    [(_, password)] = made
    error = caught.value
    assert (error.step, error.title, error.next_step, error.code) == (
        "verify", "The new secret did not work", OWNER, "AuthorizationFailed")
    assert error.what == ("Azure denied access: Your identity may not read the subscription with the new secret. "
                          "Azure said: The client does not have authorization to perform action. The new secret "
                          "was removed again. Nothing changed: the current secret still works.")
    assert redact(f"token {password.secret} sent") == "token [redacted] sent"  # the keyring never had it
    assert shown(steps)["verify"] == ("failed", "Azure denied access")
    assert shown(steps)["add"] == ("undone", "removed again")
    assert key_ids(az) == [platform.old.key_id] and platform.secrets.get(platform.name) == platform.old.client_secret


def no_keyring_secret(platform):
    platform.secrets.delete(platform.name)


@pytest.mark.parametrize(("situation", "nothing_changed"), [
    (None, "Nothing changed: the current secret still works."),
    (expired_keyring_secret, "Nothing changed: your keyring still holds the previous secret (which Azure refuses)."),
    (no_keyring_secret, "Nothing changed.")])
def test_a_refused_add_says_what_the_keyring_still_holds(platform, situation, nothing_changed):
    if situation:
        situation(platform)
    kept = platform.secrets.get(platform.name)
    platform.az.graph.inject("applications.addPassword", **DENIED)
    steps = []
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(sign_in=admin(platform)), steps.append)
    error = caught.value
    assert (error.step, error.title, error.next_step, error.code) == (
        "add", "No new secret was made", OWNER, "Authorization_RequestDenied")
    assert error.what == ("Azure denied access: Your identity may not add a client secret to the app registration. "
                          f"Azure said: Insufficient privileges to complete the operation. {nothing_changed}")
    who = "the service principal itself" if situation is None else platform.az.admin_user.upn
    assert shown(steps)["identity"] == ("ready", who) and shown(steps)["add"] == ("failed", "Azure denied access")
    assert key_ids(platform.az) == [platform.old.key_id] and platform.secrets.get(platform.name) == kept


def test_a_new_secret_left_on_the_app_by_an_admin_is_named_without_claiming_the_old_works(platform):
    az = platform.az
    expired_keyring_secret(platform)
    az.arm.inject("subscriptions.get", **ARM_DENIED)
    az.graph.inject("applications.removePassword", **DENIED)
    steps = []
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(sign_in=admin(platform)), steps.append)
    left = next(k for k in key_ids(az) if k != platform.old.key_id)
    assert caught.value.what == (
        "Azure denied access: Your identity may not read the subscription with the new secret. Azure said: The "
        "client does not have authorization to perform action. Removing the new secret again failed: delete the "
        f"one whose Secret ID is {left} in the {portal(platform)}. Your keyring was not changed.")
    assert shown(steps)["add"] == ("left", "still on the app")
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_stopping_with_the_new_secret_stuck_on_the_app_has_no_cloud_code(platform):
    az = platform.az
    az.directory.secret_propagation_delay = 60.0
    az.graph.inject("applications.removePassword", **DENIED)
    stop, steps = [], []
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(sleep=lambda s: stop.append(True), cancelled=lambda: bool(stop)), steps.append)
    left = next(k for k in key_ids(az) if k != platform.old.key_id)
    error = caught.value
    assert (error.step, error.title, error.next_step, error.code) == ("verify", "The new secret did not work", "", "")
    assert error.what == ("Stopped: You stopped the rotation. Removing the new secret again failed: delete the one "
                          f"whose Secret ID is {left} in the {portal(platform)}. Your keyring was not changed and "
                          "the current secret still works.")
    assert shown(steps)["verify"] == ("failed", "stopped")


def test_a_failing_identity_step_shows_why(platform):
    expired_keyring_secret(platform)
    steps = []
    with pytest.raises(CloudError) as caught:
        rotate(platform.run(), steps.append)
    assert caught.value.code == "NeedsSignIn"
    assert shown(steps)["identity"] == ("failed", "An admin must sign in")

    def interrupted():
        raise KeyboardInterrupt
    steps.clear()
    with pytest.raises(KeyboardInterrupt):
        rotate(platform.run(sign_in=interrupted), steps.append)
    assert shown(steps)["identity"] == ("failed", "")
    assert key_ids(platform.az) == [platform.old.key_id]


# -- the state file cannot be written --------------------------------------------------------------

def failing_save(error: OSError, then=None):
    def save():
        if then:
            then()
        raise error
    return save


@pytest.mark.parametrize(("error", "why"), [(OSError(28, "No space left on device"), "No space left on device"),
                                            (PermissionError(), "PermissionError")])
def test_an_unwritable_state_file_undoes_everything_and_says_why(platform, error, why):
    steps = []
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(save=failing_save(error)), steps.append)
    error_ = caught.value
    assert (error_.step, error_.title, error_.next_step, error_.code) == (
        "store", "The new secret could not be kept", FIX, "")
    assert error_.what == (f"Progress not saved: Writing the state file failed ({why}). The new secret was "
                           "removed again. Nothing changed: the current secret still works.")
    assert shown(steps)["store"] == ("failed", "Progress not saved")
    assert platform.secrets.get(platform.name) == platform.old.client_secret
    assert platform.state.secrets[platform.name].expires_at == "2026-12-01T00:00:00+00:00"
    assert key_ids(platform.az) == [platform.old.key_id] and platform.porter.handed == []


def test_an_unwritable_state_file_after_an_admin_acted_empties_the_keyring_again(platform):
    no_keyring_secret(platform)
    backend = platform.secrets.backend
    real_set = backend.set_password

    def set_text(service, username, password):
        if not isinstance(password, str):  # as the OS keyrings: text only
            raise TypeError(f"a keyring stores text, not {type(password).__name__}")
        real_set(service, username, password)
    backend.set_password = set_text
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(sign_in=admin(platform), save=failing_save(OSError(28, "No space left on device"))),
               lambda s: None)
    assert caught.value.what == ("Progress not saved: Writing the state file failed (No space left on device). "
                                 "The new secret was removed again. Nothing changed.")
    assert platform.secrets.get(platform.name) is None and key_ids(platform.az) == [platform.old.key_id]


def test_when_the_keyring_cannot_go_back_either_the_new_secret_stays_and_it_says_so(platform):
    def lock():
        def locked(*args):
            raise keyring.errors.KeyringLocked("locked")
        platform.secrets.backend.set_password = locked
    steps = []
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(save=failing_save(OSError(28, "No space left on device"), lock)), steps.append)
    error = caught.value
    assert (error.step, error.title, error.next_step) == ("store", "Progress not saved", FIX)
    assert error.what == ("Writing the state file failed (No space left on device). The keyring holds the new "
                          "secret, which works; the old one stays valid too.")
    assert shown(steps)["store"] == ("failed", "Progress not saved") and len(key_ids(platform.az)) == 2
