"""The five APIs the platform needs, enabled on the project through Service Usage, all at once.

Enabling an API is a long-running operation (seconds, sometimes minutes): each API is read,
enabled when it is off, and its operation followed until Google says done, in its own thread, so
one slow API holds no other and one that fails (no billing account, a denied permission) leaves
the others to finish. Sync code: the screen runs it in a thread worker.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..errors import CloudError, WizardError
from .errors import gcp_call
from .session import GcpApi

#: As the platform's docs list them, with the titles the console's API Library shows.
PORTER_APIS: dict[str, str] = {
    "compute.googleapis.com": "Compute Engine API",
    "container.googleapis.com": "Kubernetes Engine API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "containerregistry.googleapis.com": "Container Registry API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
}
STATUSES = ("checking", "enabling", "enabled", "failed")


@dataclass(frozen=True)
class ApiRow:
    service: str  # compute.googleapis.com
    title: str  # Compute Engine API
    status: str  # one of STATUSES
    detail: str = ""
    error: WizardError | None = None  # why it failed, in the wizard's words

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"


def _service_path(api: GcpApi, service: str) -> str:
    return f"/v1/projects/{api.project_id}/services/{service}"


def _read_state(api: GcpApi, service: str) -> str:
    """ENABLED or DISABLED (raises WizardError)."""
    with gcp_call(f"read whether the {PORTER_APIS.get(service, service)} is enabled"):
        return str(api.get("serviceusage", _service_path(api, service)).get("state") or "STATE_UNSPECIFIED")


def api_states(api: GcpApi, services: tuple[str, ...] = tuple(PORTER_APIS)) -> dict[str, str]:
    """Each service's state (ENABLED or DISABLED), read all at once; the first failure raises
    its WizardError."""
    _ = api.session  # made here, once: the threads below would each make their own
    with ThreadPoolExecutor(max_workers=len(services) or 1) as pool:
        states = list(pool.map(lambda service: _read_state(api, service), services))
    return dict(zip(services, states))


def enable_apis(api: GcpApi, on_row: Callable[[ApiRow], None], *,
                cancelled: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep,
                poll_seconds: float = 2.0, timeout_s: float = 600,
                services: tuple[str, ...] = tuple(PORTER_APIS)) -> list[ApiRow]:
    """Enable every service, each in its own thread; ``on_row`` hears each change (from those
    threads). Returns the final rows in ``services`` order. Never raises for an API: a failure is
    that API's row ("failed", with the WizardError). If ``cancelled()`` turns true, the APIs
    still being enabled are left at "enabling" (Google carries on without us)."""
    _ = api.session  # see api_states

    def one(service: str) -> ApiRow:
        follower = _Follower(api, service, on_row, cancelled, sleep, poll_seconds, timeout_s)
        return follower.run()

    with ThreadPoolExecutor(max_workers=len(services) or 1) as pool:
        return list(pool.map(one, services))


@dataclass
class _Follower:
    """One API from its state to enabled (or failed)."""
    api: GcpApi
    service: str
    on_row: Callable[[ApiRow], None]
    cancelled: Callable[[], bool]
    sleep: Callable[[float], None]
    poll_seconds: float
    timeout_s: float

    @property
    def title(self) -> str:
        return PORTER_APIS.get(self.service, self.service)

    def report(self, status: str, detail: str = "", error: WizardError | None = None) -> ApiRow:
        row = ApiRow(self.service, self.title, status, detail, error)
        self.on_row(row)
        return row

    def run(self) -> ApiRow:
        self.report("checking")
        try:
            if _read_state(self.api, self.service) == "ENABLED":
                return self.report("enabled", "already on")
            self.report("enabling")
            with gcp_call(f"enable the {self.title}"):
                op = self.api.post("serviceusage", _service_path(self.api, self.service) + ":enable")
            op = self.follow(op)
        except WizardError as err:
            return self.report("failed", err.what, err)
        if not op.get("done"):
            return self.report("enabling", "Stopped waiting; Google carries on enabling it.")
        if op.get("error"):
            err = _operation_failed(self.title, op["error"])
            return self.report("failed", err.what, err)
        return self.report("enabled", "enabled now")

    def follow(self, op: dict[str, Any]) -> dict[str, Any]:
        """Poll the operation until it is done (or cancelled, which returns it not done)."""
        deadline = time.monotonic() + self.timeout_s
        while not op.get("done"):
            if self.cancelled():
                return op
            if time.monotonic() > deadline:
                raise CloudError(f"The {self.title} is taking long to enable",
                                 f"Google has been enabling the {self.title} for {int(self.timeout_s // 60)} "
                                 "minutes and is not done yet.",
                                 "Press Retry in a few minutes: an API that Google finished enabling meanwhile "
                                 "is found on.", code="Timeout", retryable=True)
            self.sleep(self.poll_seconds)
            with gcp_call(f"follow the enabling of the {self.title}"):
                op = self.api.get("serviceusage", "/v1/" + str(op.get("name", "")))
        return op


def _operation_failed(title: str, error: dict[str, Any]) -> CloudError:
    """An enable operation that ended in an error (google.rpc.Status): Google's words, and a next
    step for the usual reason, a project without a billing account."""
    message = str(error.get("message") or "").strip() or "no reason given"  # blank counts as none
    if "billing" in message.lower():
        step = ("Link a billing account to the project (the console's Billing → Link a billing account), "
                "then press Retry.")
    else:
        step = f"Fix what Google names, or enable the {title} in the console (APIs & Services → Library), then Retry."
    return CloudError(f"Google could not enable the {title}", message, step, code=str(error.get("code", "")))
