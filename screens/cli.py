"""`porter-wizard`: parses the command line, starts the sandbox if asked, and runs the app."""
from __future__ import annotations

import argparse
import sys

from wizard.context import WizardContext
from wizard.crash import unexpected_message, write_crash_report
from wizard.errors import StateFileError, WizardError
from wizard.logs import setup_logging
from wizard.paths import log_file, state_file
from wizard.secret_store import SecretStore
from wizard.state import StateStore, WizardState

from .plain import printable


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("porter-wizard")
    except PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="porter-wizard",
        description="Connect your own cloud account to Porter, step by step. Progress is saved "
                    "after every step; run it again to resume.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--sandbox", action="store_true",
                        help="run against local doubles of the cloud APIs (no account needed); "
                             "sandbox progress is kept apart from real progress")
    parser.add_argument("--reset", action="store_true",
                        help="forget saved progress and start over (asks first; your cloud "
                             "account is not changed)")
    parser.add_argument("--force", action="store_true",
                        help="don't ask before replacing or deleting what exists (for scripts)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    status = commands.add_parser(
        "status", help="list stored credentials, the days until each expires and whether Porter "
                       "has the current one; exits 1 when one is expired, expires within 30 days "
                       "or is missing from Porter (for cron)")
    status.add_argument("--sandbox", action="store_true", help="the sandbox's progress instead")
    handoff = commands.add_parser(
        "handoff", help="show what Porter needs from a cloud's setup (account, role, IDs; the "
                        "secret masked unless --reveal), to give it to Porter's dashboard")
    handoff.add_argument("cloud", choices=["aws", "azure", "gcp"], help="which cloud's setup")
    handoff.add_argument("--reveal", action="store_true",
                         help="also print the secret (only to a terminal, never into a pipe or file)")
    handoff.add_argument("--done", action="store_true",
                         help="record that Porter now has the current credential (after you gave it)")
    handoff.add_argument("--sandbox", action="store_true", dest="handoff_sandbox",
                         help="the sandbox's progress instead")
    rotate = commands.add_parser(
        "rotate", help="replace a cloud credential before it expires: add a new one, check it "
                       "works, keep it in the keyring, give it to Porter, then remove the old one",
        description="Replace Azure's client secret before it expires: add a new one, check it "
                    "works, keep it in the keyring, give it to Porter (through Porter's API when "
                    "Porter CLI is logged in to the project you chose in the wizard), and only then "
                    "remove the old one, which Porter holds until it has the new one.",
        epilog="Exit status: 0 rotated (or finished); 1 not rotated, or --finish refused (the old "
               "secret still works); 2 --sandbox; 3 the new secret is in use but Porter does not "
               "have it yet: both secrets stay valid, and the output says until when and how to "
               "give Porter the new one; then run it again with --finish.")
    rotate.add_argument("cloud", choices=["azure"], help="whose credential (Azure's client secret)")
    # Its own dest: a subcommand's default would otherwise hide `porter-wizard --sandbox rotate`.
    rotate.add_argument("--sandbox", action="store_true", dest="rotate_sandbox",
                        help="explains how to rotate in the sandbox (exits 2)")
    rotate.add_argument("--finish", action="store_true",
                        help="after a rotation that exited 3: once Porter has the new secret, "
                             "remove the old one (asks first)")
    rotate.add_argument("--yes", action="store_true",
                        help="with --finish: Porter has the new secret, don't ask (for scripts)")
    return parser


def _status(sandbox: bool) -> int:
    """Print each credential's expiry and whether Porter holds the current one; 0 when all are
    fine, 1 when one needs rotating or Porter lacks the current one, 2 when the saved progress
    cannot be read."""
    from wizard.reminders import WARN_DAYS, credential_statuses

    store = StateStore(state_file(sandbox=sandbox))
    try:
        state = store.load()
    except StateFileError as err:
        print(f"{err.title}: {err.what}\nWhat to do: {err.from_a_command}", file=sys.stderr)
        return 2
    from wizard.handoff import porter_statuses

    statuses = credential_statuses(state)
    porter = porter_statuses(state)
    if not statuses and not porter:
        print("No stored credentials.")
        return 0
    for status in statuses:
        mark = "!!" if status.due else "ok"
        print(f"{mark}  {status.name:<28} {status.describe()}")
    for line in porter:
        print(f"{'ok' if line.ok else '!!'}  {'porter/' + line.cloud:<28} {line.text}")
    due = [s for s in statuses if s.due]
    if due:
        print(f"{len(due)} credential(s) expired or expiring within {WARN_DAYS} days: "
              "rotate them (Azure: porter-wizard rotate azure).", file=sys.stderr)
    behind = [line for line in porter if not line.ok]
    if behind:
        print("Porter is missing a current credential: it may lose access to your cluster.",
              file=sys.stderr)
    return 1 if due or behind else 0


