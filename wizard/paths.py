"""Where the wizard keeps its files.

Progress lives in the user's config directory; a sandbox session keeps its own file so that a demo
never disturbs, or resumes into, a real account's progress. PORTER_WIZARD_HOME overrides the base
directory (tests, and people who keep dotfiles elsewhere).
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import WizardError

APP_NAME = "porter-wizard"


class ConfigDirError(WizardError):
    """The folder the wizard keeps its files in can't be created or made private: a read-only
    home, or a folder left owned by root after `sudo porter-wizard`. The CLI exits 2."""


def config_dir(*, sandbox: bool) -> Path:
    override = os.environ.get("PORTER_WIZARD_HOME")
    if override:
        base = Path(override)
    else:
        from platformdirs import user_config_dir

        base = Path(user_config_dir(APP_NAME, appauthor=False))
    return base / "sandbox" if sandbox else base


def state_file(*, sandbox: bool) -> Path:
    return config_dir(sandbox=sandbox) / "state.json"


def log_file(*, sandbox: bool) -> Path:
    return config_dir(sandbox=sandbox) / "wizard.log"


def ensure_private_dir(path: Path) -> None:
    """Create the directory readable by its owner only: it holds account IDs and role ARNs.

    ConfigDirError when that is impossible (never a bare OSError from mkdir or chmod)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    except OSError as exc:
        raise config_dir_error(path, exc) from None


def config_dir_error(path: Path, exc: OSError) -> ConfigDirError:
    reason = exc.strerror or type(exc).__name__
    try:
        owner = path.stat().st_uid
    except OSError:
        owner = None
    getuid = getattr(os, "getuid", None)
    if owner is not None and getuid is not None and owner != getuid():
        why = ("it belongs to another user (perhaps root, after `sudo porter-wizard`)")
        fix = (f"Give it back to yourself (`sudo chown -R \"$USER\" {path}`), or set "
               "PORTER_WIZARD_HOME to a folder you own; then run porter-wizard again.")
    else:
        why = "the disk or a parent folder may be read-only, or not yours"
        fix = ("Make your home folder writable, or set PORTER_WIZARD_HOME to a folder you can "
               "write to; then run porter-wizard again.")
    return ConfigDirError(
        "Can't use the wizard's folder",
        f"{path} can't be created or made private ({reason}): {why}.", fix)
