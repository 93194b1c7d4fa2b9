"""The wire side of the AWS front (aws_front.py): one HTTP request in, and out either moto's answer
(forwarded unchanged, then adjusted by the rules and stack scripts) or the front's own (a fault, a
kill, a rule's refusal). The front's state and controls live on ``AwsFront``; each request reads
them through ``self.front``.

Nothing is printed or logged: request bodies can carry credentials.
"""

from __future__ import annotations

import http.client
import socket
import struct
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from wizard.sandbox.aws_wire import _operation, credential_scope, error_response, form, protocol, read_body
from wizard.sandbox.stack_script import ACTIONS as _SCRIPTED_ACTIONS
from wizard.sandbox.stack_script import physical_ids

if TYPE_CHECKING:
    from wizard.sandbox.aws_front import AwsFront

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "trailers", "transfer-encoding", "upgrade", "content-length", "expect"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; clients vanishing mid-request is routine.
        pass


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so botocore's pooled keep-alive connections are honoured.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    timeout = 120  # Idle keep-alive connections must not pin a thread forever.
    front: AwsFront

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.front._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.front._track(self.connection, False)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        # HEAD, 204 and 304 answers carry no body, and must not announce one.
        bodyless = self.command == "HEAD" or status in (204, 304)
        if not bodyless:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not bodyless and body:
            self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER 0 turns the close into a RST, like a load balancer dropping us.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _handle(self) -> None:
        front = self.front
        try:
            body = read_body(self.rfile, self.headers)
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, [("Content-Type", "text/plain")], b"malformed request body")
            return
        service, action = _operation(self.headers, body, self.path)
        proto = protocol(service, self.headers, body, self.path)
        front._record(service, action)
        kill = front._count_mutation(service, action, self.command, self.path)
        try:
            delay = front._delay_for(service, action)
            if delay > 0:
                time.sleep(delay)
            if kill is not None:
                if kill.after and front._rules.before(service, action, self.headers, body, self.path) is None:
                    self._exchange(list(self.headers.items()), body)
                status, headers, payload = error_response(
                    proto, service, kill.code, kill.message, kill.status, self.headers)
                self._send(status, headers, payload)
                return
            fault = front._take_fault(service, action)
            if fault is not None:
                if fault.code == "ConnectionReset":
                    self._reset()
                    return
                status, headers, payload = error_response(
                    proto, service, fault.code, fault.message, fault.status, self.headers
                )
                if fault.retry_after is not None:
                    headers.append(("Retry-After", str(fault.retry_after)))
                self._send(status, headers, payload)
                return
            # Before the rules: a DeleteStack that fails must leave the stack's roles as they are.
            answer = (front._stack_deletes.intercept(form(body), credential_scope(self.headers, self.path)[1],
                                                     self._ask_moto)
                      if service == "cloudformation" and action == "DeleteStack" and proto == "query" else None)
            if answer is None:
                answer = front._rules.before(service, action, self.headers, body, self.path)
            if answer is not None:
                self._send(*answer)
                return
            self._forward(body, service, action, proto)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a broken front must still answer in AWS terms
            front.last_error = exc
            self.close_connection = True
            # 502 is retryable for botocore, like a flaky AWS front end would be.
            status, headers, payload = error_response(
                proto, service, "InternalFailure", "sandbox front could not serve the request", 502, self.headers
            )
            try:
                self._send(status, headers, payload)
            except OSError:
                pass

    def _exchange(self, headers: list[tuple[str, str]], body: bytes, command: str = "", path: str = "",
                  ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        front = self.front
        command = command or self.command
        conn = http.client.HTTPConnection(front._up_host, front._up_port, timeout=front.upstream_timeout)
        try:
            conn.putrequest(command, path or self.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", front._up_netloc)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() != "host":
                    conn.putheader(name, value)
            if body or command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            payload = resp.read()
            kept = []
            for name, value in resp.getheaders():
                lname = name.lower()
                # HEAD answers describe the body they omit (S3 HeadObject's size), so keep it.
                if lname not in _HOP_BY_HOP or (lname == "content-length" and command == "HEAD"):
                    kept.append((name, value))
        finally:
            conn.close()
        return resp.status, resp.reason, kept, payload

    def _forward(self, body: bytes, service: str, action: str, proto: str) -> None:
        status, reason, headers, payload = self._exchange(list(self.headers.items()), body)
        encoded = any(name.lower() == "content-encoding" for name, _ in headers)
        if service == "cloudformation" and proto == "query" and not encoded:
            fields, region = form(body), credential_scope(self.headers, self.path)[1]
            # moto already acted: whatever fails here, its own answer beats none.
            try:
                fields = self.front._rules.after(action, fields, self.headers, self.path) if status == 200 else fields
            except Exception as exc:  # noqa: BLE001
                self.front.last_error = exc
            try:
                if action in _SCRIPTED_ACTIONS:
                    payload = self.front._stacks.on_response(action, fields, region, status, payload,
                                                             self._physical_ids)
            except Exception as exc:  # noqa: BLE001
                self.front.last_error = exc
            try:  # after the creation scripts: a failed delete is the later part of the story
                payload = self.front._stack_deletes.on_response(action, status, payload)
            except Exception as exc:  # noqa: BLE001
                self.front.last_error = exc
        if status == 200 and not encoded:
            payload = self.front._override(service, self.command, self.path, payload)
        self._send(status, headers, payload, reason)

    def _ask_moto(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        """A CloudFormation query call straight to moto, as the caller: (status, payload)."""
        # The caller's own signature headers pick moto's account and region; moto does not
        # check signatures, so they still serve for this different body.
        keep = {"authorization", "x-amz-date", "x-amz-security-token", "x-moto-account-id"}
        headers = [(k, v) for k, v in self.headers.items() if k.lower() in keep]
        headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
        body = urlencode({**params, "Version": "2010-05-15"})
        status, _, _, payload = self._exchange(headers, body.encode(), "POST", "/")
        return status, payload

    def _physical_ids(self, stack_id: str) -> dict[str, str]:
        status, payload = self._ask_moto({"Action": "DescribeStackResources", "StackName": stack_id})
        return physical_ids(payload) if status == 200 else {}
