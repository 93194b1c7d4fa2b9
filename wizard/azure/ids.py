"""The IDs an Azure user types (tenant, subscription, client): GUIDs, checked at the field."""
from __future__ import annotations

import re
import uuid

from ..errors import InputError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def validate_guid(text: str, what: str) -> str:
    """`what` names the field ("tenant ID"); the result is the lowercase canonical form."""
    raw = text.strip().strip("{}")
    if not raw:
        raise InputError(f"Enter the {what}: a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47.")
    if "@" in raw or "." in raw:
        raise InputError(f"That looks like a domain or e-mail; the {what} is a GUID "
                         "(Microsoft Entra ID → Overview shows it).")
    if not _GUID.match(raw):
        compact = raw.replace("-", "")
        if len(compact) == 32 and all(c in "0123456789abcdefABCDEF" for c in compact):
            return str(uuid.UUID(compact))  # pasted without dashes: fine
        raise InputError(f"A {what} is 32 hexadecimal digits in groups of 8-4-4-4-12; "
                         f"this has {len(compact)} characters.")
    return raw.lower()
