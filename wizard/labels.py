"""Tags (AWS, Azure) and labels (Google Cloud) on a found resource: ours are how teardown and the
sweep know a resource as the wizard's, and tags someone else added are theirs to keep."""
from __future__ import annotations


def with_ours(have: dict[str, str] | None, ours: dict[str, str]) -> dict[str, str] | None:
    """The found tags with ours added, or None when it already has them all (nothing to write)."""
    have = dict(have or {})
    return None if all(have.get(k) == v for k, v in ours.items()) else {**have, **ours}
