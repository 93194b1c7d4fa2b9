"""What an admin sees when rotating the Azure client secret a year on (wizard/azure/rotation.py),
word for word, and what each outcome leaves: the passwords on the app, the keyring entry, the
secret's recorded expiry, the old secret the state keeps for Porter, and what Porter holds.
Against the local doubles of Entra ID, ARM and Graph, with the fixtures of rotation_fixtures.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import keyring.errors
import pytest

from wizard.azure import rotation
from wizard.azure.connection import SECRET_KIND
from wizard.azure.rotation import RotationFailed, admin_sign_in, current_secret, rotate
from wizard.errors import Cancelled, CloudError, WizardError
from wizard.redaction import redact
from wizard.state import SecretRecord, StateStore

from .test_azure_rotation import cloud_of, key_ids, works

DENIED = {"status": 403, "code": "Authorization_RequestDenied",
          "message": "Insufficient privileges to complete the operation."}
ARM_DENIED = {"status": 403, "code": "AuthorizationFailed", "times": None,
              "message": "The client does not have authorization to perform action."}
OWNER = "Sign in as an Owner (or User Access Administrator) of the subscription, or ask one to run this step."
GIVE = ("Give Porter the new one: run `porter-wizard handoff azure --reveal` to see it (or open the wizard), "
        "paste it in Porter's dashboard → Integrations → Azure → Password → Update")
FINISH = GIVE + "; then run `porter-wizard rotate azure --finish` to remove the old secret."
FIX = "Free some disk space or fix the permissions of the wizard's folder, then rotate again."


def shown(steps) -> dict[str, tuple[str, str]]:
    """Each step's last (status, detail), as the screen's rows and the CLI's lines show them."""
    return {s.key: (s.status, s.detail) for s in steps}


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def listed_end(platform, key: str) -> datetime:
    app = platform.az.directory.app_by_app_id(platform.old.client_id)
    return next(p.end for p in app.passwords if p.key_id == key).replace(microsecond=0)


def portal(platform) -> str:
    name = platform.az.directory.app_by_app_id(platform.old.client_id).display_name
    return f"Azure portal → App registrations → {name} → Certificates & secrets"


def saved(platform):
    return StateStore(platform.store.path).load()


def admin(platform):
    az = platform.az
    return lambda: admin_sign_in(cloud_of(az), az.tenant_id, lambda prompt: az.approve_device_code(prompt.code))


def made_passwords(platform, monkeypatch) -> list:
    """Records each addPassword as Graph got it: (what was asked, the password made)."""
    directory, made = platform.az.directory, []
    real = directory.add_password

    def add_password(app, **asked):
        made.append((asked, real(app, **asked)))
        return made[-1][1]
    monkeypatch.setattr(directory, "add_password", add_password)
    return made


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


def expired_keyring_secret(platform):
    platform.az.expire_secret(platform.old.client_id, platform.old.key_id)


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


# -- Porter does not have the new secret yet: both stay, and the result says until when ----------

def test_porter_s_api_failing_keeps_both_and_says_what_it_answered(platform):
    old, steps = platform.old, []
    platform.porter.answer = WizardError("Porter can't be reached", "No answer from Porter.", "Check your network.")
    result = rotate(platform.run(), steps.append)
    ends = listed_end(platform, old.key_id)
    waiting = result.porter_waiting
    assert waiting.title == "Porter still uses the old secret" and waiting.next_step == FINISH
    assert waiting.what == (
        f"Both secrets are valid: the new one (Secret ID {result.key_id}, in your keyring, expires "
        f"{day(result.expires_at)}) and the old one (Secret ID {old.key_id}). Sending the new one through Porter's "
        f"API failed (Porter can't be reached: No answer from Porter.). Porter still holds the old secret, which "
        f"stays valid until {day(ends)}.")
    assert shown(steps)["porter"] == ("failed", "Porter can't be reached")
    assert shown(steps)["remove"] == ("kept", f"Porter uses it; valid until {day(ends)}")
    assert result.old_expires_at == ends and platform.porter.holds == old.client_secret
    state = saved(platform).azure
    assert (state.secret_key_id, state.old_secret_key_id, state.old_secret_expires_at) == (
        result.key_id, old.key_id, ends.isoformat())
    assert sorted(key_ids(platform.az)) == sorted([old.key_id, result.key_id])


