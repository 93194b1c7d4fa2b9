"""EC2 where moto is laxer than AWS in ways a teardown's order and aim depend on (issue 18).

- ReleaseAddress is refused while the address is associated (a NAT gateway's network interface
  holds it until the gateway is deleted): "[Nondefault VPC] You must disassociate the Elastic IP
  address before you can release it. Otherwise, Amazon EC2 returns an error
  (InvalidIPAddress.InUse)." (EC2 API Reference, ReleaseAddress,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReleaseAddress.html). moto releases
  it, and frees the NAT gateway's address with it.
- DeleteSubnet is refused while network interfaces are in the subnet: "You must terminate all
  running instances in the subnet before you can delete the subnet." (API_DeleteSubnet); AWS
  answers DependencyViolation, "The subnet '<id>' has dependencies and cannot be deleted."
  (Error codes for the Amazon EC2 API: DependencyViolation). moto deletes it.
- DescribeNatGateways honours ``tag:<key>`` and ``tag-key`` filters, as documented for the
  action (API_DescribeNatGateways, Filter.N); moto ignores them and answers every gateway, so a
  teardown looking for the cluster's gateway would be handed the user's.

moto marks a NAT gateway "deleted" at once but keeps its network interface and the address on
it; AWS removes both once the gateway is deleted. So the interfaces and addresses of deleted
gateways do not count here. Nothing here logs.
"""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from wizard.sandbox.aws_wire import access_key_id, credential_scope, error_response, first, form, lower_headers

_Answer = tuple[int, list[tuple[str, str]], bytes]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "expect"}


def ec2_rule(moto: Any, upstream: str, timeout: float, action: str, headers: Mapping[str, str], body: bytes,
             path: str) -> _Answer | None:
    """A refusal (or a filtered answer) of the front's own for this EC2 request, or None."""
    if action not in ("ReleaseAddress", "DeleteSubnet", "DescribeNatGateways"):
        return None
    fields = form(body)
    if action == "DescribeNatGateways":
        wanted = _tag_filters(fields)
        return _filtered_nat_gateways(upstream, timeout, headers, body, path, wanted) if wanted else None
    ec2 = moto.client("ec2", account=lower_headers(headers).get("x-moto-account-id", ""),
                      access_key=access_key_id(headers, path), region=credential_scope(headers, path)[1])
    gone = _interfaces_of_deleted_nat_gateways(ec2)
    if action == "ReleaseAddress":
        allocation = first(fields, "AllocationId")
        found = _call(lambda: ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]) if allocation else []
        for address in found or []:
            eni = address.get("NetworkInterfaceId")
            if (eni and eni not in gone) or (address.get("AssociationId") and not eni):
                return error_response("ec2", "ec2", "InvalidIPAddress.InUse",
                                      f"Address {address.get('PublicIp', allocation)} is in use.", 400, headers)
        return None
    subnet = first(fields, "SubnetId") or ""
    interfaces = _call(lambda: ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]) or []
    if any(i["NetworkInterfaceId"] not in gone for i in interfaces):
        return error_response("ec2", "ec2", "DependencyViolation",
                              f"The subnet '{subnet}' has dependencies and cannot be deleted.", 400, headers)
    return None


def _call(read: Any) -> Any:
    """moto's answer, or None when it refuses the read (no such address): moto's own answer to
    the request itself will say so."""
    from botocore.exceptions import ClientError

    try:
        return read()
    except ClientError:
        return None


def _interfaces_of_deleted_nat_gateways(ec2: Any) -> set[str]:
    deleted = ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["deleted"]}])["NatGateways"]
    return {a["NetworkInterfaceId"] for n in deleted for a in n.get("NatGatewayAddresses", [])
            if a.get("NetworkInterfaceId")}


def _tag_filters(fields: Mapping[str, list[str]]) -> list[tuple[str, set[str] | None]]:
    """(tag key, accepted values or None for any) of each tag filter in the request."""
    out = []
    n = 1
    while (name := first(fields, f"Filter.{n}.Name")) is not None:
        values = {v for k, vs in fields.items() if k.startswith(f"Filter.{n}.Value.") for v in vs}
        if name.startswith("tag:"):
            out.append((name[4:], values))
        elif name == "tag-key":
            out.extend((key, None) for key in values)
        n += 1
    return out


def _filtered_nat_gateways(upstream: str, timeout: float, headers: Mapping[str, str], body: bytes, path: str,
                           wanted: list[tuple[str, set[str] | None]]) -> _Answer:
    """moto's answer, without the gateways the tag filters exclude."""
    parts = urlsplit(upstream)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        conn.request("POST", path, body=body, headers={**sent, "Host": parts.netloc,
                                                       "Content-Length": str(len(body))})
        resp = conn.getresponse()
        status, payload = resp.status, resp.read()
        kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
    finally:
        conn.close()
    if status != 200:
        return status, kept, payload
    root = ET.fromstring(payload)
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    q = (lambda local: f"{{{ns}}}{local}") if ns else (lambda local: local)
    for gateways in root.iter(q("natGatewaySet")):
        for item in list(gateways.findall(q("item"))):
            tags = {t.findtext(q("key"), ""): t.findtext(q("value"), "")
                    for t in item.findall(f"{q('tagSet')}/{q('item')}")}
            if not all(key in tags and (values is None or tags[key] in values) for key, values in wanted):
                gateways.remove(item)
    # As moto wrote it: its namespace the default one, not an ns0: prefix.
    return status, kept, ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=ns or None)
