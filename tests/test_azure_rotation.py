"""Rotating the Azure client secret (wizard/azure/rotation.py) with the real azure-identity and
azure-mgmt-subscription clients and the Graph REST client, against the local doubles of Entra ID,
ARM and Graph: at every point of every failure, a secret that works stays in the keyring. Porter
takes the new secret here (test_rotation_handoff.py covers when it does not)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import keyring.errors
import pytest
from azure.core.exceptions import ClientAuthenticationError

from wizard.azure.cloud import AzureCloud
from wizard.azure.connection import SECRET_KIND
from wizard.azure.rotation import RotationFailed, RotationRun, admin_sign_in, rotate
from wizard.errors import Cancelled, CloudError
from wizard.secret_store import SecretStore
from wizard.state import SecretRecord, StateStore, WizardState

from .azure_double_fixtures import call, device_credential, graph_client, secret_credential
from .conftest import files_under

APPLICATION_READWRITE_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass
class Porter:
    """Porter as the rotation meets it: the secret it holds (the one pasted at setup, then the
    last one handed to it that it took). `answer` is what its hand-off says: True (took it),
    False (not yet) or an exception to raise (its API failed)."""
    holds: str = field(repr=False)
    answer: object = True
    handed: list = field(default_factory=list)

    def take(self, new) -> bool:
        self.handed.append(new)
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer:
            self.holds = new.value
        return bool(self.answer)


@dataclass
class Platform:
    """The platform's service principal as the setup leaves it: its secret in the keyring, its
    ids and the secret's expiry in the saved state."""
    az: object
    state: WizardState
    store: StateStore
    secrets: SecretStore
    home: Path
    porter: Porter

    @property
    def name(self) -> str:
        return self.state.azure.secret_name

    @property
    def old(self):
        return self.az.service_principal

    def run(self, **overrides) -> RotationRun:
        values = {"save": lambda: self.store.save(self.state), "hand_off": self.porter.take, **overrides}
        return RotationRun(cloud_of(self.az), self.state, self.secrets, **values)


def cloud_of(az) -> AzureCloud:
    return AzureCloud(authority=az.authority_url, arm=az.arm_url, graph=az.graph_url, ca_path=az.ca_path)


def grant_app_writes(az) -> None:
    """What the setup's admin consent gives the service principal: Application.ReadWrite.All."""
    graph = graph_client(az, device_credential(az))
    graph_sp = call(graph, "GET", f"/v1.0/servicePrincipals?$filter=appId eq '{GRAPH_APP_ID}'")["value"][0]
    sp = az.service_principal
    call(graph, "POST", f"/v1.0/servicePrincipals/{sp.object_id}/appRoleAssignments",
         {"principalId": sp.object_id, "resourceId": graph_sp["id"], "appRoleId": APPLICATION_READWRITE_ALL},
         expect=201)


def platform_state(az) -> WizardState:
    sp = az.service_principal
    state = WizardState(project="acme-prod", cloud="azure")
    a = state.azure
    a.signin_method, a.tenant_id, a.subscription_id = "device", az.tenant_id, az.subscription_id
    a.subscription_name, a.client_id, a.app_object_id = az.subscription_name, sp.client_id, sp.app_object_id
    a.sp_object_id, a.secret_key_id = sp.object_id, sp.key_id
    state.secrets[a.secret_name] = SecretRecord(kind=SECRET_KIND, stored_at="2025-12-01T00:00:00+00:00",
                                                expires_at="2026-12-01T00:00:00+00:00")
    return state


def works(az, secret: str) -> bool:
    try:
        secret_credential(az, secret=secret).get_token(az.arm_scope)
    except ClientAuthenticationError:
        return False
    return True


def key_ids(az) -> list[str]:
    return [p.key_id for p in az.directory.app_by_app_id(az.service_principal.client_id).passwords]


def no_secret_written(home: Path, *secrets: str) -> None:
    for path in files_under(home):
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a secret was written to {path}"


def saved_kept(platform) -> tuple[str, str]:
    """(the secret Porter holds, the old secret kept on the app for it), as the state file says."""
    saved = StateStore(platform.store.path).load().azure
    return saved.porter_credential, saved.old_secret_key_id


def final(steps) -> dict[str, str]:
    return {s.key: s.status for s in steps}


