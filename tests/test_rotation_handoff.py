"""The rotation and Porter: the old client secret leaves the app only once Porter has the new one.

Against the local doubles of Entra ID, ARM and Graph with the real SDKs. Porter is modelled by the
secret it holds: the one pasted at setup, then the last one the hand-off gave it and it took. A
failure at each step must leave that secret working, and the old secret on the app until the
hand-off said True; finish_rotation then removes it, and refuses when that would be unsafe."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from wizard import handoff
from wizard.azure.rotation import (NewSecretForPorter, NothingWaiting, RotationFailed, admin_sign_in,
                                   finish_rotation, rotate)
from wizard.errors import Cancelled, CloudError, WizardError
from wizard.state import StateStore

from .porter_fixtures import PORTER_PROJECT, PORTER_TOKEN
from .test_azure_rotation import Porter, cloud_of, final, key_ids, no_secret_written, works

DENIED = {"status": 403, "code": "Authorization_RequestDenied",
          "message": "Insufficient privileges to complete the operation."}


@dataclass
class WatchedPorter(Porter):
    """Also notes, at each hand-off, which secrets the app had: the old one must still be there."""
    old_key: str = ""
    az: object = field(default=None, repr=False)
    old_there: list = field(default_factory=list)

    def take(self, new) -> bool:
        self.old_there.append(self.old_key in key_ids(self.az))
        return super().take(new)


def watch(platform, answer=True) -> WatchedPorter:
    platform.porter = WatchedPorter(platform.old.client_secret, answer, old_key=platform.old.key_id, az=platform.az)
    return platform.porter


def disk_full():
    raise OSError(28, "No space left on device")


def porter_keeps_working(platform) -> None:
    """(a) Porter's secret gets a token; (b) the old one went only after the hand-off said True."""
    az, porter, old = platform.az, platform.porter, platform.old
    assert works(az, porter.holds)
    assert all(porter.old_there)  # at every hand-off the old secret was still on the app
    if porter.holds == old.client_secret:  # Porter never took a new one
        assert old.key_id in key_ids(az) and works(az, old.client_secret)
    kept = StateStore(platform.store.path).load().azure
    if kept.old_secret_key_id:  # what the file says is kept for Porter is on the app
        assert kept.old_secret_key_id in key_ids(az)
    wizard_secret = platform.secrets.get(platform.name)
    assert wizard_secret and works(az, wizard_secret)  # and the wizard has a working one too


FAULTS = {
    "identity": lambda p: p.az.graph.inject("applications.get", status=400, code="Request_BadRequest",
                                             message="Bad request."),
    "add": lambda p: p.az.graph.inject("applications.addPassword", **DENIED),
    "verify": lambda p: p.az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                                        message="The client does not have authorization to perform action."),
    "store": lambda p: {"save": disk_full},
    "hand-off raises": lambda p: setattr(p.porter, "answer", WizardError(
        "Porter can't be reached", "No answer from Porter.", "Check your network, then try again.")),
    "hand-off says not yet": lambda p: setattr(p.porter, "answer", False),
    "no hand-off": lambda p: {"hand_off": None},
    "remove": lambda p: p.az.graph.inject("applications.removePassword", **DENIED),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_at_any_step_leaves_porter_with_a_working_secret(platform, fault):
    watch(platform)
    overrides = FAULTS[fault](platform)
    steps = []
    try:
        result = rotate(platform.run(**(overrides if isinstance(overrides, dict) else {})), steps.append)
    except WizardError:
        result = None
    porter_keeps_working(platform)
    old_gone = platform.old.key_id not in key_ids(platform.az)
    if fault in ("identity", "add", "verify", "store"):
        assert result is None and platform.porter.handed == [] and not old_gone
        assert final(steps)[fault] == "failed"
    elif fault == "remove":
        assert result.old_left is not None and not old_gone and platform.porter.holds != platform.old.client_secret
        assert final(steps)["porter"] == "updated" and final(steps)["remove"] == "failed"
    else:
        assert result.porter_waiting is not None and not old_gone
        assert final(steps)["porter"] in ("manual", "failed") and final(steps)["remove"] == "kept"
    no_secret_written(platform.home, platform.old.client_secret, platform.porter.holds)