def test_stopping_the_hand_off_is_a_manual_wait(platform):
    def stopped(new):
        raise Cancelled("hand-off")
    steps = []
    result = rotate(platform.run(hand_off=stopped), steps.append)
    assert shown(steps)["porter"] == ("manual", "Porter still has the old one")
    assert "Sending" not in result.porter_waiting.what and len(key_ids(platform.az)) == 2


def test_porter_holding_an_expired_secret_is_told_it_cannot_reach_the_cluster(platform):
    old = platform.old
    expired_keyring_secret(platform)
    steps = []
    result = rotate(platform.run(sign_in=admin(platform), hand_off=None), steps.append)
    ended = listed_end(platform, old.key_id)
    assert result.porter_waiting.what == (
        f"The new secret works and the old one stays on the app: the new one (Secret ID {result.key_id}, in your "
        f"keyring, expires {day(result.expires_at)}) and the old one (Secret ID {old.key_id}). Porter still holds "
        f"the old secret, which expired on {day(ended)}: Porter cannot reach your cluster until it has the new one.")
    assert shown(steps)["remove"] == ("kept", f"Porter holds it; expired {day(ended)}")
    assert shown(steps)["porter"] == ("manual", "Porter still has the old one")
    assert result.old_expires_at == ended and saved(platform).azure.old_secret_key_id == old.key_id
    assert result.acted_as == f"{platform.az.admin_user.upn} (device code; the client secret has expired)"


def twin_of_the_typed_secret(platform) -> str:
    """A second secret with the keyring's secret's hint, and no key ID recorded for it."""
    platform.state.azure.secret_key_id = ""
    app = platform.az.directory.app_by_app_id(platform.old.client_id)
    return platform.az.directory.add_password(app, secret=platform.old.client_secret[:3] + "4Q~" + "x" * 34).key_id


@pytest.mark.parametrize("record", [True, False])
def test_when_the_wizard_cannot_tell_which_secret_porter_holds_it_says_where_to_delete_it(platform, record):
    twin = twin_of_the_typed_secret(platform)
    ends = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=20)
    if record:
        platform.state.secrets[platform.name].expires_at = ends.isoformat()
    else:
        platform.state.secrets.pop(platform.name)
    steps = []
    result = rotate(platform.run(hand_off=None), steps.append)
    waiting = result.porter_waiting
    until = f"stays valid until {day(ends)}" if record else "stays valid until it expires"
    assert waiting.what == (f"Both secrets are valid: the new one (Secret ID {result.key_id}, in your keyring, "
                            f"expires {day(result.expires_at)}) and the old one. Porter still holds the old secret, "
                            f"which {until}.")
    assert waiting.next_step == (f"{GIVE}; then delete the previous secret in the {portal(platform)} (the wizard "
                                 "cannot tell which of the app's secrets it is).")
    kept = f"Porter uses it; valid until {day(ends)}" if record else "Porter still uses it"
    assert shown(steps)["remove"] == ("kept", kept)
    assert result.old_expires_at == (ends if record else None)
    assert sorted(key_ids(platform.az)) == sorted([platform.old.key_id, twin, result.key_id])


def test_a_twin_hint_does_not_hide_a_recorded_key_id(platform):
    twin = twin_of_the_typed_secret(platform)
    platform.state.azure.secret_key_id = platform.old.key_id  # the key ID is known: no guessing by hint
    result = rotate(platform.run(), lambda s: None)
    assert result.old_left is None and sorted(key_ids(platform.az)) == sorted([twin, result.key_id])


def test_a_typed_secret_is_found_by_its_hint_among_other_secrets(platform):
    old = platform.old
    platform.state.azure.secret_key_id = ""
    app = platform.az.directory.app_by_app_id(old.client_id)
    other = platform.az.directory.add_password(app, secret=("b" if old.client_secret[0] != "b" else "c") * 40)
    result = rotate(platform.run(), lambda s: None)
    assert result.old_left is None and sorted(key_ids(platform.az)) == sorted([other.key_id, result.key_id])


