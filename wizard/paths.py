"""Where the wizard keeps its files.

Progress lives in the user's config directory; a sandbox session keeps its own file so that a demo
never disturbs, or resumes into, a real account's progress. PORTER_WIZARD_HOME overrides the base
directory (tests, and people who keep dotfiles elsewhere).
"""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "porter-wizard"


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
    """Create the directory readable by its owner only: it holds account IDs and role ARNs."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
