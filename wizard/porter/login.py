"""Porter CLI's login, read the way the CLI reads it, so the wizard can talk to Porter's API as
the person already does from the terminal.

Source: porter-dev/porter-archive@ed607ee, cli/cmd/config/config.go. The CLI keeps
``~/.porter/porter.yaml`` (keys ``host``, ``project``, ``cluster``, ``token``...) and lets viper
bind ``PORTER_HOST``, ``PORTER_PROJECT``, ``PORTER_TOKEN`` over each key; the host defaults to
https://dashboard.getporter.dev and is stored without a trailing slash (``SetHost``). A project of
0 means "none chosen". viper ignores variables that are set but empty, and so do we. When the file
exists but cannot be parsed, the CLI stops (``InitAndLoadConfig`` fails) rather than going on with
the environment alone; so do we (None), with a warning that never quotes the file: a YAML error's
text quotes the offending line, which may be the token's.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..redaction import register_secret

log = logging.getLogger("porter_wizard.porter")

DEFAULT_HOST = "https://dashboard.getporter.dev"
CONFIG_NAME = "~/.porter/porter.yaml"
#: A CLI config is a few hundred bytes; anything this large is not one (and is not read whole).
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PorterLogin:
    host: str  # "https://dashboard.getporter.dev", no trailing slash
    project: str  # the project ID, digits, as text
    token: str = field(repr=False)  # never in a repr, log or file we write
    source: str = ""  # where it came from, for the screen


class _Damaged(Exception):
    """The config file exists but is not a CLI config we can trust; the message is safe to log."""


def _read_config(path: Path) -> dict:
    """The file's keys, {} when there is no file (the CLI itself starts from an empty one)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_CONFIG_BYTES:
                raise _Damaged(f"it is {size} bytes, more than a CLI config can be")
            raw = handle.read(MAX_CONFIG_BYTES + 1)  # the file may grow between stat and read
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _Damaged(f"it cannot be read ({type(exc).__name__})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise _Damaged("it is larger than a CLI config can be")
    import yaml

    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _Damaged("it is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" near line {mark.line + 1}" if mark is not None else ""
        raise _Damaged(f"it is not valid YAML{where}") from None  # str(exc) quotes the line
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise their own errors
        # A tag or value PyYAML parses but can't build ("2001-13-01" as a date, "!!int x",
        # "!!timestamp x", nesting deeper than the stack) raises ValueError, AttributeError,
        # RecursionError...: still a damaged file, not a crash. Never quote str(exc).
        raise _Damaged(f"it is not valid YAML ({type(exc).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _Damaged("it is not a mapping of keys to values")
    return data


def _text(value: object) -> str:
    """A scalar as viper would hand it to a string field; anything else counts as unset."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _project(value: str) -> str | None:
    """The project as Porter's numeric ID ("" when none is chosen, None when it is not a number)."""
    if not value:
        return ""
    if not value.isascii() or not value.isdigit():
        return None
    # Without int(): Python refuses to convert over 4,300 digits (ValueError), and a project of
    # "0" (or "000") is the CLI's "no project".
    return value.lstrip("0")


def _describe(from_env: list[str], file_used: bool) -> str:
    if not from_env:
        return CONFIG_NAME
    names = from_env[0] if len(from_env) == 1 else ", ".join(from_env[:-1]) + " and " + from_env[-1]
    return f"{CONFIG_NAME} with {names}" if file_used else names


def find_login(environ: Mapping[str, str] | None = None, home: Path | None = None) -> PorterLogin | None:
    """Porter CLI's login, or None when there is no token or no project (or the file is damaged)."""
    env = os.environ if environ is None else environ
    path = (home if home is not None else Path.home()) / ".porter" / "porter.yaml"
    try:
        config = _read_config(path)
    except _Damaged as why:
        log.warning("Ignoring Porter CLI's config %s: %s", CONFIG_NAME, why)
        return None
    values: dict[str, str] = {}
    from_env: list[str] = []
    file_used = False
    for key in ("token", "project", "host"):
        variable = f"PORTER_{key.upper()}"
        if env.get(variable, "").strip():  # viper: an empty variable does not override
            values[key] = env[variable].strip()
            from_env.append(variable)
        else:
            values[key] = _text(config.get(key))
            file_used = file_used or bool(values[key])
    token = values["token"]
    if token:
        register_secret(token)  # before anything else can log it
    project = _project(values["project"])
    if project is None:
        log.warning("Ignoring the Porter login: its project is not a number")
        return None
    if not token or not project:
        return None
    host = (values["host"] or DEFAULT_HOST).rstrip("/")
    if not host.startswith(("https://", "http://")):
        log.warning("Ignoring the Porter login: its host is not an http(s) URL")
        return None
    return PorterLogin(host=host, project=project, token=token, source=_describe(from_env, file_used))
