"""`porter-wizard handoff CLOUD`: what Porter needs from a cloud's setup, printed for the
dashboard (plain lines, fits SSH and a support call). The secret is masked unless --reveal, and
then only to a terminal: it must never land in a pipe, a file or a CI log."""
from __future__ import annotations

import sys

from wizard import handoff
from wizard.errors import StateFileError, WizardError
from wizard.paths import state_file
from wizard.secret_store import SecretStore
from wizard.state import StateStore

from .plain import printable

SANDBOX_NOTE = ("The sandbox's keyring lives in memory inside one `porter-wizard --sandbox` "
                "session, so its secrets are gone once it ends: the hand-off step inside the "
                "session shows them.")


def handoff_command(cloud: str, *, reveal: bool, done: bool, sandbox: bool) -> int:
    """0: printed (or recorded); 1: nothing to show or the keyring lacks the secret; 2: --reveal
    into something that is not a terminal."""
    if reveal and not sys.stdout.isatty():
        print("--reveal prints the secret only to a terminal, never into a pipe or a file.",
              file=sys.stderr)
        return 2
    store = StateStore(state_file(sandbox=sandbox))
    try:
        state = store.load()
    except StateFileError as err:
        print(f"{err.title}: {err.what}\nWhat to do: {err.from_a_command}", file=sys.stderr)
        return 1
    if not handoff.current_credential(state, cloud):
        print(f"{cloud} is not set up yet: run porter-wizard and finish its access step first.",
              file=sys.stderr)
        return 1
    if done:
        handoff.record(state, cloud, "manual")
        store.save(state)
        print(f"Recorded: Porter has the current {cloud} credential.")
        return 0
    try:
        items = handoff.items(state, SecretStore(), cloud)
    except WizardError as err:
        print(f"{err.title}: {err.what}\n{err.next_step}" + (f"\n{SANDBOX_NOTE}" if sandbox else ""),
              file=sys.stderr)
        return 1
    for item in items:
        value = item.value if (reveal or not item.secret) else "(hidden: add --reveal to print it)"
        where = f"  → {item.where}" if item.where else ""
        value = printable(value)  # from the progress file or the keyring: no escape sequences
        if "\n" in value or len(value) > 200:  # the key's JSON: on lines of its own
            print(f"{item.label}{where}:\n{value}")
        else:
            print(f"{item.label:<16} {value}{where}")
    mark = "Porter has these." if handoff.porter_is_current(state, cloud) else (
        f"When Porter has them, run `porter-wizard handoff {cloud} --done` so `status` knows.")
    print(mark)
    return 0
