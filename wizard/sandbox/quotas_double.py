"""A local stand-in for the AWS Service Quotas API (JSON 1.1, ``ServiceQuotasV20190624.*``).

moto only answers ``GetServiceQuota`` for ``vpc``; the wizard also lists quotas, reads AWS
defaults and files and tracks increase requests. ``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` (which
botocore prefers over ``AWS_ENDPOINT_URL``) points only that client here, so the real boto3
serializer, signer and parser all run.

The catalogue holds what an EKS cluster with a managed node group needs, as AWS reports it.
AWS answers ``Unit: "None"`` even for the On-Demand vCPU quota (the vCPU shows up only in
its ``UsageMetric`` dimensions), so this double does too.

Increase requests settle lazily, on the first call after their delay has passed (measured
with ``time.monotonic``), so there are no background timers. Nothing is printed or logged:
request bodies may carry account details.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .quotas_catalogue import _BY_KEY, _SERVICE_NAMES, CATALOGUE, VCPU_QUOTA, Quota

__all__ = ["CATALOGUE", "Quota", "QuotasDouble"]

_Json = dict[str, Any]
_TARGET_PREFIX = "ServiceQuotasV20190624."
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")
_STATUSES = {"PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST"}
_OPEN = {"PENDING", "CASE_OPENED"}

class _Error(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.message, self.status = code, message, status

    def reply(self) -> tuple[int, _Json, str]:
        return self.status, {"__type": self.code, "Message": self.message}, self.code


@dataclass
class _Request:
    id: str
    region: str
    quota: Quota
    desired: float
    delay: float
    outcome: str
    reason: str
    created: float = field(default_factory=time.time)  # wall clock, for the wire
    started: float = field(default_factory=time.monotonic)  # for settling
    case_id: str = field(default_factory=lambda: str(uuid.uuid4().int % 10**11).zfill(11))
    status: str = "PENDING"
    last_updated: float = 0.0


@dataclass
class _Region:
    values: dict[tuple[str, str], float]
    requests: list[_Request] = field(default_factory=list)


@dataclass
class _Fault:
    operation: str
    error: _Error
    remaining: int | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    double: QuotasDouble

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the default prints a traceback to stderr; clients vanishing mid-request are routine


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0, one request per connection: stop() then leaves no idle keep-alive handler behind.
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        body = self.rfile.read(int(length)) if length.isdigit() else b""
        target = self.headers.get("X-Amz-Target", "")
        operation = target[len(_TARGET_PREFIX):] if target.startswith(_TARGET_PREFIX) else ""
        match = _CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        self._send(*self.server.double._dispatch(operation, match.group(1) if match else "us-east-1", body))

    def _send(self, status: int, payload: _Json, error: str | None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass


def _page(items: list[_Json], params: _Json, key: str) -> _Json:
    size = params.get("MaxResults", 100)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise _Error("IllegalArgumentException", "MaxResults must be between 1 and 100.")
    start = 0
    if params.get("NextToken"):  # the model's pattern is base64, so the offset is sent as such
        try:
            start = int(base64.b64decode(str(params["NextToken"]), validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            start = -1
        if not 0 <= start <= len(items):
            raise _Error("InvalidPaginationTokenException", "Invalid pagination token.")
    out: _Json = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return out


class QuotasDouble:
    """Service Quotas over HTTP on 127.0.0.1, with per-region state and scripted outcomes.

    ``vcpus`` is the applied On-Demand Standard vCPU quota of a fresh account; AWS's own
    default (GetAWSDefaultServiceQuota) stays 5, as it does for established accounts.
    """

    def __init__(self, *, account_id: str = "123456789012", vcpus: float = 5.0) -> None:
        self._account = account_id
        self._initial = {k: q.default for k, q in _BY_KEY.items()} | {VCPU_QUOTA: float(vcpus)}
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.clear()

    def start(self) -> str:
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.double = self
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="quotas-double", daemon=True)
            self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("QuotasDouble is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> QuotasDouble:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_quota(self, region: str, service_code: str, quota_code: str, value: float) -> None:
        if (service_code, quota_code) not in _BY_KEY:
            raise KeyError(f"{service_code}/{quota_code} is not in the catalogue")
        with self._lock:
            self._region(region).values[(service_code, quota_code)] = float(value)

    def approve_after(self, seconds: float) -> None:
        """New requests: PENDING, CASE_OPENED after seconds/2, APPROVED (value applied) after seconds."""
        with self._lock:
            self._delay = max(0.0, float(seconds))

    def settle_now(self) -> None:
        """Every open request reaches its outcome at the next read: tests decide when AWS answers."""
        with self._lock:
            for request in self._all_requests():
                request.delay = 0.0

    def deny_next(self, service_code: str, quota_code: str, reason: str = "") -> None:
        """The next request for this quota (any region) ends DENIED after the same delay."""
        with self._lock:
            self._denials.setdefault((service_code, quota_code), []).append(reason)

    def reason_for(self, request_id: str) -> str | None:
        # The wire shape has no field saying why a request was denied; sandbox screens can ask here.
        with self._lock:
            return next((r.reason for r in self._all_requests() if r.id == request_id), None)

    def inject(self, operation: str, *, code: str, message: str = "", status: int = 400,
               times: int | None = 1) -> None:
        """Answer ``operation`` ("*": any) with this error ``times`` times (None: until clear())."""
        with self._lock:
            self._faults.append(_Fault(operation, _Error(code, message or code, status), times))

    def latency(self, operation: str, seconds: float) -> None:
        """Sleep before answering ``operation`` ("*": any operation without its own setting)."""
        with self._lock:
            self._latency[operation] = max(0.0, float(seconds))

    def clear(self) -> None:
        with self._lock:
            self._regions: dict[str, _Region] = {}
            self._denials: dict[tuple[str, str], list[str]] = {}
            self._faults: list[_Fault] = []
            self._latency: dict[str, float] = {}
            self._log: list[str] = []
            self._delay = 0.0

    @property
    def requests(self) -> list[str]:
        """Operation names seen, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def _region(self, name: str) -> _Region:
        if name not in self._regions:
            self._regions[name] = _Region(dict(self._initial))
        return self._regions[name]

    def _all_requests(self) -> list[_Request]:
        return [r for region in self._regions.values() for r in region.requests]

    def _settle(self) -> None:
        now = time.monotonic()
        for r in self._all_requests():
            elapsed = now - r.started
            if r.status in _OPEN and elapsed >= r.delay:
                r.status, r.last_updated = r.outcome, (r.created + r.delay if r.delay else time.time())
                if r.outcome == "APPROVED":
                    self._region(r.region).values[(r.quota.service_code, r.quota.quota_code)] = r.desired
            elif r.status == "PENDING" and elapsed >= r.delay / 2:
                r.status, r.last_updated = "CASE_OPENED", r.created + r.delay / 2

    def _take_fault(self, operation: str) -> _Error | None:
        fault = next((f for f in self._faults if f.operation in ("*", operation)), None)
        if fault is not None and fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        return fault.error if fault else None

    def _dispatch(self, operation: str, region: str, body: bytes) -> tuple[int, _Json, str | None]:
        with self._lock:
            self._log.append(operation)
            delay = self._latency.get(operation, self._latency.get("*", 0.0))
        if delay:
            time.sleep(delay)  # outside the lock, so a slow call does not hold up others
        try:
            with self._lock:
                fault = self._take_fault(operation)
            if fault is not None:
                raise fault
            handler = getattr(self, f"_op_{operation}", None) if operation.isalnum() else None
            if handler is None:
                raise _Error("UnknownOperationException", f"Unknown operation {operation or '(none)'}.")
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = None
            if not isinstance(params, dict):
                raise _Error("SerializationException", "The request body is not a JSON object.")
            with self._lock:
                self._settle()
                return 200, handler(self._region(region), region, params), None
        except _Error as err:
            return err.reply()
        except Exception:  # a bug here must neither kill the handler thread nor print a traceback
            return _Error("ServiceException", "Internal error in the quotas double.", 500).reply()

    def _quota(self, params: _Json) -> Quota:
        key = (params.get("ServiceCode"), params.get("QuotaCode"))
        if not all(isinstance(part, str) for part in key):
            raise _Error("IllegalArgumentException", "ServiceCode and QuotaCode are required.")
        if key not in _BY_KEY:
            raise _Error("NoSuchResourceException", f"The quota {key[0]}/{key[1]} does not exist.")
        return _BY_KEY[key]  # type: ignore[index]

    def _filters(self, params: _Json, *, service_required: bool) -> tuple[str | None, str | None]:
        service, status = params.get("ServiceCode"), params.get("Status")
        if (service is not None or service_required) and service not in _SERVICE_NAMES:
            raise _Error("NoSuchResourceException", f"The service {service} does not exist.")
        if status is not None and status not in _STATUSES:
            raise _Error("IllegalArgumentException", f"Status must be one of {sorted(_STATUSES)}.")
        return service, status

    def _quota_json(self, q: Quota, region: str, value: float, *, default: bool = False) -> _Json:
        account = "" if default else self._account  # AWS leaves the account out of default-quota ARNs
        out = {"ServiceCode": q.service_code, "ServiceName": _SERVICE_NAMES[q.service_code], "QuotaCode": q.quota_code,
               "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{q.service_code}/{q.quota_code}",
               "QuotaName": q.name, "Value": value, "Unit": "None", "Adjustable": True, "GlobalQuota": False}
        if not default:
            out["QuotaAppliedAtLevel"] = "ACCOUNT"
        if q.usage_metric:
            out["UsageMetric"] = q.usage_metric
        return out

    def _request_json(self, r: _Request) -> _Json:
        q = r.quota
        return {"Id": r.id, "CaseId": r.case_id, "ServiceCode": q.service_code,
                "ServiceName": _SERVICE_NAMES[q.service_code], "QuotaCode": q.quota_code, "QuotaName": q.name,
                "DesiredValue": r.desired, "Status": r.status, "Created": r.created, "LastUpdated": r.last_updated,
                "Requester": json.dumps({"accountId": self._account}, separators=(",", ":")),
                "QuotaArn": f"arn:aws:servicequotas:{r.region}:{self._account}:{q.service_code}/{q.quota_code}",
                "GlobalQuota": False, "Unit": "None", "QuotaRequestedAtLevel": "ACCOUNT"}

    # Operations, named after the X-Amz-Target suffix; each runs under the lock after _settle().
    def _op_GetServiceQuota(self, state: _Region, region: str, params: _Json, default: bool = False) -> _Json:
        q = self._quota(params)
        value = q.default if default else state.values[(q.service_code, q.quota_code)]
        return {"Quota": self._quota_json(q, region, value, default=default)}

    def _op_GetAWSDefaultServiceQuota(self, state: _Region, region: str, params: _Json) -> _Json:
        return self._op_GetServiceQuota(state, region, params, default=True)

    def _op_ListServiceQuotas(self, state: _Region, region: str, params: _Json, default: bool = False) -> _Json:
        service, _ = self._filters(params, service_required=True)
        items = [self._quota_json(q, region, q.default if default else state.values[(q.service_code, q.quota_code)],
                                  default=default) for q in CATALOGUE
                 if q.service_code == service and params.get("QuotaCode") in (None, q.quota_code)]
        return _page(items, params, "Quotas")

    def _op_ListAWSDefaultServiceQuotas(self, state: _Region, region: str, params: _Json) -> _Json:
        return self._op_ListServiceQuotas(state, region, params, default=True)

    def _op_RequestServiceQuotaIncrease(self, state: _Region, region: str, params: _Json) -> _Json:
        q = self._quota(params)
        key, desired = (q.service_code, q.quota_code), params.get("DesiredValue")
        if isinstance(desired, bool) or not isinstance(desired, (int, float)) or not 0 <= desired <= 1e10:
            raise _Error("IllegalArgumentException", "DesiredValue must be a number between 0 and 10000000000.")
        if desired <= state.values[key]:
            raise _Error("IllegalArgumentException", f"The desired value {float(desired)} must be greater than "
                                                     f"the current quota value {state.values[key]}.")
        if any(r.quota == q and r.status in _OPEN for r in state.requests):
            raise _Error("ResourceAlreadyExistsException", f"An increase for {key[0]}/{key[1]} is already pending.")
        denials = self._denials.get(key)
        reason = denials.pop(0) if denials else None
        request = _Request(id=uuid.uuid4().hex, region=region, quota=q, desired=float(desired), delay=self._delay,
                           outcome="APPROVED" if reason is None else "DENIED", reason=reason or "")
        request.last_updated = request.created
        state.requests.append(request)
        return {"RequestedQuota": self._request_json(request)}

    def _op_GetRequestedServiceQuotaChange(self, state: _Region, region: str, params: _Json) -> _Json:
        wanted = params.get("RequestId")
        found = next((r for r in state.requests if r.id == wanted), None)
        if found is None:
            raise _Error("NoSuchResourceException", f"The request {wanted} does not exist.")
        return {"RequestedQuota": self._request_json(found)}

    def _op_ListRequestedServiceQuotaChangeHistory(self, state: _Region, region: str, params: _Json) -> _Json:
        service, status = self._filters(params, service_required=False)
        items = [self._request_json(r) for r in state.requests
                 if service in (None, r.quota.service_code) and status in (None, r.status)]
        return _page(items, params, "RequestedQuotas")

    def _op_ListRequestedServiceQuotaChangeHistoryByQuota(self, state: _Region, region: str, params: _Json) -> _Json:
        q, (_, status) = self._quota(params), self._filters(params, service_required=True)
        items = [self._request_json(r) for r in state.requests if r.quota == q and status in (None, r.status)]
        return _page(items, params, "RequestedQuotas")
