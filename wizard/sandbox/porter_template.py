"""Porter's CloudFormation template, served where Porter's link says it is.

Porter's dashboard opens the console on
https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json (and, in its newer form,
.../cloudformation-access-policy.json): porter-dev/porter-archive, dashboard/src/components/
CloudFormationForm.tsx and .../forms/aws/GrantAWSPermissions.tsx. In the sandbox that bucket is
moto's, holding this wizard's template (assets/porter-role.yaml, the same parameters as Porter's),
so a stack created from Porter's link, or from ours, works against moto as it would against AWS.

moto's CloudFormation reads a TemplateURL from its own S3 (moto/cloudformation/utils.py
get_stack_from_s3_url): for a virtual-hosted URL the bucket is the host's first label and the key
the path, looked up in the calling account. The body stays YAML: CloudFormation takes YAML or
JSON whatever the file is called, and the wizard compares the deployed template with its own.
"""

from __future__ import annotations

from typing import Any

from assets import read_text
from wizard.sandbox.aws_wire import isolated_boto3_session

BUCKET = "porter-role"
REGION = "us-east-2"
KEYS = ("cloudformation-policy.json", "cloudformation-access-policy.json")
TEMPLATE_ASSET = "porter-role.yaml"


def publish_porter_template(moto_url: str, account: str = "123456789012") -> None:
    """Put the template in moto's S3 at Porter's address, in the sandbox's account."""
    from botocore.config import Config

    s3 = isolated_boto3_session().client(
        "s3", endpoint_url=moto_url, region_name=REGION,
        # Path-style: the endpoint is an IP address, which has no bucket subdomains.
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2, "mode": "standard"}))

    def pick_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    s3.meta.events.register("before-sign.s3.*", pick_account)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    body = read_text(TEMPLATE_ASSET).encode("utf-8")
    for key in KEYS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="application/x-yaml")
