"""The front refuses an UpdateStack that changes nothing, as CloudFormation does (ValidationError,
"No updates are to be performed."); any real change still goes to moto (wizard/sandbox/aws_cfn_rules.py)."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from wizard.sandbox.aws_cfn_rules import NO_UPDATES

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: {Type: String}
  Size: {Type: String, Default: small}
Resources:
  Topic: {Type: "AWS::SNS::Topic", Properties: {TopicName: !Ref Name}}
"""


@pytest.fixture
def cfn(aws):
    """A stack "s" in the sandbox's front (which refuses no-change updates itself)."""
    client = boto3.client("cloudformation", region_name="us-east-1")
    client.create_stack(StackName="s", TemplateBody=TEMPLATE, Parameters=[{"ParameterKey": "Name", "ParameterValue": "a"}],
                        Tags=[{"Key": "team", "Value": "x"}])
    return client


def _refused(cfn, **update) -> bool:
    try:
        cfn.update_stack(StackName="s", **update)
    except ClientError as exc:
        assert exc.response["Error"] == {"Type": "Sender", "Code": "ValidationError", "Message": NO_UPDATES}
        return True
    return False


def test_an_update_that_changes_nothing_is_refused(cfn):
    name = [{"ParameterKey": "Name", "ParameterValue": "a"}]
    assert _refused(cfn, TemplateBody=TEMPLATE, Parameters=name)
    assert _refused(cfn, TemplateBody="\n" + TEMPLATE.replace(": ", ":  "), Parameters=name)  # same, parsed
    assert _refused(cfn, UsePreviousTemplate=True, Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}])
    assert _refused(cfn, TemplateBody=TEMPLATE, Parameters=name + [{"ParameterKey": "Size", "ParameterValue": "small"}],
                    Tags=[{"Key": "team", "Value": "x"}])
    assert [e["ResourceStatus"] for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
            if e["LogicalResourceId"] == "s"] == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]


@pytest.mark.parametrize("update", [
    {"TemplateBody": TEMPLATE, "Parameters": [{"ParameterKey": "Name", "ParameterValue": "b"}]},
    {"TemplateBody": TEMPLATE, "Parameters": [{"ParameterKey": "Name", "ParameterValue": "a"},
                                              {"ParameterKey": "Size", "ParameterValue": "large"}]},
    {"TemplateBody": TEMPLATE.replace("Default: small", "Default: tiny"),
     "Parameters": [{"ParameterKey": "Name", "UsePreviousValue": True}]},
    {"UsePreviousTemplate": True, "Parameters": [{"ParameterKey": "Name", "UsePreviousValue": True}],
     "Tags": [{"Key": "team", "Value": "y"}]},
], ids=["parameter", "default-overridden", "template", "tags"])
def test_any_change_goes_through(cfn, update):
    assert not _refused(cfn, **update)
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_a_missing_stack_gets_motos_own_answer(cfn):
    with pytest.raises(ClientError) as missing:
        cfn.update_stack(StackName="nope", TemplateBody=TEMPLATE)
    assert "does not exist" in missing.value.response["Error"]["Message"]