def test_rotation_swaps_the_secret_and_records_only_its_expiry(platform):
    az, old, steps = platform.az, platform.old, []
    result = rotate(platform.run(), steps.append)

    new = platform.secrets.get(platform.name)
    assert new and new != old.client_secret and works(az, new)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):  # the old one is gone
        secret_credential(az).get_token(az.arm_scope)
    assert key_ids(az) == [result.key_id] and result.key_id != old.key_id
    assert result.acted_as.startswith("the service principal")
    saved = StateStore(platform.store.path).load()
    assert saved.azure.secret_key_id == result.key_id
    # Porter took the new secret before the old one went, and nothing is kept for it any more.
    assert platform.porter.holds == new and [h.key_id for h in platform.porter.handed] == [result.key_id]
    assert (saved.azure.porter_credential, saved.azure.porter_via) == (result.key_id, "manual")
    assert saved.azure.old_secret_key_id == saved.azure.old_secret_expires_at == ""
    assert result.porter_waiting is None and result.old_left is None
    record = saved.secrets[platform.name]
    expires = datetime.fromisoformat(record.expires_at)
    assert record.kind == SECRET_KIND and 364 <= (expires - datetime.now(timezone.utc)).days <= 365
    no_secret_written(platform.home, old.client_secret, new)
    assert final(steps) == {"identity": "ready", "add": "created", "verify": "verified", "store": "stored",
                            "porter": "updated", "remove": "deleted"}
    password = az.directory.app_by_app_id(old.client_id).passwords[0]
    assert password.display_name == f"porter-wizard {datetime.now(timezone.utc).date().isoformat()}"


def test_a_new_secret_entra_id_has_not_spread_yet_is_retried_until_it_works(platform):
    platform.az.directory.secret_propagation_delay = 1.0
    slept, details = [], []  # each report's detail as it was then (the step objects live on)
    result = rotate(platform.run(sleep=lambda s: (slept.append(s), time.sleep(0.3))),
                    lambda step: details.append((step.key, step.detail)))
    assert slept[:2] == [2.0, 4.0]  # the planned back-off; the test sleeps less
    assert any(key == "verify" and "not accepted yet" in detail for key, detail in details)
    assert works(platform.az, platform.secrets.get(platform.name)) and key_ids(platform.az) == [result.key_id]


def test_a_new_secret_that_cannot_read_the_subscription_is_removed_and_the_old_one_stays(platform):
    az, old, steps = platform.az, platform.old, []
    az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                  message="The client does not have authorization to perform action.")
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(), steps.append)
    error = caught.value
    assert error.step == "verify" and error.title == "The new secret did not work"
    assert "removed again" in error.what and "the current secret still works" in error.what
    assert old.client_secret not in str(error)
    assert platform.secrets.get(platform.name) == old.client_secret and works(az, old.client_secret)
    assert key_ids(az) == [old.key_id]  # the new password is gone from the app
    assert StateStore(platform.store.path).load().azure.secret_key_id == old.key_id
    assert final(steps)["add"] == "undone" and final(steps)["remove"] == "waiting"
    assert platform.porter.handed == []  # Porter never saw a secret that was removed again


def test_a_secret_never_accepted_within_the_time_limit_is_removed_again(platform):
    platform.az.directory.secret_propagation_delay = 60.0
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(propagation_timeout_s=1.0, sleep=lambda s: None), lambda s: None)
    assert "not accepted in time" in caught.value.what and "still works" in caught.value.what
    assert key_ids(platform.az) == [platform.old.key_id]
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_a_state_file_that_cannot_be_written_puts_the_old_secret_back(platform):
    az, old = platform.az, platform.old
    before = platform.store.path.read_bytes()

    def disk_full():
        raise OSError(28, "No space left on device")
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(save=disk_full), lambda s: None)
    assert caught.value.step == "store" and "No space left on device" in caught.value.what
    assert platform.secrets.get(platform.name) == old.client_secret and works(az, old.client_secret)
    assert platform.state.azure.secret_key_id == old.key_id
    assert platform.state.secrets[platform.name].expires_at == "2026-12-01T00:00:00+00:00"
    assert key_ids(az) == [old.key_id] and platform.store.path.read_bytes() == before


