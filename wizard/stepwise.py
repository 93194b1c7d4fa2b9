"""Long jobs made of named steps (provisioning, teardown) on any cloud: each step reports that it
is working, then what it found or did, so a screen can draw one row per step with its own clock."""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from .errors import Cancelled, CloudError


@dataclass
class StepState:
    key: str
    label: str
    status: str = "waiting"  # waiting, working, then found/created (provision),
    #                          deleted/absent/kept (teardown), or failed
    detail: str = ""
    started: float | None = None
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


def run_steps(run, todo: list[tuple[str, str, Callable]], on_step: Callable[[StepState], None],
              verb: str, call: Callable[[str], AbstractContextManager]) -> None:
    """Run steps in order; each reports working, then its outcome (or failed). `call` is the
    cloud's error translator (aws_call, azure_call) so a failure leaves as a WizardError."""
    states = [StepState(key, label) for key, label, _ in todo]
    for state in states:
        on_step(state)
    for (key, label, act), state in zip(todo, states):
        if run.cancelled():
            raise Cancelled(label)
        state.status, state.started = "working", time.monotonic()
        on_step(state)
        try:
            with call(f"{verb} the {_in_sentence(label)}"):
                state.status, state.detail = act(run)
        except Exception:
            state.status, state.finished = "failed", time.monotonic()
            on_step(state)
            raise
        state.finished = time.monotonic()
        on_step(state)


# Names, capitalised mid-sentence too ("Network Load Balancer", "Elastic IP" are AWS's products).
_PROPER = {"Kubernetes", "Network", "Elastic", "Microsoft"}


def _in_sentence(label: str) -> str:
    """"Node group" → "node group", but "EKS cluster", "Kubernetes cluster (AKS)" and the
    products named in _PROPER keep their capitals."""
    if label[1:2].isupper() or label.split(" ", 1)[0] in _PROPER:
        return label
    return label[0].lower() + label[1:]


def poll_until(run, what: str, probe: Callable[[], str | None], ready: set[str],
               failed: set[str], timeout_s: float,
               failure: Callable[[str, str], CloudError]) -> str:
    """Poll probe() every run.poll_seconds until it returns a ready state. A failed state raises
    failure(subject, state) (the cloud's own words); Esc raises Cancelled; past timeout_s, a
    retryable "taking too long"."""
    deadline = time.monotonic() + timeout_s
    subject = what[0].upper() + what[1:]
    while True:
        state = probe()
        if state in ready:
            return state
        if state in failed:
            raise failure(subject, state or "")
        if run.cancelled():
            raise Cancelled(what)
        if time.monotonic() > deadline:
            raise CloudError(f"{subject} is taking too long", f"{subject} is still {state}.",
                             "Resume later: the wizard picks it up where it is.",
                             code="Timeout", retryable=True)
        run.sleep(run.poll_seconds)
