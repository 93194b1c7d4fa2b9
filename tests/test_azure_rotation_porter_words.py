"""Rotating the Azure client secret while Porter does not have the new one yet, word for word:
both secrets stay and the result says until when; an earlier rotation still waiting; a secret
at the very second it expires. The first half is test_azure_rotation_words.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from wizard.azure import rotation
from wizard.azure.rotation import rotate
from wizard.errors import Cancelled, CloudError, WizardError

from .rotation_words import FINISH, GIVE, admin, day, expired_keyring_secret, listed_end, portal, saved, shown
from .test_azure_rotation import key_ids, works
from .test_rotation_handoff import waiting_rotation


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

def test_a_second_rotation_while_one_waits_is_refused_word_for_word(platform):
    first = waiting_rotation(platform)
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
    first = waiting_rotation(platform)
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
    first = waiting_rotation(platform)
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
    first = waiting_rotation(platform)
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