def test_a_refused_add_password_changes_nothing(platform):
    platform.az.graph.inject("applications.addPassword", status=403, code="Authorization_RequestDenied",
                             message="Insufficient privileges to complete the operation.")
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(), lambda s: None)
    assert caught.value.step == "add" and "Nothing changed: the current secret still works." in caught.value.what
    assert key_ids(platform.az) == [platform.old.key_id]
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_when_the_old_secret_cannot_be_removed_the_new_one_is_in_use_and_the_old_one_named(platform):
    az, old = platform.az, platform.old
    az.graph.inject("applications.removePassword", status=403, code="Authorization_RequestDenied",
                    message="Insufficient privileges to complete the operation.")
    steps = []
    result = rotate(platform.run(), steps.append)
    new = platform.secrets.get(platform.name)
    assert new != old.client_secret and works(az, new) and works(az, old.client_secret)
    assert sorted(key_ids(az)) == sorted([old.key_id, result.key_id])
    assert StateStore(platform.store.path).load().azure.secret_key_id == result.key_id
    left = result.old_left
    assert left is not None and "The new secret is in use" in left.what and "stays valid until" in left.what
    assert "Certificates & secrets" in left.next_step and old.key_id in left.next_step
    assert "rotate azure --finish" in left.next_step
    assert final(steps)["remove"] == "failed"
    # Porter has the new one; the old one stays recorded, so that --finish can remove it later.
    assert saved_kept(platform) == (result.key_id, old.key_id)


@pytest.mark.parametrize("situation", ["expired", "missing", "no Graph permission"])
def test_when_the_current_secret_cannot_act_an_admin_signs_in_with_a_device_code(platform, situation):
    az, old = platform.az, platform.old
    if situation == "expired":
        az.expire_secret(old.client_id, old.key_id)
    elif situation == "missing":
        platform.secrets.delete(platform.name)
    else:
        az.clear()  # the seed again, without the consent the fixture gave
    prompts = []

    def sign_in():
        def show(prompt):
            prompts.append(prompt)
            az.approve_device_code(prompt.code)  # the admin enters the code in a browser
        return admin_sign_in(cloud_of(az), az.tenant_id, show)
    result = rotate(platform.run(sign_in=sign_in), lambda s: None)
    assert len(prompts) == 1 and prompts[0].url.startswith(az.authority_url)
    assert result.acted_as.startswith(az.admin_user.upn)
    new = platform.secrets.get(platform.name)
    assert works(az, new) and key_ids(az) == [result.key_id]  # the old one, even expired, is removed


def test_without_a_way_to_sign_in_an_unusable_secret_is_explained_and_nothing_changes(platform):
    platform.az.expire_secret(platform.old.client_id)
    with pytest.raises(CloudError) as caught:
        rotate(platform.run(), lambda s: None)
    assert caught.value.code == "NeedsSignIn" and "expired" in caught.value.what
    assert "device code" in caught.value.next_step
    assert key_ids(platform.az) == [platform.old.key_id]


def test_stopping_while_waiting_for_the_new_secret_removes_it(platform):
    platform.az.directory.secret_propagation_delay = 60.0
    stop = []
    with pytest.raises(Cancelled):
        rotate(platform.run(sleep=lambda s: stop.append(True), cancelled=lambda: bool(stop)), lambda s: None)
    assert key_ids(platform.az) == [platform.old.key_id]
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_a_service_principal_known_only_by_its_app_id_is_found_and_its_old_secret_by_its_hint(platform):
    """Signed in with an existing service principal's typed secret: no object id, no key id."""
    platform.state.azure.app_object_id = platform.state.azure.secret_key_id = ""
    result = rotate(platform.run(), lambda s: None)
    assert platform.state.azure.app_object_id == platform.old.app_object_id
    assert key_ids(platform.az) == [result.key_id]


def test_an_unset_up_azure_is_refused_before_anything(home, keyring_backend):
    run = RotationRun(AzureCloud("https://login.example", "https://arm.example", "https://graph.example"),
                      WizardState(), SecretStore(keyring_backend), save=lambda: None)
    with pytest.raises(CloudError) as caught:
        rotate(run, lambda s: None)
    assert caught.value.code == "NotSetUp"


