"""The wizard's log file: what support needs to follow a session, with secrets redacted."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from .paths import config_dir_error, ensure_private_dir
from .redaction import RedactingFormatter

log = logging.getLogger("porter_wizard")
# Until setup_logging runs (tests, library use), log lines go nowhere rather than to stderr,
# which in a terminal UI would draw over the screen.
log.addHandler(logging.NullHandler())
log.propagate = False
# The Azure SDKs, msal and google-auth warn through their own loggers (a refused token, say); with no handler
# Python would print those to stderr, over the screen. They go to our log file, or nowhere.
_SDK_LOGGERS = ("azure", "msal", "google")
for _name in _SDK_LOGGERS:
    logging.getLogger(_name).addHandler(logging.NullHandler())


def setup_logging(path: Path) -> None:
    """Log to `path` (created private); ConfigDirError (a WizardError) when its folder or the
    file itself can't be written, e.g. both left owned by root after `sudo porter-wizard`."""
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise config_dir_error(path, exc) from None
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for existing in list(log.handlers):
        log.removeHandler(existing)
        existing.close()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    for name in _SDK_LOGGERS:
        sdk = logging.getLogger(name)
        for existing in [h for h in sdk.handlers if isinstance(h, logging.FileHandler)]:
            sdk.removeHandler(existing)
            existing.close()
        sdk.addHandler(handler)
        sdk.setLevel(logging.WARNING)
        sdk.propagate = False
