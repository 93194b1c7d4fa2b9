"""The last resort: a crash report for an exception nothing else caught.

Written next to the log (wizard.paths.log_file), private to the user, with every registered secret
and known secret shape redacted (wizard.redaction) and no local variables: only the exception's
type, message and the file/line/function of each frame, which is what support needs and never
what a function happened to hold (a key, a token, a response body).
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .errors import WizardError
from .paths import ensure_private_dir
from .redaction import redact

#: What the user sees when something unexpected went wrong; {path} is the crash report.
UNEXPECTED_TITLE = "Something unexpected went wrong"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("porter-wizard")
    except PackageNotFoundError:
        return "unknown"


def format_report(error: BaseException) -> str:
    """The report's text, already redacted. traceback.format_exception never includes locals."""
    lines = [
        "porter-wizard crash report",
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        f"version: {_version()}",
        f"python: {platform.python_version()} ({sys.platform})",
        "",
        "This report names the code that failed and never the values it held; send it to "
        "support along with wizard.log from the same folder.",
        "",
    ]
    lines.extend(traceback.format_exception(type(error), error, error.__traceback__))
    return redact("\n".join(line.rstrip("\n") for line in lines) + "\n")


def write_crash_report(error: BaseException, log_path: Path | None) -> Path | None:
    """Write the report next to `log_path` (or in the temporary folder when that folder is
    unusable); its path, or None when even that failed. Never raises."""
    try:
        text = format_report(error)
    except Exception:  # noqa: BLE001 - a last resort must not fail in turn
        text = redact(f"porter-wizard crash report\n{type(error).__name__}\n")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folders = []
    if log_path is not None:
        try:
            ensure_private_dir(log_path.parent)  # the wizard's own folder, never the temp one
            folders.append(log_path.parent)
        except WizardError:
            pass
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        for attempt in range(100):
            suffix = f"-{attempt}" if attempt else ""
            path = folder / f"crash-{stamp}{suffix}.txt"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError:
                break
            return path
    return None


def unexpected_message(report: Path | None) -> str:
    where = f"the crash report is at {report}" if report else "no crash report could be written"
    return (f"{UNEXPECTED_TITLE}: a bug in porter-wizard, not something you did; {where}. "
            "Your progress up to the last step is saved: run porter-wizard again to resume, and "
            "send the report to support.")