def test_without_porter_both_secrets_stay_and_the_state_says_which_until_when(platform):
    az, old = platform.az, platform.old
    result = rotate(platform.run(hand_off=None), lambda s: None)
    waiting = result.porter_waiting
    assert waiting.title == "Porter still uses the old secret"
    assert "Both secrets are valid" in waiting.what and old.key_id in waiting.what and result.key_id in waiting.what
    assert "Porter still holds the old secret, which stays valid until" in waiting.what
    assert "porter-wizard rotate azure --finish" in waiting.next_step and "handoff azure --reveal" in waiting.next_step
    new = platform.secrets.get(platform.name)
    assert new not in str(waiting) and new not in waiting.next_step
    saved = StateStore(platform.store.path).load().azure
    assert saved.secret_key_id == result.key_id and saved.old_secret_key_id == old.key_id
    assert saved.old_secret_expires_at[:10] == result.old_expires_at.date().isoformat()
    assert saved.porter_credential == ""  # Porter was never recorded as having the new one
    assert works(az, new) and works(az, old.client_secret)


def test_the_hand_off_gets_the_new_secret_without_it_in_a_repr(platform):
    porter = watch(platform)
    rotate(platform.run(), lambda s: None)
    given = porter.handed[0]
    assert isinstance(given, NewSecretForPorter) and given.value == platform.secrets.get(platform.name)
    assert given.value not in repr(given) and given.key_id in repr(given)


def test_an_api_hand_off_records_itself(platform):
    state = platform.state

    def through_the_api(new) -> bool:
        handoff.record(state, "azure", "api", "cred-42")  # what Porter's API answered
        return True
    steps = []
    result = rotate(platform.run(hand_off=through_the_api), steps.append)
    saved = StateStore(platform.store.path).load().azure
    assert (saved.porter_via, saved.porter_credential, saved.porter_integration_id) == ("api", result.key_id, "cred-42")
    assert [s.detail for s in steps if s.key == "porter"][-1] == "through Porter's API"
    assert key_ids(platform.az) == [result.key_id]


def test_stopping_while_waiting_for_porter_keeps_both(platform):
    def stopped(new):
        raise Cancelled("hand-off")
    result = rotate(platform.run(hand_off=stopped), lambda s: None)
    assert result.porter_waiting is not None and len(key_ids(platform.az)) == 2


def test_a_crash_during_the_hand_off_leaves_a_file_that_names_both(platform):
    def crash(new):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        rotate(platform.run(hand_off=crash), lambda s: None)
    saved = StateStore(platform.store.path).load().azure
    assert saved.old_secret_key_id == platform.old.key_id and saved.secret_key_id in key_ids(platform.az)
    assert works(platform.az, platform.old.client_secret) and works(platform.az, platform.secrets.get(platform.name))


# -- finishing ----------------------------------------------------------------------------------

def waiting_rotation(platform):
    result = rotate(platform.run(hand_off=None), lambda s: None)
    assert len(key_ids(platform.az)) == 2
    return result


def test_finish_removes_the_old_secret_once_porter_has_the_new_one_and_is_idempotent(platform):
    result = waiting_rotation(platform)
    steps = []
    finished = finish_rotation(platform.run(), steps.append)
    assert key_ids(platform.az) == [result.key_id] and finished.key_id == result.key_id
    assert final(steps) == {"porter": "updated", "remove": "deleted"}
    saved = StateStore(platform.store.path).load().azure
    assert saved.old_secret_key_id == saved.old_secret_expires_at == ""
    assert (saved.porter_credential, saved.porter_via) == (result.key_id, "manual") and saved.porter_at
    assert not works(platform.az, platform.old.client_secret)
    with pytest.raises(NothingWaiting) as caught:  # again: nothing to do, nothing touched
        finish_rotation(platform.run(), lambda s: None)
    assert result.key_id in caught.value.what and "porter-wizard status" in caught.value.next_step
    assert key_ids(platform.az) == [result.key_id]


def test_finish_with_nothing_waiting_refuses(platform):
    with pytest.raises(NothingWaiting):
        finish_rotation(platform.run(), lambda s: None)
    assert key_ids(platform.az) == [platform.old.key_id]


