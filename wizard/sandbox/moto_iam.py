"""Straight to moto (not through the front): what the front's own answers need to know.

Who a caller is, a role's trust policy and permission policies, a stack's template, parameters
and resources; and the few writes that make moto's IAM what CloudFormation would have made it
(see stack_roles). Nothing here logs: the answers can hold policies and identifiers.
"""

from __future__ import annotations

import threading
from typing import Any

from wizard.sandbox.aws_wire import isolated_boto3_session, parse_role_arn, policy_document


class MotoClients:
    def __init__(self, upstream: str, timeout: float) -> None:
        self._upstream, self._timeout = upstream, timeout
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, *, account: str = "", access_key: str = "", region: str = "us-east-1") -> Any:
        """A client that moto takes for ``access_key`` (its account, its assumed role) and, when
        given, ``account`` (moto honours x-moto-account-id before the access key)."""
        key = (service, account, access_key, region)
        with self._lock:  # botocore client creation is not thread-safe; using a client is.
            if key not in self._clients:
                from botocore.config import Config

                config = Config(retries={"total_max_attempts": 2, "mode": "standard"}, read_timeout=self._timeout)
                session = isolated_boto3_session(access_key or "testing")
                client = session.client(service, endpoint_url=self._upstream, region_name=region, config=config)
                if account:
                    def pick_account(request: Any, **_: Any) -> None:
                        request.headers["x-moto-account-id"] = account

                    client.meta.events.register(f"before-sign.{client.meta.service_model.endpoint_prefix}.*",
                                                pick_account)
                self._clients[key] = client
            return self._clients[key]

    def identity(self, access_key: str, account: str = "") -> tuple[str, str]:
        """(account, ARN) of whoever signs with ``access_key``, as moto's STS sees them."""
        who = self.client("sts", account=account, access_key=access_key or "testing").get_caller_identity()
        arn = who["Arn"]
        # moto names plain callers arn:aws:sts::<account>:user/moto; IAM users are iam ARNs.
        if ":sts::" in arn and ":user/" in arn:
            arn = arn.replace(":sts::", ":iam::", 1)
        return who["Account"], arn

    def role(self, role_arn: str) -> dict | None:
        """The role (its trust policy decoded), or None when no such role exists."""
        from botocore.exceptions import ClientError

        parsed = parse_role_arn(role_arn)
        if parsed is None:
            return None
        try:
            role = self.client("iam", account=parsed[0]).get_role(RoleName=parsed[1])["Role"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise
        if role.get("Arn") != role_arn:  # The same name under another path is another role.
            return None
        return {**role, "AssumeRolePolicyDocument": policy_document(role.get("AssumeRolePolicyDocument"))}

    def role_policies(self, role_arn: str) -> list[tuple[str, str, dict]]:
        """(policy name, SimulatePrincipalPolicy's SourcePolicyType, document) of each policy that
        applies to the role: its attached managed policies and its inline ones."""
        account, name = parse_role_arn(role_arn) or ("", "")
        iam = self.client("iam", account=account)
        found: list[tuple[str, str, dict]] = []
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for attached in page["AttachedPolicies"]:
                arn = attached["PolicyArn"]
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                kind = "aws-managed" if ":iam::aws:policy/" in arn else "user-managed"
                found.append((attached["PolicyName"], kind, policy_document(document)))
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
                found.append((policy_name, "role", policy_document(document)))
        return found
