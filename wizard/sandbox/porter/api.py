"""Porter's API as the wizard uses it, on the project's loopback HTTPS server: wire shapes and the
middleware chain follow porter-dev/porter-archive@ed607ee (paths cited per route below).

Errors are Porter's ``{"error": "<text>"}`` (api/server/shared/apierrors/errors.go). The chain in
front of every project route (api/server/router/router.go registerRoutes) is kept in order:
- authn (api/server/authn/handler.go): no or wrong Bearer token -> 403 {"error": "Forbidden"};
- the policy middleware (api/server/authz/policy.go): a project ID that is not a number -> 400
  "could not convert url parameter project_id to uint, got X"; a project the token's user has no
  role in (policy/loader.go) -> 500 whose text is the loader's, "user 1 does not have a role in
  project 9" (policy.go passes the loader's error through with status 500); a role without the
  permission (``role = "viewer"`` here, on the write routes) -> 403 "insufficient permissions to
  perform action";
- the cluster middleware (api/server/authz/cluster.go): unknown cluster -> 403 "Forbidden".
Request decoding (api/server/shared/requestutils/decoder.go, validator.go): bad JSON -> 400
"JSON syntax error at character N"; a missing ``form:"required"`` field -> 400 "validation failed
on field 'AzureClientID' on condition 'required'" (Go field names, comma-joined). Handlers that add
their own error after DecodeAndValidate has written one (create_aws.go, create_azure.go,
get_cloud_provider_permissions_status.go) put a second JSON object in the same body; that body
goes out as text here (the shared server types str bodies as text/html, Porter sends
application/json;charset=utf8 for everything under /api).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..https.service import Reply, Request, Service, ServiceError

USER_ID = 1  # the token's user, for the loader's messages
_INTERNAL = "An internal error occurred."  # apierrors.ErrInternal.ExternalError
_DEFAULT_TEXT = {403: "Forbidden", 404: "Resource not found.", 500: _INTERNAL}
_PROJECT = r"/api/projects/(?P<project>[^/]+)"


class PorterError(ServiceError):
    """A handler's error; ``second`` is the extra object a handler appends after DecodeAndValidate."""

    def __init__(self, status: int, message: str, *, second: str | None = None) -> None:
        super().__init__(status, "", message)
        self.second = second


def decode(req: Request, fields: dict[str, type], required: tuple[str, ...] = (), *,
           go_names: dict[str, str] | None = None, second: str | None = None) -> dict[str, Any]:
    """DecodeAndValidate: the JSON body into the request struct, then its required fields."""
    try:
        body = json.loads(req.body or b"{}")
    except ValueError as exc:
        raise PorterError(400, f"JSON syntax error at character {getattr(exc, 'pos', 0) + 1}", second=second) from None
    if not isinstance(body, dict):
        raise PorterError(400, "Invalid type for body param : expected struct, got "
                               f"{_json_kind(body)}", second=second)
    for name, kind in fields.items():
        if name in body and body[name] is not None and not isinstance(body[name], kind):
            raise PorterError(400, f"Invalid type for body param {name}: expected string, got "
                                   f"{_json_kind(body[name])}", second=second)
    missing = [(go_names or {}).get(n, n) for n in required if not body.get(n)]
    if missing:
        raise PorterError(400, ",".join(f"validation failed on field '{n}' on condition 'required'"
                                        for n in missing), second=second)
    return {name: body[name] for name in fields if name in body}


def query(req: Request, known: tuple[str, ...], *, second: str | None = None) -> dict[str, str]:
    """gorilla/schema into the request struct: an unknown query parameter is an error."""
    unknown = [k for k in req.query if k not in known]
    if unknown:
        raise PorterError(400, ",".join(f"Unknown query param {k}" for k in unknown), second=second)
    return dict(req.query)


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(value), "number")


def uint_param(req: Request, name: str, url_param: str) -> int:
    """requestutils.GetURLParamUint: a path segment that must be an unsigned number."""
    value = req.params.get(name, "")
    if not value.isascii() or not value.isdigit():
        raise PorterError(400, f"could not convert url parameter {url_param} to uint, got {value}")
    return int(value)


class PorterApi(Service):
    """Routes under /api/projects/{project_id}; handlers are given by the double (see __init__)."""

    name = "porter"
    case_insensitive_paths = False  # chi matches paths exactly

    def __init__(self, lock: Any, *, token: str, project_id: str) -> None:
        super().__init__(lock)
        self.token, self.project_id = token, int(project_id)
        #: "admin", or "viewer": Porter's viewer policy may read but not create (types.ViewerPolicy).
        self.role = "admin"

    def add(self, name: str, method: str, tail: str, handler: Callable[[Request], Any], *,
            writes: bool = False) -> None:
        def chained(req: Request) -> Any:
            self._authorize(req, writes)
            return handler(req)

        self.route(name, method, _PROJECT + tail, chained)

    def _authorize(self, req: Request, writes: bool) -> None:
        if req.bearer != self.token:
            raise PorterError(403, "Forbidden")
        project = uint_param(req, "project", "project_id")
        if project != self.project_id:
            raise PorterError(500, f"user {USER_ID} does not have a role in project {project}")
        if writes and self.role != "admin":
            raise PorterError(403, "insufficient permissions to perform action")

    # -- wire shape ---------------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        if code == "html":  # an injected proxy page: the "message" is the page
            return message
        text = message or _DEFAULT_TEXT.get(status, "")
        body: dict[str, Any] = {"error": text}
        if code.isdigit():  # types.ExternalError's optional numeric code (601: unavailable)
            body["code"] = int(code)
        return body

    def exception_reply(self, exc: ServiceError) -> Reply:
        second = getattr(exc, "second", None)
        if second is not None:
            text = json.dumps({"error": exc.message}) + "\n" + json.dumps({"error": second}) + "\n"
            return Reply(exc.status, text, dict(exc.headers))
        return super().exception_reply(exc)

    def error_reply(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        if code == "InternalServerError":  # Service.dispatch's catch-all: Porter never says why
            message = _INTERNAL
        return super().error_reply(status, code, message, headers)

    def not_found(self, method: str, path: str) -> Reply:
        return Reply(404, "404 page not found\n")  # chi's default NotFound handler
