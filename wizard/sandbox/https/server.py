"""A small threaded HTTPS server that hosts one or more doubles (``Service`` objects, see
service.py) on 127.0.0.1.

Why not ``http.server`` as is: TLS is wrapped per connection in the worker thread (a client that
fails verification must not stall the accept loop), ``server_bind`` skips the reverse DNS lookup
``HTTPServer`` does (slow on some machines), and nothing is ever logged or printed: sandbox mode
runs inside a Textual app, and request bodies carry secrets.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .certs import server_context
from .service import Call, Reply, Request, Service, ServiceError

__all__ = ["Call", "HttpsServer", "Reply", "Request", "Service", "ServiceError"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs pool connections
    server_version = "porter-cloud-double"
    sys_version = ""
    timeout = 30  # idle keep-alive connections free their thread eventually
    server: _TlsServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        # The authorization client formats "/{scope}/providers/..." with scope="/subscriptions/..",
        # so ARM sees "//subscriptions/..."; ARM tolerates it and so do we.
        path = re.sub(r"/{2,}", "/", unquote(split.path)) or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        req = Request(self.command, path, query, self.headers, body)
        reply = self.server.owner.handle(req)
        self._write(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _write(self, reply: Reply) -> None:
        if reply.body is None:
            payload, ctype = b"", None
        elif isinstance(reply.body, str):
            payload, ctype = reply.body.encode(), "text/html; charset=utf-8"
        else:
            payload, ctype = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        self.send_response(reply.status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet by design: see the module docstring


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HttpsServer
    ssl_context: ssl.SSLContext

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's getfqdn()
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the worker thread: the handshake of one slow or distrustful client never
        # blocks the others.
        request.settimeout(_Handler.timeout)
        # Headers and body go out in two writes; without this Nagle's algorithm holds the second
        # for ~40 ms waiting for the client's delayed ACK, on every answer.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass  # client went away mid-request
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the default prints a traceback to stderr


class HttpsServer:
    """Listens on 127.0.0.1 (port 0 unless given) and dispatches to the mounted services."""

    def __init__(self, services: list[Service], *, port: int = 0) -> None:
        self.services = list(services)
        self._port = port
        self._httpd: _TlsServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> HttpsServer:
        if self._httpd is not None:
            return self
        httpd = _TlsServer(("127.0.0.1", self._port), _Handler)
        httpd.owner = self
        httpd.ssl_context = server_context()
        self._httpd = httpd
        for service in self.services:
            service.base_url = self.url
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"cloud-double-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle(self, req: Request) -> Reply:
        for service in self.services:
            found = service.match(req.method, req.path)
            if found:
                route, params = found
                req.params, req.route = params, route.name
                reply = service.dispatch(req, route)
                reply.headers = {**service.common_headers(), **reply.headers}
                return reply
        first = self.services[0]
        return first.not_found(req.method, req.path)
