"""A kill at the k-th request that changes something, shared by every service of one set of
doubles (Azure: identity, ARM, Graph; Google: every API), for the kill-and-resume sweeps.

This is a test control, not a modelled failure: the "killed" process sends nothing more, so once
tripped every request of the set (reads too) is refused until ``clear()``; no SDK retry or later
step can change the world behind the sweep's back. ``after`` lets the k-th request act first and
then loses its answer, as a kill between the request landing and its reply does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Non-GET routes that only read: token endpoints, permission tests, name checks.
READ_ONLY_POSTS = frozenset({
    "token", "devicecode", "devicelogin", "test_iam_permissions", "test_iam_permissions_v3", "acr.checkName",
})


def changes_state(route: str, method: str) -> bool:
    return method.upper() not in ("GET", "HEAD", "OPTIONS") and route not in READ_ONLY_POSTS


@dataclass
class KillSwitch:
    k: int = 0  # 0: off
    after: bool = False
    tripped: bool = False
    mutations: list[str] = field(default_factory=list)  # route names of the requests that changed something

    def arm(self, k: int, *, after: bool) -> None:
        self.k, self.after, self.tripped = k, after, False
        self.mutations.clear()

    def disarm(self) -> None:
        self.k, self.after, self.tripped = 0, False, False

    def reset(self) -> None:
        """Off, and the count of requests that changed something back to zero."""
        self.disarm()
        self.mutations.clear()

    def before(self, route: str, method: str) -> tuple[bool, bool]:
        """(refuse now, refuse after acting) for this request; counts it when it changes state."""
        if self.tripped:
            return True, False
        if not changes_state(route, method):
            return False, False
        if self.k and len(self.mutations) + 1 == self.k:
            self.tripped = True
            if self.after:
                self.mutations.append(route)
                return False, True
            return True, False
        self.mutations.append(route)
        return False, False


class KillControls:
    """The sweeps' controls on a set of doubles (Azure's, Google's): one switch for all its
    services, behind the set's lock."""

    kill_switch: KillSwitch
    _lock: Any

    def fail_at(self, k: int, *, after: bool = False) -> None:
        """Stop answering at the k-th request that changes something; 0 switches it off."""
        with self._lock:
            self.kill_switch.arm(k, after=after)

    @property
    def mutations(self) -> list[str]:
        """The routes of the requests that changed something since fail_at or clear."""
        with self._lock:
            return list(self.kill_switch.mutations)
