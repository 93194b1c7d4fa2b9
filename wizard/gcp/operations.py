"""What provisioning and teardown on Google Cloud share: the run (API session, plan, IDs so
far) and waiting on Google's three shapes of long-running operation:

* Compute Engine: ``status`` PENDING/RUNNING/DONE, a failure in ``error.errors[]`` (global,
  regional or zonal: the operation says which by its ``region``/``zone`` link);
* Kubernetes Engine: ``status`` the same, a failure in ``error`` (a google.rpc.Status) and
  ``statusMessage``;
* Artifact Registry: a google.longrunning.Operation, ``done`` then ``error`` or ``response``.

Every wait polls every ``poll_seconds`` and stops at once on Esc (Cancelled): the operation goes on
in Google Cloud and the next run follows or finds what it made.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import CloudError
from ..stepwise import poll_until
from .plan import GkePlan
from .session import GcpApi, GcpHttpError

GONE = "GONE"  # what a probe reports once a GET answers 404
FAILED = "FAILED"  # an operation DONE with an error
#: What to do when an operation failed with this Compute code (Google's message says what and which).
_ADVICE = {
    "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE": "Something else still uses it (Google names it above): delete that "
                                           "first in the console, or wait for the cluster's deletion to finish, "
                                           "then press Retry.",
    "QUOTA_EXCEEDED": "Request more quota in IAM & Admin → Quotas & System Limits, then press Retry.",
}
_DEFAULT_ADVICE = ("Fix what Google names above (the console's Activity log and the operation's page have the "
                   "details), then press Retry: the wizard picks up where it stopped.")


@dataclass
class GcpRun:
    """What the steps share: the API session, the plan, the links and names found or made so far."""
    api: GcpApi
    plan: GkePlan
    cancelled: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = 5.0
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.plan.gcp_project

    def compute_path(self, rest: str) -> str:
        """``global/networks/x`` → ``/compute/v1/projects/<project>/global/networks/x``."""
        return f"/compute/v1/projects/{self.project}/{rest}"

    def location_path(self, location: str, rest: str) -> str:
        """GKE and Artifact Registry: ``/v1/projects/<project>/locations/<location>/<rest>``."""
        return f"/v1/projects/{self.project}/locations/{location}/{rest}"

    def wait_until(self, what: str, probe: Callable[[], str | None], ready: set[str],
                   failed: set[str] = frozenset(), timeout_s: float = 1800.0,
                   why: Callable[[], tuple[str, str]] = lambda: ("", ""), advice: str | None = None) -> str:
        """Poll until probe() returns a ready state; a failed one raises a CloudError with
        Google's words (why() → (code, message)) and what to do (advice, or by Google's code)."""
        def failure(subject: str, state: str) -> CloudError:
            code, message = why()
            said = f"Google Cloud answered: {message}" if message else f"Google Cloud reports it as {state}."
            return CloudError(f"{subject} failed", said, advice or _ADVICE.get(code, _DEFAULT_ADVICE),
                              code=code or state)
        return poll_until(self, what, probe, ready, failed, timeout_s, failure)


def tail(link: str) -> str:
    """The last part of a link or path: ``.../regions/us-central1`` → ``us-central1``."""
    return link.rstrip("/").rsplit("/", 1)[-1]


def created(call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The operation a create started, or None when Google answers 409: it exists (made by a
    run that was cut short, or by someone else meanwhile), so the step finds it instead."""
    try:
        return call()
    except GcpHttpError as exc:
        if exc.status == 409:
            return None
        raise


# -- Compute Engine ---------------------------------------------------------------------------
def compute_operation_path(run: GcpRun, op: dict[str, Any]) -> str:
    if op.get("zone"):
        return run.compute_path(f"zones/{tail(op['zone'])}/operations/{op['name']}")
    if op.get("region"):
        return run.compute_path(f"regions/{tail(op['region'])}/operations/{op['name']}")
    return run.compute_path(f"global/operations/{op['name']}")


def _compute_error(op: dict[str, Any]) -> tuple[str, str]:
    errors = (op.get("error") or {}).get("errors") or [{}]
    return str(errors[0].get("code") or ""), "; ".join(str(e.get("message", "")) for e in errors).strip("; ")