def test_finish_counts_an_old_secret_deleted_in_the_portal_as_removed(platform):
    waiting_rotation(platform)
    platform.az.directory.app_by_app_id(platform.old.client_id).passwords[:] = [
        p for p in platform.az.directory.app_by_app_id(platform.old.client_id).passwords
        if p.key_id != platform.old.key_id]
    steps = []
    finish_rotation(platform.run(), steps.append)
    assert final(steps)["remove"] == "absent"
    assert StateStore(platform.store.path).load().azure.old_secret_key_id == ""


def admin_signs_in(az):
    def sign_in():
        return admin_sign_in(cloud_of(az), az.tenant_id, lambda prompt: az.approve_device_code(prompt.code))
    return sign_in


def test_finish_refuses_when_the_new_secret_no_longer_works_and_rotating_again_is_allowed(platform):
    """A year on: the new secret was never given to Porter and has since stopped working. Porter
    can only be using the old one, so it stays; a new rotation keeps it for Porter again."""
    az, old = platform.az, platform.old
    first = waiting_rotation(platform)
    az.expire_secret(old.client_id, first.key_id)
    with pytest.raises(CloudError) as caught:
        finish_rotation(platform.run(), lambda s: None)
    assert caught.value.title == "The new secret does not work" and "removes nothing" in caught.value.what
    assert "porter-wizard rotate azure" in caught.value.next_step
    assert old.key_id in key_ids(az) and works(az, old.client_secret)

    porter = watch(platform)
    second = rotate(platform.run(sign_in=admin_signs_in(az)), lambda s: None)  # the keyring's is dead
    assert porter.holds == platform.secrets.get(platform.name) and works(az, porter.holds)
    # Porter took the newest one: the old one and the dead one from the first rotation are gone.
    assert key_ids(az) == [second.key_id] and all(porter.old_there)


def test_finish_refuses_when_the_keyring_has_lost_the_new_secret(platform):
    waiting_rotation(platform)
    platform.secrets.delete(platform.name)
    with pytest.raises(CloudError) as caught:
        finish_rotation(platform.run(), lambda s: None)
    assert caught.value.code == "NoSecret" and platform.old.key_id in caught.value.what
    assert len(key_ids(platform.az)) == 2


def test_a_second_rotation_is_refused_while_one_waits_and_makes_nothing(platform):
    waiting_rotation(platform)
    before = key_ids(platform.az)
    with pytest.raises(CloudError) as caught:
        rotate(platform.run(), lambda s: None)
    assert caught.value.code == "WaitingForPorter" and "--finish" in caught.value.next_step
    assert key_ids(platform.az) == before


def test_a_waiting_rotation_whose_old_secret_expired_does_not_block_the_next(platform):
    first = waiting_rotation(platform)
    platform.az.expire_secret(platform.old.client_id, platform.old.key_id)
    platform.state.azure.old_secret_expires_at = "2020-01-01T00:00:00+00:00"
    porter = watch(platform)
    second = rotate(platform.run(), lambda s: None)
    assert porter.holds == platform.secrets.get(platform.name)
    assert key_ids(platform.az) == [second.key_id] and first.key_id != second.key_id  # both older ones gone


def test_when_removing_fails_after_porter_took_it_finish_removes_it_later_without_asking(platform):
    platform.az.graph.inject("applications.removePassword", **DENIED)
    result = rotate(platform.run(), lambda s: None)
    assert result.old_left is not None and "--finish" in result.old_left.next_step
    saved = StateStore(platform.store.path).load().azure
    assert (saved.porter_credential, saved.old_secret_key_id) == (result.key_id, platform.old.key_id)
    steps = []
    finish_rotation(platform.run(), steps.append)
    assert [s.detail for s in steps if s.key == "porter"][-1].startswith("recorded on")
    assert key_ids(platform.az) == [result.key_id]


def test_a_finish_that_cannot_remove_keeps_the_record_for_the_next_try(platform):
    waiting_rotation(platform)
    platform.az.graph.inject("applications.removePassword", **DENIED)
    finished = finish_rotation(platform.run(), lambda s: None)
    assert finished.old_left is not None and platform.old.key_id in finished.old_left.next_step
    assert StateStore(platform.store.path).load().azure.old_secret_key_id == platform.old.key_id
    finish_rotation(platform.run(), lambda s: None)
    assert platform.old.key_id not in key_ids(platform.az)


