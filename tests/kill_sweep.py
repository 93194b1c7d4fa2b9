"""The kill-and-resume sweep every cloud's provisioning and teardown goes through (issue 12).

Killing "after" request k (it lands, its answer is lost) leaves the cloud exactly as killing
"before" request k+1 does, and a resume starts from the cloud alone; so after-k for every k, plus
before-1 (nothing landed), covers every point a kill can stop a run."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


def kill_everywhere(what: str, clean: dict[str, Any], made: Sequence[Any],
          killed_then_resumed: Callable[[int, int, bool], dict[str, Any]]) -> dict[str, dict]:
    """Runs `killed_then_resumed(point, k, after)` at every kill point (point counts from 1) and
    returns where an end state differs from the clean run's: {point: {kind: (got, clean)}}."""
    started, diverged = time.monotonic(), {}
    points = [(1, False)] + [(k, True) for k in range(1, len(made) + 1)]
    for number, (k, after) in enumerate(points, start=1):
        state = killed_then_resumed(number, k, after)
        if state != clean:
            diverged[f"{'after' if after else 'before'} #{k} {made[k - 1]}"] = {
                kind: (state.get(kind), items) for kind, items in clean.items() if state.get(kind) != items}
    print(f"\n{what} kill sweep: N={len(made)} mutating requests, {len(points)} runs, "
          f"{time.monotonic() - started:.1f}s")
    return diverged
