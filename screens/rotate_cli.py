"""`porter-wizard rotate azure`: rotates the platform's Azure client secret in the terminal, with
plain printed progress (fits cron, SSH and scripts; no Textual), from the saved progress.

Porter holds the secret too. When Porter CLI is logged in to the project the wizard set up, the
new secret goes through Porter's API and the old one is removed; otherwise the command stops
after storing the new one (exit 3, both secrets valid) and says how to give it to Porter, and
`--finish` removes the old one afterwards."""
from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from wizard import handoff
from wizard.errors import StateFileError, WizardError
from wizard.logs import setup_logging
from wizard.paths import log_file, state_file
from wizard.secret_store import SecretStore
from wizard.state import StateStore, WizardState

#: Rotated, but Porter does not have the new secret yet: both stay valid until --finish.
EXIT_WAITING = 3
SANDBOX_NOTE = (
    "The sandbox's Azure lives in memory inside one `porter-wizard --sandbox` session, so there is "
    "nothing for this command to reach. To try a rotation in the sandbox, start "
    "`porter-wizard --sandbox`, set up Azure there, and open the rotation from inside that session.")
_MARKS = {"failed": "✗", "left": "✗", "manual": "!", "kept": "!", "skipped": "!"}
_WORDS = {"manual": "not yet", "updated": "done"}