def test_a_rotation_that_fails_before_the_hand_off_is_not_left_waiting(platform):
    platform.az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                           message="The client does not have authorization to perform action.")
    with pytest.raises(RotationFailed):
        rotate(platform.run(), lambda s: None)
    saved = StateStore(platform.store.path).load().azure
    assert saved.old_secret_key_id == "" and saved.secret_key_id == platform.old.key_id


# -- through Porter's API (its double), from the terminal and the screen --------------------------

@pytest.fixture
def api_path(terminal, porter, monkeypatch, tmp_path):
    """The wizard was told to use Porter's API, and Porter CLI's login (as its variables) is there."""
    state = terminal.state
    state.porter_mode, state.porter_project, state.porter_host = "api", PORTER_PROJECT, porter.url
    terminal.store.save(state)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    for name, value in (("PORTER_HOST", porter.url), ("PORTER_PROJECT", PORTER_PROJECT),
                        ("PORTER_TOKEN", PORTER_TOKEN), ("PORTER_CA_BUNDLE", porter.ca_path)):
        monkeypatch.setenv(name, value)
    return terminal


def porter_received(porter) -> list[str]:
    return [i["service_principal_key"] for i in porter.integrations if i["cloud"] == "azure"]


def test_from_the_terminal_porter_s_api_takes_the_new_secret_then_the_old_one_goes(api_path, porter, capsys):
    from screens.cli import main

    assert main(["rotate", "azure"]) == 0
    printed = capsys.readouterr()
    new = api_path.secrets.get(api_path.name)
    assert porter_received(porter) == [new] and works(api_path.az, new)
    assert "✓ Give Porter the new secret: done (through Porter's API)" in printed.out
    assert new not in printed.out + printed.err and PORTER_TOKEN not in printed.out + printed.err
    saved = StateStore(api_path.store.path).load().azure
    assert key_ids(api_path.az) == [saved.secret_key_id] and saved.old_secret_key_id == ""
    assert (saved.porter_via, saved.porter_credential) == ("api", saved.secret_key_id)
    assert saved.porter_integration_id == porter.integrations[-1]["cloud_provider_credentials_id"]
    no_secret_written(api_path.home, api_path.old.client_secret, new, PORTER_TOKEN)


def test_from_the_terminal_a_refusing_api_keeps_both_and_finish_sends_it_later(api_path, porter, capsys):
    from screens.cli import main

    porter.inject("create_azure", 500, "internal server error")
    assert main(["rotate", "azure"]) == 3
    err = capsys.readouterr().err
    assert "Sending the new one through Porter's API failed" in err and "--finish" in err
    assert porter_received(porter) == [] and len(key_ids(api_path.az)) == 2
    assert works(api_path.az, api_path.old.client_secret)  # what Porter still holds

    assert main(["rotate", "azure", "--finish"]) == 0  # the API works again: no question needed
    new = api_path.secrets.get(api_path.name)
    assert porter_received(porter) == [new] and key_ids(api_path.az) == [StateStore(
        api_path.store.path).load().azure.secret_key_id]
    assert StateStore(api_path.store.path).load().azure.porter_via == "api"


def test_porter_filing_the_new_secret_under_another_credential_keeps_the_old_one(api_path, porter, capsys):
    """Porter answered with a credential other than the cluster's: it may still use the old
    secret, so the old one stays until a person confirms."""
    from screens.cli import main

    api_path.state.azure.porter_integration_id = "the-cluster-s-own-credential"
    api_path.store.save(api_path.state)
    assert main(["rotate", "azure"]) == 3
    err = capsys.readouterr().err
    assert "filed the new secret separately" in err and "--finish" in err
    assert len(key_ids(api_path.az)) == 2 and works(api_path.az, api_path.old.client_secret)


async def test_on_the_screen_porter_s_api_takes_it_and_nothing_is_shown(api_path, porter, make_ctx):
    from screens.app import WizardApp
    from screens.azure_rotate import open_rotation

    from .pilot_tools import press, settle, text_of, wait_for_text

    async with WizardApp(make_ctx(api_path.state, secrets=api_path.secrets)).run_test(size=(110, 60)) as pilot:
        await settle(pilot)
        open_rotation(pilot.app)
        await settle(pilot)
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
        assert "Porter has it" in text_of(pilot, "#rotate-status")
    new = api_path.secrets.get(api_path.name)
    assert porter_received(porter) == [new] and len(key_ids(api_path.az)) == 1
