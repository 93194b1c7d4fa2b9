"""`porter-wizard rotate azure`: rotates the platform's Azure client secret in the terminal, with
plain printed progress (fits cron, SSH and scripts; no Textual), from the saved progress."""
from __future__ import annotations

import sys

from wizard.errors import StateFileError, WizardError
from wizard.logs import setup_logging
from wizard.paths import log_file, state_file
from wizard.secret_store import SecretStore
from wizard.state import StateStore

SANDBOX_NOTE = (
    "The sandbox's Azure lives in memory inside one `porter-wizard --sandbox` session, so there is "
    "nothing for this command to reach. To try a rotation in the sandbox, start "
    "`porter-wizard --sandbox`, set up Azure there, and open the rotation from inside that session.")


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
        mark = "✗" if step.status in ("failed", "left") else "✓"
        print(f"{mark} {step.label}: {step.status}" + (f" ({step.detail})" if step.detail else ""), flush=True)


def _show_code(prompt) -> None:
    # Printed, never opened: this may be an SSH session, where a browser would open remotely.
    print("\nThe current secret cannot make the change, so an admin must sign in.\n"
          f"  Open {prompt.url} on any device and enter the code {prompt.code}\n"
          "  Sign in as an Owner of the app registration or an Application Administrator.\n"
          "  Waiting for you to sign in (Ctrl-C stops; nothing has changed yet)…\n", flush=True)


def rotate_command(cloud_name: str, *, sandbox: bool) -> int:
    """0: rotated; 1: not rotated (the message says why, and that the old secret still works);
    2: --sandbox, which has nothing to reach from here."""
    if sandbox:
        print(SANDBOX_NOTE, file=sys.stderr)
        return 2
    store = StateStore(state_file(sandbox=False))
    try:
        state = store.load()
    except StateFileError as err:
        print(f"{err.title}: {err.what}\n{err.next_step}", file=sys.stderr)
        return 1
    setup_logging(log_file(sandbox=False))
    # Azure's SDKs load only now: `status` and the app's start stay light.
    from wizard.azure.cloud import current_cloud
    from wizard.azure.rotation import RotationRun, admin_sign_in, current_secret, rotate

    az, cloud, old_key = state.azure, current_cloud(), state.azure.secret_key_id
    secret = current_secret(state)
    if az.client_id:
        print(f"Rotating the client secret of app {az.client_id} (tenant {az.tenant_id})."
              + (f" {secret.describe()}." if secret else ""), flush=True)
    run = RotationRun(cloud, state, SecretStore(), lambda: store.save(state),
                      sign_in=lambda: admin_sign_in(cloud, az.tenant_id, _show_code))
    try:
        result = rotate(run, _StepPrinter())
    except WizardError as err:
        print(f"\nNot rotated. {err.title}: {err.what}\nWhat to do: {err.next_step}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. " + ("The new secret is already in use; the old one may still be on the "
                               "app (Azure portal → App registrations → Certificates & secrets)."
                               if az.secret_key_id != old_key else
                               "Nothing changed: a new secret, if made, was removed again."), file=sys.stderr)
        return 1
    print(f"\nRotated: the new secret (Secret ID {result.key_id}) expires "
          f"{result.expires_at.date().isoformat()}; it is in your keyring and the wizard uses it from "
          "now on.")
    if result.old_left:
        old = result.old_left
        print(f"\nNote: {old.title}. {old.what}\nWhat to do: {old.next_step}", file=sys.stderr)
    return 0