def wait_compute(run: GcpRun, what: str, op: dict[str, Any], *, raise_error: bool = True,
                 timeout_s: float = 900.0) -> dict[str, Any]:
    """Follow a Compute operation until DONE; one that ended with an error raises (unless
    raise_error is False: then the finished operation is returned for the caller to judge)."""
    last = {"op": op}

    def probe() -> str:
        if last["op"].get("status") != "DONE":
            last["op"] = run.api.get("compute", compute_operation_path(run, last["op"]))
        done = last["op"].get("status") == "DONE"
        return (FAILED if last["op"].get("error") else "DONE") if done else str(last["op"].get("status"))

    run.wait_until(what, probe, {"DONE", FAILED} if not raise_error else {"DONE"}, {FAILED}, timeout_s,
                   why=lambda: _compute_error(last["op"]))
    return last["op"]


def follow_compute(run: GcpRun, what: str, scope: str, link: str) -> list[dict[str, Any]]:
    """Wait for the operations still running on a resource (a run cut short while Google made
    or deleted it); returns them finished. A failed delete is not an error here: the resource
    simply stays. ``scope``: "global" or "regions/<region>"."""
    listed = run.api.get("compute", run.compute_path(f"{scope}/operations"),
                         params={"filter": f'targetLink = "{link}"'})
    running = [op for op in listed.get("items") or [] if op.get("targetLink") == link and op.get("status") != "DONE"]
    return [wait_compute(run, what, op, raise_error=op.get("operationType") != "delete") for op in running]


# -- Kubernetes Engine ------------------------------------------------------------------------
def wait_container(run: GcpRun, what: str, op: dict[str, Any], timeout_s: float = 3600.0,
                   advice: str | None = None) -> dict[str, Any]:
    location = op.get("location") or op.get("zone") or run.plan.region
    path = run.location_path(location, f"operations/{op['name']}")
    last = {"op": op}

    def probe() -> str:
        if last["op"].get("status") != "DONE":
            last["op"] = run.api.get("container", path)
        done = last["op"].get("status") == "DONE"
        return (FAILED if last["op"].get("error") else "DONE") if done else str(last["op"].get("status"))

    def why() -> tuple[str, str]:
        error = last["op"].get("error") or {}
        return _RPC_NAMES.get(error.get("code"), ""), str(error.get("message") or last["op"].get("statusMessage", ""))

    run.wait_until(what, probe, {"DONE"}, {FAILED}, timeout_s, why=why, advice=advice)
    return last["op"]


_RPC_NAMES = {3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED",
              8: "QUOTA_EXCEEDED", 9: "FAILED_PRECONDITION", 13: "INTERNAL", 14: "UNAVAILABLE"}


# -- Artifact Registry ------------------------------------------------------------------------
def wait_artifacts(run: GcpRun, what: str, op: dict[str, Any], timeout_s: float = 600.0) -> dict[str, Any]:
    last = {"op": op}

    def probe() -> str:
        if not last["op"].get("done"):
            last["op"] = run.api.get("artifactregistry", f"/v1/{op['name']}")
        if not last["op"].get("done"):
            return "RUNNING"
        return FAILED if last["op"].get("error") else "DONE"

    def why() -> tuple[str, str]:
        error = last["op"].get("error") or {}
        return _RPC_NAMES.get(error.get("code"), ""), str(error.get("message") or "")

    run.wait_until(what, probe, {"DONE"}, {FAILED}, timeout_s, why=why)
    return last["op"]


# -- resources --------------------------------------------------------------------------------
def wait_gone(run: GcpRun, what: str, service: str, path: str, timeout_s: float = 1800.0) -> None:
    """Poll a resource until a GET answers 404 (a deletion Google is still carrying out). The
    probe's state reads after "is still" in the timeout's message ("… is still there.")."""
    run.wait_until(what, lambda: GONE if run.api.find(service, path) is None else "there", {GONE},
                   timeout_s=timeout_s)


def wait_status(run: GcpRun, what: str, service: str, path: str, ready: set[str], failed: set[str],
                timeout_s: float = 3600.0, advice: str | None = None) -> dict[str, Any] | None:
    """Follow a GKE cluster or node pool by its ``status`` until ready (GONE may be in either
    set); returns it as last read, None if gone. A failure carries its ``statusMessage``."""
    last: dict[str, Any] = {}

    def probe() -> str:
        last["it"] = found = run.api.find(service, path)
        return GONE if found is None else str(found.get("status", ""))

    def why() -> tuple[str, str]:
        found = last.get("it") or {}
        return str(found.get("status", GONE)), str(found.get("statusMessage") or "")

    run.wait_until(what, probe, ready, failed, timeout_s, why=why, advice=advice)
    return last.get("it")