def test_the_reminder_date_after_rotation_is_a_year_out(platform):
    from wizard.reminders import due

    platform.state.secrets[platform.name].expires_at = (datetime.now(timezone.utc) + timedelta(days=5)).isoformat()
    assert [r.name for r in due(platform.state)] == [platform.name]
    rotate(platform.run(), lambda s: None)
    assert due(platform.state) == []


# -- when undoing fails too: what is left is named, and a working secret stays in the keyring ------

DENIED = {"status": 403, "code": "Authorization_RequestDenied",
          "message": "Insufficient privileges to complete the operation."}


def new_key(platform) -> str:
    return next(k for k in key_ids(platform.az) if k != platform.old.key_id)


def test_a_new_secret_that_cannot_be_removed_again_is_named_and_the_keyring_keeps_the_old(platform):
    az, old, steps = platform.az, platform.old, []
    az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                  message="The client does not have authorization to perform action.")
    az.graph.inject("applications.removePassword", **DENIED)
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(), steps.append)
    what = caught.value.what
    assert caught.value.step == "verify" and f"Secret ID is {new_key(platform)}" in what
    assert "Your keyring was not changed and the current secret still works." in what
    assert platform.secrets.get(platform.name) == old.client_secret and works(az, old.client_secret)
    assert final(steps)["add"] == "left" and platform.porter.handed == []


def test_stopping_when_the_new_secret_cannot_be_removed_again_says_what_is_left(platform):
    az = platform.az
    az.directory.secret_propagation_delay = 60.0
    az.graph.inject("applications.removePassword", **DENIED)
    stop = []
    with pytest.raises(RotationFailed) as caught:  # not a plain Cancelled: something is left on the app
        rotate(platform.run(sleep=lambda s: stop.append(True), cancelled=lambda: bool(stop)), lambda s: None)
    assert caught.value.what.startswith("Stopped: You stopped the rotation.")
    assert f"Secret ID is {new_key(platform)}" in caught.value.what
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_when_neither_the_state_file_nor_the_keyring_can_go_back_the_new_secret_stays(platform):
    az, old = platform.az, platform.old

    def disk_full_and_keyring_locked():
        def locked(*args):
            raise keyring.errors.KeyringLocked("locked")
        platform.secrets.backend.set_password = locked
        raise OSError(28, "No space left on device")
    with pytest.raises(RotationFailed) as caught:
        rotate(platform.run(save=disk_full_and_keyring_locked), lambda s: None)
    assert caught.value.step == "store" and caught.value.title == "Progress not saved"
    assert "The keyring holds the new secret, which works; the old one stays valid too." in caught.value.what
    kept = platform.secrets.get(platform.name)
    assert kept != old.client_secret and works(az, kept) and works(az, old.client_secret)
    assert len(key_ids(az)) == 2


def test_a_state_file_that_cannot_be_written_forgets_a_record_it_did_not_have(platform):
    platform.state.secrets.pop(platform.name)
    with pytest.raises(RotationFailed):
        rotate(platform.run(save=lambda: (_ for _ in ()).throw(OSError(13, "Permission denied"))), lambda s: None)
    assert platform.name not in platform.state.secrets
    assert platform.secrets.get(platform.name) == platform.old.client_secret


def test_a_record_naming_the_current_secret_as_the_kept_one_does_not_block(platform):
    a = platform.state.azure
    a.old_secret_key_id, a.old_secret_expires_at = a.secret_key_id.upper(), "2099-01-01T00:00:00+00:00"
    result = rotate(platform.run(), lambda s: None)
    assert key_ids(platform.az) == [result.key_id]


def test_two_secrets_with_the_typed_secret_s_hint_are_not_guessed(platform):
    """Graph shows a secret's first three characters: two alike, and the wizard can't tell which
    one Porter held, so it removes neither and says so."""
    az, old = platform.az, platform.old
    platform.state.azure.secret_key_id = ""
    app = az.directory.app_by_app_id(old.client_id)
    twin = az.directory.add_password(app, secret=old.client_secret[:3] + "4Q~" + "x" * 34)
    result = rotate(platform.run(), lambda s: None)
    assert result.old_left is not None and "cannot tell which" in result.old_left.what
    assert sorted(key_ids(az)) == sorted([old.key_id, twin.key_id, result.key_id])
