"""Constants and helpers shared by the Azure rotation word-for-word tests."""
from __future__ import annotations

from datetime import datetime

from wizard.azure.rotation import admin_sign_in
from wizard.state import StateStore

from .test_azure_rotation import cloud_of

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


def expired_keyring_secret(platform):
    """The secret the keyring holds is one Azure has expired."""
    platform.az.expire_secret(platform.old.client_id, platform.old.key_id)