def _confirm_reset(store: StateStore, force: bool) -> bool:
    if not store.path.exists():
        return True
    if force:
        return True
    if not sys.stdin.isatty():
        print(f"--reset would forget {store.path}; add --force to do that without a prompt.",
              file=sys.stderr)
        return False
    answer = input(f"Forget your saved progress in {store.path}? Nothing in your cloud account "
                   "changes. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _lock_progress(store: StateStore, *, sandbox: bool):
    """The lock on this progress file (wizard/lock.py), or None (said why on stderr) when another
    wizard holds it or the folder can't be used: two wizards would provision everything twice."""
    from wizard.errors import WizardError
    from wizard.lock import AlreadyRunning, InstanceLock

    try:
        return InstanceLock(store.path, sandbox=sandbox).acquire()
    except AlreadyRunning as err:
        print(err.message, file=sys.stderr)
    except WizardError as err:
        print(f"{err.title}: {err.what} {err.next_step}", file=sys.stderr)
    return None


#: Exit codes of the wizard itself (README, "Everywhere"): 0 finished or quit, 1 an unexpected
#: failure (a crash report was written), 2 it can't start (no terminal, config folder unusable).
EXIT_FAILED = 1
EXIT_CANT_START = 2


def _has_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "status":
        return _status(args.sandbox)
    if args.command == "handoff":
        from .handoff_cli import handoff_command

        return handoff_command(args.cloud, reveal=args.reveal, done=args.done,
                               sandbox=args.sandbox or args.handoff_sandbox)
    if args.command == "rotate":
        from .rotate_cli import rotate_command

        return rotate_command(args.cloud, sandbox=args.sandbox or args.rotate_sandbox,
                              finish=args.finish, yes=args.yes)
    store = StateStore(state_file(sandbox=args.sandbox))
    instance = _lock_progress(store, sandbox=args.sandbox)  # held for the life of the app
    if instance is None:
        return 2
    if args.reset:
        if not _confirm_reset(store, args.force):
            print("Nothing was forgotten.")
            instance.release()
            return 1
        store.reset()
    if not _has_terminal():
        # Without one Textual writes escape codes forever (`porter-wizard < /dev/null > f`).
        instance.release()
        print("porter-wizard needs a terminal (its standard input and output must both be one); "
              "for scripts use `porter-wizard status` (also `handoff` and `rotate`).",
              file=sys.stderr)
        return EXIT_CANT_START
    try:
        setup_logging(log_file(sandbox=args.sandbox))
    except WizardError as err:  # the log file or its folder: read-only, or root's after sudo
        instance.release()
        print(f"{err.title}: {err.what}\n{err.next_step}", file=sys.stderr)
        return EXIT_CANT_START
    from .signals import ExitOnSignals

    signals = ExitOnSignals()  # SIGTERM/SIGHUP: exit cleanly, through the `finally` below
    sandbox = None
    try:
        if args.sandbox:
            print("Starting the sandbox (local cloud doubles)…", flush=True)
            from wizard.sandbox.runtime import Sandbox

            sandbox = Sandbox().start()
        startup_error = None
        try:
            state = store.load()
        except StateFileError as err:
            state, startup_error = WizardState(), err
        ctx = WizardContext(state=state, store=store, secrets=SecretStore(), sandbox=bool(sandbox),
                            sandbox_endpoint=sandbox.endpoint if sandbox else "", force=args.force,
                            prepare_cloud=sandbox.prepare if sandbox else None)
        from .app import WizardApp

        app = WizardApp(ctx, startup_error=startup_error)
        signals.exit_app = app.exit
        app.run()
        for note in app.exit_notes.values():
            print(printable(note))  # notes quote paths and cloud names: no escape sequences
        if app.crashed:  # the app wrote a crash report (WizardApp._handle_exception)
            print(unexpected_message(app.crash_report), file=sys.stderr)
            return EXIT_FAILED
        if signals.exit_code:
            return signals.exit_code  # 128 + signum: 143 for SIGTERM, 129 for SIGHUP
    except Exception as exc:  # noqa: BLE001 - the last resort: a report, never a traceback
        report = write_crash_report(exc, log_file(sandbox=args.sandbox))
        print(unexpected_message(report), file=sys.stderr)
        return EXIT_FAILED
    finally:
        if sandbox:
            sandbox.stop()
        instance.release()
        signals.restore()
    return 0


if __name__ == "__main__":
    sys.exit(main())