class _StepPrinter:
    """One line when a step starts, one when its detail changes (a retry), one when it ends."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, str]] = {}

    def __call__(self, step) -> None:
        now = (step.status, step.detail)
        if step.status == "waiting" or self._seen.get(step.key) == now:
            return
        first = step.key not in self._seen
        self._seen[step.key] = now
        if step.status == "working":
            print(f"… {step.label}" if first else f"  {step.detail}", flush=True)
            return
        mark, word = _MARKS.get(step.status, "✓"), _WORDS.get(step.status, step.status)
        print(f"{mark} {step.label}: {word}" + (f" ({step.detail})" if step.detail else ""), flush=True)


def _show_code(prompt) -> None:
    # Printed, never opened: this may be an SSH session, where a browser would open remotely.
    print("\nThe current secret cannot make the change, so an admin must sign in.\n"
          f"  Open {prompt.url} on any device and enter the code {prompt.code}\n"
          "  Sign in as an Owner of the app registration or an Application Administrator.\n"
          "  Waiting for you to sign in (Ctrl-C stops; nothing has changed yet)…\n", flush=True)


def porter_api_hand_off(state: WizardState) -> tuple[Callable | None, str]:
    """(a hand-off through Porter's API, or None; why not, for the person). Only when the wizard
    was told to use Porter's API: a CLI logged in to another project would give the secret to a
    Porter that does not run this cluster, and the old secret would then go from under the one
    that does."""
    if state.porter_mode != "api":
        return None, ""
    from wizard.porter.login import find_login

    login = find_login()
    if login is None:
        return None, ("Porter CLI is not logged in on this machine (and PORTER_TOKEN is not set), so "
                      "the new secret cannot go through Porter's API.")
    other_project = state.porter_project and login.project != state.porter_project
    if other_project or (state.porter_host and login.host != state.porter_host):
        return None, (f"Porter CLI is logged in to project {login.project} at {login.host}, not "
                      f"{state.porter_project} at {state.porter_host or login.host} (the one the wizard "
                      "set up), so the new secret does not go through its API.")
    from wizard.porter.client import PorterClient

    client = PorterClient(login)

    def hand_off(new) -> bool:
        az = state.azure
        before = az.porter_integration_id
        integration = client.connect_azure(client_id=az.client_id, subscription_id=az.subscription_id,
                                           tenant_id=az.tenant_id, secret=new.value)
        if before and integration and integration != before:
            # Porter's dashboard updates the Password through this same POST (AzureCredentialForm.tsx,
            # create_azure.go -> SaveAzureCredentials); an answer naming another credential means
            # Porter filed it apart from the one the cluster uses, so the old one must stay.
            raise WizardError("Porter filed the new secret separately",
                              f"Porter took the new secret as credential {integration}, while the "
                              f"cluster was set up with {before}; the old secret stays valid.",
                              "Check in Porter's dashboard (Integrations → Azure) that the cluster uses "
                              "the new secret, then run `porter-wizard rotate azure --finish`.")
        handoff.record(state, "azure", "api", integration)
        return True
    return hand_off, ""


def rotate_command(cloud_name: str, *, sandbox: bool, finish: bool = False, yes: bool = False) -> int:
    """0: rotated (or finished); 1: not rotated, or --finish refused (the message says why, and
    that the old secret still works); 2: --sandbox, which has nothing to reach from here; 3: the
    new secret is in use but Porter does not have it yet (both stay valid)."""
    if sandbox:
        print(SANDBOX_NOTE, file=sys.stderr)
        return 2
    store = StateStore(state_file(sandbox=False))
    try:
        state = store.load()
    except StateFileError as err:
        print(f"{err.title}: {err.what}\nWhat to do: {err.from_a_command}", file=sys.stderr)
        return 1
    setup_logging(log_file(sandbox=False))
    # Azure's SDKs load only now: `status` and the app's start stay light.
    from wizard.azure.cloud import current_cloud
    from wizard.azure.rotation import RotationRun, admin_sign_in

    az, cloud = state.azure, current_cloud()
    run = RotationRun(cloud, state, SecretStore(), lambda: store.save(state),
                      sign_in=lambda: admin_sign_in(cloud, az.tenant_id, _show_code))
    return _finish(run, yes) if finish else _rotate(run)


def _rotate(run) -> int:
    from wizard.azure.rotation import current_secret, rotate

    state, az = run.state, run.state.azure
    old_key, secret = az.secret_key_id, current_secret(state)
    if az.client_id:
        print(f"Rotating the client secret of app {az.client_id} (tenant {az.tenant_id})."
              + (f" {secret.describe()}." if secret else ""), flush=True)
    run.hand_off, why_not = porter_api_hand_off(state)
    try:
        result = rotate(run, _StepPrinter())
    except WizardError as err:
        print(f"\nNot rotated. {err.title}: {err.what}\nWhat to do: {err.next_step}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. " + (_stopped_after_store(state) if az.secret_key_id != old_key else
                               "Nothing changed: a new secret, if made, was removed again."), file=sys.stderr)
        return 1
    print(f"\nRotated: the new secret (Secret ID {result.key_id}) expires "
          f"{result.expires_at.date().isoformat()}; it is in your keyring and the wizard uses it from "
          "now on.")
    if result.porter_waiting:
        waiting = result.porter_waiting
        print(f"\n{waiting.title}. {waiting.what}" + (f" {why_not}" if why_not else "")
              + f"\n{waiting.next_step}", file=sys.stderr)
        return EXIT_WAITING
    how = "through Porter's API" if az.porter_via == "api" else "given by hand"
    print(f"Porter has it too ({how})" + ("." if result.old_left else ", and the old secret is gone."))
    if result.old_left:
        old = result.old_left
        print(f"\nNote: {old.title}. {old.what}\nWhat to do: {old.next_step}", file=sys.stderr)
    return 0


def _stopped_after_store(state: WizardState) -> str:
    from wizard.azure.rotation_common import HOW_TO_FINISH

    if state.azure.old_secret_key_id and not handoff.porter_is_current(state, "azure"):
        return ("The new secret is in your keyring and the wizard uses it; the old one "
                f"(Secret ID {state.azure.old_secret_key_id}) stays valid for Porter. {HOW_TO_FINISH}")
    return ("The new secret is in use and Porter has it; the old one may still be on the app: run "
            "`porter-wizard rotate azure --finish` to remove it.")


def _finish(run, yes: bool) -> int:
    """--finish: once Porter has the new secret, remove the old one kept for it."""
    from wizard.azure.rotation import NothingWaiting, finish_rotation

    state, az = run.state, run.state.azure
    via = "manual"
    waiting = bool(az.old_secret_key_id) and az.old_secret_key_id.lower() != az.secret_key_id.lower()
    if waiting and not handoff.porter_is_current(state, "azure"):
        sent, why_not = _send_current(run)
        if sent:
            via = "api"  # recorded by the hand-off; finish_rotation writes it with the rest
        else:
            if why_not:
                print(why_not, file=sys.stderr)
            answer = _confirmed(yes)  # the person may have pasted it by hand meanwhile
            if answer is None:
                return 1
            if not answer:
                print("Nothing removed: both secrets stay valid until Porter has the new one.")
                return EXIT_WAITING
    try:
        result = finish_rotation(run, _StepPrinter(), via=via)
    except NothingWaiting as err:
        print(f"{err.title}. {err.what} {err.next_step}")
        return 0
    except WizardError as err:
        print(f"\nNot finished. {err.title}: {err.what}\nWhat to do: {err.next_step}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Run `porter-wizard rotate azure --finish` again to finish.", file=sys.stderr)
        return 1
    if result.old_left:
        old = result.old_left
        print(f"\nNot finished. {old.title}: {old.what}\nWhat to do: {old.next_step}", file=sys.stderr)
        return 1
    print(f"\nFinished: Porter has the current secret (Secret ID {result.key_id}, expires "
          f"{result.expires_at.date().isoformat()}) and the old one is gone.")
    return 0


def _send_current(run) -> tuple[bool, str]:
    """--finish on the API path: Porter's API takes the keyring's (current) secret. (sent, why not)."""
    from wizard.azure.rotation import NewSecretForPorter

    state, az = run.state, run.state.azure
    hand_off, why_not = porter_api_hand_off(state)
    value = run.secrets.get(az.secret_name) if hand_off else None
    if not (hand_off and value):
        return False, why_not
    print("… Sending the new secret to Porter's API", flush=True)
    try:
        hand_off(NewSecretForPorter(az.secret_key_id, _expiry(state), value))
    except WizardError as err:
        return False, f"Porter's API did not take the new secret. {err.title}: {err.what} {err.next_step}"
    return True, ""


def _expiry(state: WizardState) -> datetime:
    from wizard.azure.rotation_common import now, parse

    record = state.secrets.get(state.azure.secret_name)
    return parse(record.expires_at if record else "") or now()


def _confirmed(yes: bool) -> bool | None:
    """Whether Porter has the new secret: --yes, or the person's answer; None: no way to ask."""
    if yes:
        return True
    if not sys.stdin.isatty():
        print("--finish removes the old secret, which Porter keeps using until it has the new one. "
              "With no terminal to ask in, add --yes to say Porter has the new secret.", file=sys.stderr)
        return None
    answer = input("Has Porter got the new secret (Porter's dashboard → Integrations → Azure → "
                   "Password)? The old one stops working once removed. [y/N] ")
    return answer.strip().lower() in ("y", "yes")
