"""What every double has in common: a route table (method + regex over the path; Azure's doubles
match case-insensitively as Azure does, Google's exactly), its own error shape (ARM, Graph, the
token endpoints and Google's APIs all differ), fault injection and a call log.

``inject`` answers the next N calls of a route ("*": any route of that double) with an error in
the double's real shape, optionally with ``Retry-After``; faults are checked before the handler
runs, so a throttled call changes nothing, as with ARM. ``latency`` delays a route. ``requests``
lists the route names called, in order, so tests can assert what the SDK actually sent; ``calls``
keeps the query too (api-version).

All doubles share one lock (handlers are tiny), so cross-double lookups, such as ARM asking the
directory who owns a token, cannot deadlock. Latency is slept outside it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .kill import KillSwitch

__all__ = ["Call", "Reply", "Request", "Service", "ServiceError"]

# 400, not 5xx: the SDKs retry 5xx with back-off, which would only slow the sweeps down.
_KILLED = "The sandbox stopped answering (a kill-and-resume test)."


class ServiceError(Exception):
    """Raised by handlers; the service renders it in its own wire shape."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> HTML, None -> empty body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any  # email.message.Message: case-insensitive .get()
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    route: str = ""

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ServiceError(400, "InvalidRequestContent", f"The request content was invalid: {exc}") from None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None


@dataclass
class Call:
    route: str
    method: str
    path: str
    query: dict[str, str]


@dataclass
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Request], Any]


@dataclass
class _Fault:
    status: int
    code: str
    message: str
    remaining: int | None  # None: until clear()
    retry_after: float | None


class Service:
    """Routes, faults and the call log of one double. Subclasses add routes and state."""

    name = "service"
    #: Azure matches paths case-insensitively (ARM: "resourcegroups" == "resourceGroups"); Google
    #: does not.
    case_insensitive_paths = True

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.base_url = ""  # set when a server mounts the service
        self._routes: list[_Route] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._latency: dict[str, float] = {}
        self.calls: list[Call] = []
        self.kill_switch: KillSwitch | None = None  # shared by the services of one set (see kill.py)

    # -- wiring ---------------------------------------------------------------------------
    def route(self, name: str, method: str, pattern: str, handler: Callable[[Request], Any]) -> None:
        flags = re.IGNORECASE if self.case_insensitive_paths else 0
        self._routes.append(_Route(name, method, re.compile(pattern, flags), handler))

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found and route.method == method:
                return route, {k: v for k, v in found.groupdict().items() if v is not None}
        return None

    @property
    def route_names(self) -> list[str]:
        return sorted({r.name for r in self._routes})

    # -- test controls --------------------------------------------------------------------
    def inject(self, route: str, *, status: int, code: str, message: str, times: int | None = 1,
               retry_after: float | None = None) -> None:
        """Answer the next ``times`` calls of ``route`` ("*" for any) with this error."""
        if route != "*" and route not in self.route_names:
            raise KeyError(f"{self.name} has no route {route!r}; routes: {self.route_names}")
        with self.lock:
            self._faults.setdefault(route, []).append(_Fault(status, code, message, times, retry_after))

    def latency(self, route: str, seconds: float) -> None:
        if route != "*" and route not in self.route_names:
            raise KeyError(f"{self.name} has no route {route!r}")
        with self.lock:
            self._latency[route] = seconds

    @property
    def requests(self) -> list[str]:
        with self.lock:
            return [c.route for c in self.calls]

    def clear(self) -> None:
        """Forget faults, latencies and the call log (subclasses also reset their state)."""
        with self.lock:
            self._faults.clear()
            self._latency.clear()
            self.calls.clear()

    # -- wire shapes (overridden per service) ---------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"code": code, "message": message}}

    def common_headers(self) -> dict[str, str]:
        return {}

    def not_found(self, method: str, path: str) -> Reply:
        return self.error_reply(404, "NotFound", f"No route for {method} {path}")

    def error_reply(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, self.error_body(status, code, message), dict(headers or {}))

    def exception_reply(self, exc: ServiceError) -> Reply:
        """A handler's ServiceError on the wire (Google's doubles add the error's details)."""
        return self.error_reply(exc.status, exc.code, exc.message, exc.headers)

    # -- dispatch -------------------------------------------------------------------------
    def _take_fault(self, route: str) -> _Fault | None:
        for key in (route, "*"):
            queue = self._faults.get(key) or []
            if queue:
                fault = queue[0]
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.pop(0)
                return fault
        return None

    def dispatch(self, req: Request, route: _Route) -> Reply:
        with self.lock:
            self.calls.append(Call(route.name, req.method, req.path, dict(req.query)))
            delay = self._latency.get(route.name, self._latency.get("*", 0.0))
            fault = self._take_fault(route.name)
            kill_now, kill_after = (self.kill_switch.before(route.name, req.method) if self.kill_switch
                                    else (False, False))
        if kill_now:
            return self.error_reply(400, "SandboxKilled", _KILLED)
        if delay:
            time.sleep(delay)  # outside the lock: a slow route must not stall the others
        if fault is not None:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            return self.error_reply(fault.status, fault.code, fault.message, headers)
        try:
            with self.lock:
                result = route.handler(req)
        except ServiceError as exc:
            return self.exception_reply(exc)
        except Exception as exc:  # a bug in a double must show up as a 500, not a hung client
            return self.error_reply(500, "InternalServerError", f"{type(exc).__name__}: {exc}")
        if kill_after:
            return self.error_reply(400, "SandboxKilled", _KILLED)
        if isinstance(result, Reply):
            return result
        if isinstance(result, tuple):
            return Reply(*result)
        return Reply(200, result)
