"""The project name: it names the cluster's resources later, so it follows the strictest cloud's
rules (lowercase letters, digits and hyphens, starting with a letter)."""
from __future__ import annotations

import re

from .errors import InputError

_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def validate_project_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise InputError("Name your project: it names the cluster and its resources.")
    if len(name) < 3 or len(name) > 30:
        raise InputError(f"Use 3 to 30 characters; this has {len(name)}.")
    if name != name.lower():
        raise InputError("Use lowercase letters only: cloud resource names reject capitals.")
    if not _NAME.match(name):
        raise InputError("Use letters, digits and hyphens, starting with a letter and not ending "
                         "with a hyphen.")
    return name
