"""AWS wire-format helpers for the sandbox front (see ``aws_front``).

Which service/operation a raw request is, which protocol its answer must speak, how
AWS spells an error in that protocol, and the checks moto skips (trust-policy ExternalId,
CloudFormation IAM capabilities). Nothing here logs: bodies hold secrets.
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
_QUERY_NS = {"sts": STS_NS, "cloudformation": CFN_NS, "iam": "https://iam.amazonaws.com/doc/2010-05-08/"}
# rest-xml services; everything else without an Action/X-Amz-Target is rest-json.
_REST_XML = {"s3", "route53", "cloudfront"}
# Unsigned STS calls carry no credential scope, yet are still STS.
_UNSIGNED_STS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}

_SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_KEY_RE = re.compile(r"Credential=([^/,\s]+)/")
_QUERY_SCOPE_RE = re.compile(r"^[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request$")


def read_body(rfile: Any, headers: Mapping[str, str]) -> bytes:
    """The request body, de-chunked so it can be forwarded with a Content-Length."""
    h = lower_headers(headers)
    if "chunked" in h.get("transfer-encoding", "").lower():
        chunks = []
        while size := int(rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
            chunks.append(rfile.read(size))
            rfile.readline()
        while rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)
    length = int(h.get("content-length") or 0)
    return rfile.read(length) if length > 0 else b""


def isolated_boto3_session(access_key: str = "testing") -> Any:
    """A boto3 session blind to ~/.aws and AWS_PROFILE: a profile named in the
    environment but missing from the config file would make client creation raise.
    moto tells accounts and assumed roles apart by ``access_key``; it checks no secret."""
    import os

    import boto3
    import botocore.session

    core = botocore.session.Session(session_vars={
        "profile": (None, None, None, None),
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    })
    return boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key="testing", region_name="us-east-1", botocore_session=core
    )


def lower_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return {}


def first(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def credential_scope(headers: Mapping[str, str], path: str = "") -> tuple[str, str]:
    """(service, region) from SigV4; the only reliable service name when every service shares one endpoint."""
    h = lower_headers(headers)
    m = _SCOPE_RE.search(h.get("authorization", ""))
    if m:
        return m.group(2), m.group(1)
    # Presigned URLs carry the scope in the query string instead.
    cred = first(parse_qs(urlsplit(path).query), "X-Amz-Credential")
    m = _QUERY_SCOPE_RE.match(cred or "")
    return (m.group(2), m.group(1)) if m else ("", "")


def access_key_id(headers: Mapping[str, str], path: str = "") -> str:
    """Who signed the request (SigV4's credential scope, or a presigned URL's)."""
    m = _KEY_RE.search(lower_headers(headers).get("authorization", ""))
    if m:
        return m.group(1)
    cred = first(parse_qs(urlsplit(path).query), "X-Amz-Credential") or ""
    return cred.split("/", 1)[0]


def _operation(headers: Mapping[str, str], body: bytes, path: str = "") -> tuple[str, str]:
    """(service, action). REST services name the operation only through the URL
    template, which we do not model, so their action is ""."""
    h = lower_headers(headers)
    service, _ = credential_scope(h, path)
    if path.startswith("/moto-api/"):
        return "moto-api", urlsplit(path).path[len("/moto-api/"):].strip("/")
    target = h.get("x-amz-target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    action = first(form(body), "Action") if body else None
    action = action or first(parse_qs(urlsplit(path).query), "Action")
    if action:
        return service or ("sts" if action in _UNSIGNED_STS else ""), action
    return service, ""


def protocol(service: str, headers: Mapping[str, str], body: bytes, path: str = "") -> str:
    h = lower_headers(headers)
    if "x-amz-target" in h:
        return "json"
    if service == "ec2":
        return "ec2"
    if first(form(body), "Action") or first(parse_qs(urlsplit(path).query), "Action"):
        return "query"
    return "rest-xml" if service in _REST_XML else "rest-json"


def error_response(
    proto: str, service: str, code: str, message: str, status: int, request_headers: Mapping[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """An error exactly as botocore's parser for ``proto`` expects it."""
    rid = str(uuid.uuid4())
    c, m, r = escape(code), escape(message), escape(rid)
    xml = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    if proto == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{c}</Code><Message>{m}</Message></Error></Errors>"
            f"<RequestID>{r}</RequestID></Response>"
        )
        return status, xml, body.encode()
    if proto in ("json", "rest-json"):
        hdrs = [("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
        asked = lower_headers(request_headers or {})
        ctype = "application/json"
        if proto == "json":
            ctype = "application/x-amz-json-1.0" if "1.0" in asked.get("content-type", "") else "application/x-amz-json-1.1"
        if asked.get("x-amzn-query-mode") == "true":
            # Services migrated off the query protocol (SQS, CloudWatch) report the code here too.
            hdrs.append(("x-amzn-query-error", f"{code};{'Receiver' if status >= 500 else 'Sender'}"))
        payload = json.dumps({"__type": code, "message": message}).encode()
        return status, hdrs + [("Content-Type", ctype)], payload
    if proto == "rest-xml" and service == "s3":
        body = f"<Error><Code>{c}</Code><Message>{m}</Message><RequestId>{r}</RequestId></Error>"
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", rid)], body.encode()
    ns = _QUERY_NS.get(service)
    open_tag = f'<ErrorResponse xmlns="{ns}">' if ns else "<ErrorResponse>"
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        f"{open_tag}<Error><Type>{kind}</Type><Code>{c}</Code><Message>{m}</Message></Error>"
        f"<RequestId>{r}</RequestId></ErrorResponse>"
    )
    return status, xml, body.encode()


# --- STS trust policy -------------------------------------------------------------

def policy_document(raw: Any) -> dict:
    """moto hands the trust policy back URL-encoded on the wire (botocore decodes it to
    a dict); older paths give a JSON string. Accept all three."""
    if isinstance(raw, dict):
        return raw
    text = str(raw or "")
    for candidate in (text, unquote(text)):
        try:
            doc = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(doc, dict):
            return doc
    return {}


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def allows_assume_role(statement: dict) -> bool:
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
    return any(a in ("sts:assumerole", "sts:*", "*") for a in actions)


def external_id_condition_holds(statement: dict, external_id: str | None) -> bool:
    """Whether one statement's sts:ExternalId conditions (if any) accept this ExternalId.
    Other condition keys are not evaluated: the sandbox has no request context for them."""
    patterns: list[tuple[str, list[str]]] = []
    for operator, block in (statement.get("Condition") or {}).items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(block, dict):
            continue
        for key, values in block.items():
            # Condition keys are case-insensitive in IAM.
            if key.lower() == "sts:externalid":
                patterns.append((operator, [str(v) for v in as_list(values)]))
    if not patterns:
        return True
    return external_id is not None and all(
        any(external_id == v if op == "StringEquals" else fnmatch.fnmatchcase(external_id, v) for v in vals)
        for op, vals in patterns
    )


def external_id_allowed(document: dict, external_id: str | None) -> bool:
    """True when some Allow sts:AssumeRole statement is satisfied as far as sts:ExternalId
    goes, whoever the principal (the front checks principals separately: iam_policies)."""
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, dict) and allows_assume_role(s)]
    if not statements:
        return True  # Nothing to compare against: do not be stricter than moto here.
    return any(external_id_condition_holds(statement, external_id) for statement in statements)


