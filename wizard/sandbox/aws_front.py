"""An HTTP front for moto's server: boto3 (via ``AWS_ENDPOINT_URL``) -> AwsFront -> moto.

Requests are forwarded unchanged, except where moto is laxer than AWS in ways the wizard
depends on, or lacks an operation (see ``aws_rules``): STS ``AssumeRole`` honours the trust
policy's principals and ``sts:ExternalId`` condition (and denies unknown roles); CloudFormation
``CreateStack``/``UpdateStack``/``CreateChangeSet`` demand ``CAPABILITY_[NAMED_]IAM`` for IAM
resources in a TemplateBody, and leave the stack's roles as CloudFormation would; IAM
``SimulatePrincipalPolicy`` is answered from the role's policies.

Tests can queue faults (``inject``) and delays (``latency``), and script how a named
CloudFormation stack unfolds (``stack_outcome``: still creating for a while, or failed and
rolled back), and make its next DeleteStack end DELETE_FAILED (``stack_delete_fails``), which
moto cannot show by itself (see ``stack_script``, ``stack_delete``). The fault code
``"ConnectionReset"`` answers nothing and resets the TCP connection; botocore raises
``ConnectionClosedError`` for it (an ``HTTPClientError``, retryable in its retry modes).
``fail_at(k)`` fails the k-th *mutating* request (see ``is_mutating``) from then on, before or
after moto acts on it, to stand for a process killed at that request; ``mutations`` lists the
mutating requests seen since ``reset_log()``.

Nothing is printed or logged: request bodies can carry credentials.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from urllib.parse import urlsplit

from wizard.sandbox.aws_faults import _FailAt, _Fault, is_mutating
from wizard.sandbox.aws_front_handler import _Handler, _Server
from wizard.sandbox.aws_rules import PLATFORM_ACCESS_KEY_ID, PLATFORM_PRINCIPAL_ARN, FrontRules
from wizard.sandbox.aws_wire import _operation
from wizard.sandbox.stack_delete import DEFAULT_RESOURCE, StackDeletes
from wizard.sandbox.stack_script import StackScripts

__all__ = ["PLATFORM_ACCESS_KEY_ID", "PLATFORM_PRINCIPAL_ARN", "AwsFront", "_operation"]


def _matches(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern.casefold() == value.casefold()


def _deep_merge(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


class AwsFront:
    """HTTP front for a moto server at ``upstream`` (e.g. ``"http://127.0.0.1:54321"``)."""

    upstream_timeout = 60.0

    def __init__(self, upstream: str, *, default_stack_seconds: float = 0.0) -> None:
        """``default_stack_seconds`` > 0 keeps every unscripted new stack CREATE_IN_PROGRESS
        that long, as a real CloudFormation would (for the sandbox demo)."""
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._up_host = parts.hostname
        self._up_port = parts.port or 80
        self._up_netloc = parts.netloc
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._overrides: list[tuple[str, str, re.Pattern, dict]] = []
        self._latencies: list[tuple[str, str, float]] = []
        self._requests: list[tuple[str, str]] = []
        self._mutations: list[tuple[str, str]] = []
        self._fail_at: _FailAt | None = None
        self._conns: set[socket.socket] = set()
        self._rules = FrontRules(self.upstream, self.upstream_timeout)
        self._stacks = StackScripts(default_stack_seconds)
        self._stack_deletes = StackDeletes()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.last_error: BaseException | None = None  # For debugging without logging.

    # --- lifecycle ---------------------------------------------------------------
    def start(self) -> str:
        if self._server is None:
            handler = type("_BoundHandler", (_Handler,), {"front": self})
            self._server = _Server(("127.0.0.1", 0), handler)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="aws-front", daemon=True
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        # Pooled keep-alive connections would otherwise keep being served after stop().
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("AwsFront is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> AwsFront:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test knobs --------------------------------------------------------------
    def inject(
        self, service: str, action: str, *, code: str, message: str, status: int = 400,
        times: int = 1, retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching (service, action) with an AWS error
        instead of forwarding them. ``"*"`` matches any service or action. ``code=
        "ConnectionReset"`` drops the connection without any response."""
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_Fault(service, action, code, message, status, times, retry_after))

    def fail_at(self, k: int, *, after: bool = False, code: str = "SandboxKilled",
                message: str = "the sandbox failed this request on purpose", status: int = 400) -> None:
        """Answer the k-th mutating request from now (1 = the next) with an AWS error, once; the
        default code is one botocore does not retry, so the caller stops there, as if killed.
        ``after=True`` forwards the request to moto first (it takes effect) and then answers the
        error, like a kill while the answer was on its way. Until clear()."""
        if k < 1:
            raise ValueError("k must be >= 1")
        with self._lock:
            self._fail_at = _FailAt(k + len(self._mutations), code, message, status, after)

    @property
    def mutations(self) -> list[tuple[str, str]]:
        """Snapshot of the mutating requests (see ``is_mutating``) since reset_log(): (service,
        action), or (service, "METHOD /path") for REST calls."""
        with self._lock:
            return list(self._mutations)

    def latency(self, service: str, action: str, seconds: float) -> None:
        """Delay matching requests by ``seconds`` until clear(); the largest matching delay wins."""
        with self._lock:
            self._latencies.append((service, action, float(seconds)))

    def stack_outcome(
        self, stack_name: str, *, in_progress_seconds: float = 0.0, fail_resource: str | None = None,
        reason: str = "", times: int = 1,
    ) -> None:
        """Script the next ``times`` successful CreateStack calls for ``stack_name``.

        For ``in_progress_seconds`` after creation the stack reads CREATE_IN_PROGRESS (no
        Outputs; resource CREATE_IN_PROGRESS events from half-time on). Then it is moto's
        CREATE_COMPLETE stack, or with ``fail_resource`` (a logical ID in the template) a
        ROLLBACK_COMPLETE one whose CREATE_FAILED event gives ``reason`` (empty: a
        "porter-manager already exists" handler message). DeleteStack ends the script.
        Replaces an earlier script for the same name; ``clear()`` drops all of them."""
        self._stacks.script(stack_name, in_progress_seconds=in_progress_seconds, fail_resource=fail_resource,
                            reason=reason, times=times)

    def stack_delete_fails(
        self, stack_name: str, *, resource: str = DEFAULT_RESOURCE, reason: str = "",
        in_progress_seconds: float = 0.0, times: int = 1,
    ) -> None:
        """Make the next ``times`` DeleteStack calls for the existing stack ``stack_name`` end
        DELETE_FAILED, as CloudFormation reports it: the stack's StackStatusReason names
        ``resource`` (a logical ID), whose DELETE_FAILED event gives ``reason`` (empty: IAM's
        "Cannot delete entity, must detach all policies first." as a resource handler's message).
        DELETE_IN_PROGRESS for ``in_progress_seconds`` first. moto never sees those calls: the
        stack and its resources stay, and the next unscripted DeleteStack removes them. Replaces
        an earlier script for the same name; ``clear()`` drops all of them."""
        self._stack_deletes.script(stack_name, resource=resource, reason=reason,
                                   in_progress_seconds=in_progress_seconds, times=times)

    def override_json(self, service: str, path_pattern: str, patch: dict, *, method: str = "GET") -> None:
        """Merge `patch` into moto's JSON answers to matching REST calls until clear(): states
        moto never reaches, like an EKS cluster or node group that FAILED."""
        with self._lock:
            self._overrides.append((service.lower(), method.upper(), re.compile(path_pattern), patch))

    def _override(self, service: str, method: str, path: str, payload: bytes) -> bytes:
        with self._lock:
            patches = [p for s, m, rx, p in self._overrides
                       if s == service.lower() and m == method and rx.search(path)]
        if not patches:
            return payload
        data = json.loads(payload)
        for patch in patches:
            _deep_merge(data, patch)
        return json.dumps(data).encode()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._latencies.clear()
            self._overrides.clear()
            self._fail_at = None
        self._stacks.clear()
        self._stack_deletes.clear()

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Snapshot of (service, action) seen, oldest first; action is "" for REST calls."""
        with self._lock:
            return list(self._requests)

    def reset_log(self) -> None:
        with self._lock:
            self._requests.clear()
            self._mutations.clear()

    # --- used by the handler -----------------------------------------------------
    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._conns.add if alive else self._conns.discard)(conn)

    def _record(self, service: str, action: str) -> None:
        with self._lock:
            self._requests.append((service, action))

    def _count_mutation(self, service: str, action: str, method: str, path: str) -> _FailAt | None:
        """Log a mutating request; the fail_at order if this is the one it names."""
        if service == "moto-api" or not is_mutating(action, method):
            return None
        with self._lock:
            self._mutations.append((service, action or f"{method.upper()} {urlsplit(path).path}"))
            kill = self._fail_at
            if kill is not None and kill.k == len(self._mutations):
                self._fail_at = None
                return kill
        return None

    def _delay_for(self, service: str, action: str) -> float:
        with self._lock:
            return max(
                (s for svc, act, s in self._latencies if _matches(svc, service) and _matches(act, action)), default=0.0
            )

    def _take_fault(self, service: str, action: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if _matches(fault.service, service) and _matches(fault.action, action):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