# -- an earlier rotation still waits for Porter ------------------------------------------------------

def waited(platform):
    first = rotate(platform.run(hand_off=None), lambda s: None)
    assert len(key_ids(platform.az)) == 2
    return first


def test_a_second_rotation_while_one_waits_is_refused_word_for_word(platform):
    first = waited(platform)
    ends = listed_end(platform, platform.old.key_id)
    with pytest.raises(CloudError) as caught:
        rotate(platform.run(), lambda s: None)
    error = caught.value
    assert (error.title, error.code) == ("A rotation is waiting for Porter", "WaitingForPorter")
    assert error.what == (f"The last rotation made a new secret (Secret ID {first.key_id}) and kept the old one "
                          f"(Secret ID {platform.old.key_id}), which stays valid until {day(ends)}, because Porter "
                          "still held it.")
    assert error.next_step == f"{FINISH} Rotate again after that."


def test_when_the_waiting_new_secret_died_the_old_one_porter_holds_is_kept_again(platform):
    """Porter can only be using the old secret: the next rotation keeps that one, by the app's
    own date for it (not a stale record), and names it."""
    az, old = platform.az, platform.old
    first = waited(platform)
    az.expire_secret(old.client_id, first.key_id)
    platform.state.azure.old_secret_expires_at = "2099-01-01T00:00:00+00:00"
    steps = []
    second = rotate(platform.run(sign_in=admin(platform), hand_off=None), steps.append)
    ends = listed_end(platform, old.key_id)
    assert f"and the old one (Secret ID {old.key_id}). Porter still holds the old secret, which stays valid " \
           f"until {day(ends)}." in second.porter_waiting.what
    assert second.old_expires_at == ends and shown(steps)["remove"] == ("kept", f"Porter uses it; valid until {day(ends)}")
    state = saved(platform).azure
    assert (state.secret_key_id, state.old_secret_key_id, state.old_secret_expires_at) == (
        second.key_id, old.key_id, ends.isoformat())
    assert old.key_id in key_ids(az) and works(az, old.client_secret)


def test_an_expired_kept_secret_is_not_the_one_kept_for_porter(platform):
    az, old = platform.az, platform.old
    first = waited(platform)
    az.expire_secret(old.client_id, old.key_id)
    platform.state.azure.old_secret_expires_at = "2020-01-01T00:00:00+00:00"
    second = rotate(platform.run(hand_off=None), lambda s: None)
    ends = listed_end(platform, first.key_id)
    assert second.porter_waiting.what.startswith("Both secrets are valid")
    assert f"(Secret ID {first.key_id}). Porter still holds" in second.porter_waiting.what
    assert second.old_expires_at == ends and saved(platform).azure.old_secret_key_id == first.key_id


# -- at the very second a secret expires, it counts as expired ----------------------------------------

@pytest.fixture
def frozen(monkeypatch):
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    monkeypatch.setattr(rotation, "now", lambda: moment)
    return moment


def test_a_kept_secret_expiring_this_second_neither_blocks_nor_is_kept(platform, frozen):
    first = waited(platform)
    platform.state.azure.old_secret_expires_at = frozen.isoformat()
    second = rotate(platform.run(hand_off=None), lambda s: None)
    assert saved(platform).azure.old_secret_key_id == first.key_id and second.key_id != first.key_id


def test_porter_s_secret_expiring_this_second_counts_as_expired(platform, frozen):
    app = platform.az.directory.app_by_app_id(platform.old.client_id)
    next(p for p in app.passwords if p.key_id == platform.old.key_id).end = frozen
    steps = []
    result = rotate(platform.run(sign_in=admin(platform), hand_off=None), steps.append)
    assert result.porter_waiting.what.startswith("The new secret works and the old one stays on the app")
    assert shown(steps)["remove"] == ("kept", f"Porter holds it; expired {day(frozen)}")