_ROLE_ARN_RE = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[^/]+/)*([\w+=,.@-]+)$")


def parse_role_arn(role_arn: str) -> tuple[str, str] | None:
    """(account, role name), or None when this cannot name a role at all."""
    m = _ROLE_ARN_RE.match(role_arn)
    return (m.group(1), m.group(2)) if m else None


def access_denied_message(caller_arn: str, role_arn: str) -> str:
    # STS's own wording for a refused AssumeRole (AWS STS API reference, AssumeRole, Errors;
    # IAM User Guide, "Troubleshoot IAM roles": "User: <arn> is not authorized to perform:
    # sts:AssumeRole on resource: <role arn>").
    return f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


# --- CloudFormation capabilities --------------------------------------------------

# Resource type -> the property that gives it a custom (physical) name. Types mapped to
# None still need CAPABILITY_IAM; their *Name properties reference other resources.
IAM_TYPES: dict[str, str | None] = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
    "AWS::IAM::RolePolicy": None,
    "AWS::IAM::UserPolicy": None,
    "AWS::IAM::GroupPolicy": None,
}


def _yaml_load(text: str) -> Any:
    import yaml  # Comes with moto; only needed when a YAML template shows up.

    class _Loader(yaml.SafeLoader):
        pass

    def _any_tag(loader: Any, _suffix: str, node: Any) -> Any:
        # !Ref/!Sub/!GetAtt... only their presence matters, not their meaning.
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_scalar(node)

    _Loader.add_multi_constructor("!", _any_tag)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def _scan_text(text: str) -> tuple[bool, bool]:
    """Fallback for templates no YAML parser accepts: coarse but errs towards asking."""
    types = set(re.findall(r"AWS::IAM::[A-Za-z]+", text)) & IAM_TYPES.keys()
    named_props = {IAM_TYPES[t] for t in types} - {None}
    named = any(re.search(rf"^\s*\"?{p}\"?\s*:", text, re.M) for p in named_props)
    return bool(types), named


def iam_resources(template_body: str) -> tuple[bool, bool]:
    """(has IAM resources, has custom-named IAM resources)."""
    try:
        doc = json.loads(template_body)
    except ValueError:
        try:
            doc = _yaml_load(template_body)
        except Exception:  # any YAML error: fall back to scanning the text
            return _scan_text(template_body)
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict):
        return False, False
    has_iam = named = False
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") not in IAM_TYPES:
            continue
        has_iam = True
        prop = IAM_TYPES[resource["Type"]]
        props = resource.get("Properties")
        if prop and isinstance(props, dict) and prop in props:
            named = True
    return has_iam, named


def missing_capability(fields: Mapping[str, list[str]]) -> str | None:
    """The capability CloudFormation would demand for this request, or None."""
    body = first(fields, "TemplateBody")
    if body is None:
        return None  # TemplateURL / UsePreviousTemplate: the template is not in the request.
    caps = {v for k, vs in fields.items() if k.startswith("Capabilities.member.") for v in vs}
    has_iam, named = iam_resources(body)
    if named and "CAPABILITY_NAMED_IAM" not in caps:
        return "CAPABILITY_NAMED_IAM"
    if has_iam and not caps & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
        return "CAPABILITY_IAM"
    return None
