"""The AWS console's address in each partition, for the links the wizard prints."""
from __future__ import annotations

_HOSTS = {"aws": "console.aws.amazon.com", "aws-us-gov": "console.amazonaws-us-gov.com",
          "aws-cn": "console.amazonaws.cn"}


def console_host(partition: str) -> str:
    return _HOSTS.get(partition, _HOSTS["aws"])
