"""Fixtures shared by the AWS front's tests: moto's server, the front before it, a
client with one attempt."""
from __future__ import annotations

import json
import logging
import os
import urllib.parse
import urllib.request

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from wizard.sandbox.aws_front import AwsFront

ACCOUNT = "123456789012"

NAMED_ROLE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Prefix:
    Type: String
    Default: porter
Resources:
  ManagerRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Prefix}-manager"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"
            Action: sts:AssumeRole
      Tags:
        - Key: prefix
          Value: !Ref Prefix
Outputs:
  RoleArn:
    Value: !GetAtt ManagerRole.Arn
"""

UNNAMED_ROLE_TEMPLATE = json.dumps({
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}],
                }
            },
        }
    }
})


def _trust(condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def moto_url():
    # werkzeug logs every request on stderr; the tests want a quiet run.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def front(moto_url):
    with AwsFront(moto_url) as f:
        yield f


@pytest.fixture(autouse=True)
def _fresh(moto_url, front):
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).read()
    front.clear()
    front.reset_log()
    yield
    front.clear()


def client(front: AwsFront, service: str, attempts: int = 1):
    # A private botocore session so AWS_PROFILE / ~/.aws of whoever runs the tests cannot interfere.
    core = botocore.session.Session(session_vars={
        "profile": (None, None, None, None),
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    })
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1", botocore_session=core
    )
    # botocore's "max_attempts" counts retries after the first call; total_max_attempts counts all calls.
    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=5, read_timeout=20)
    return session.client(service, endpoint_url=front.url, config=config)


def _code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Code"]


