"""Porter's Grant permissions link (or its ExternalId), as a person pastes it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.aws.porter_link import PLATFORM_PRINCIPAL, parse_external_id_or_link, parse_porter_link
from wizard.errors import InputError

UUID = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"
TEMPLATE = "https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json"
# Porter's dashboard, verbatim (porter-archive CloudFormationForm.tsx and GrantAWSPermissions.tsx).
PORTERS = (f"https://console.aws.amazon.com/cloudformation/home?#/stacks/create/review?templateURL={TEMPLATE}"
           f"&stackName=PorterRole&param_ExternalIdParameter={UUID}&param_TrustArnParameter={PLATFORM_PRINCIPAL}")
NEWER = ("https://console.aws.amazon.com/cloudformation/home?#/stacks/create/review?templateURL="
         "https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-access-policy.json&stackName=PorterRole"
         f"&param_TrustArnParameter={PLATFORM_PRINCIPAL}")


def test_porters_link_as_its_dashboard_makes_it():
    link = parse_porter_link(PORTERS)
    assert link.template_url == TEMPLATE and link.stack_name == "PorterRole"
    assert link.external_id == UUID and link.region == ""
    assert link.parameters == {"ExternalIdParameter": UUID, "TrustArnParameter": PLATFORM_PRINCIPAL}


def test_the_newer_link_has_no_external_id_and_takes_one():
    link = parse_porter_link(NEWER)
    assert link.external_id == "" and "ExternalIdParameter" not in link.parameters
    assert link.template_url.endswith("/cloudformation-access-policy.json")
    given_id = link.with_external_id(UUID)
    assert given_id.external_id == UUID and given_id.parameters["ExternalIdParameter"] == UUID


@pytest.mark.parametrize("pasted", [
    f"  {PORTERS}\n", f'"{PORTERS}"', f"<{PORTERS}>", f"'<{PORTERS}>'", f"“{PORTERS}”",
    PORTERS.replace("home?#/stacks/create/review?", "home?region=eu-west-1#/stacks/quickcreate?"),
    PORTERS.replace("https://console.aws.amazon.com", "https://eu-west-1.console.aws.amazon.com"),
    PORTERS.replace("console.aws.amazon.com", "console.amazonaws-us-gov.com"),
    PORTERS.replace("console.aws.amazon.com", "console.amazonaws.cn"),
    PORTERS.replace("templateURL=https://porter-role.s3.us-east-2.amazonaws.com/",
                    "templateURL=https%3A%2F%2Fs3.us-east-2.amazonaws.com%2Fporter-role%2F"),
    PORTERS.replace("porter-role.s3.us-east-2.amazonaws.com", "porter-role.s3.amazonaws.com"),
    PORTERS.replace("porter-role.s3.us-east-2.amazonaws.com", "porter-role.s3.cn-north-1.amazonaws.com.cn"),
])
def test_good_links_in_every_shape(pasted):
    link = parse_porter_link(pasted)
    assert link.external_id == UUID and link.stack_name == "PorterRole"
    assert link.template_url.startswith("https://") and link.template_url.endswith("cloudformation-policy.json")


def test_the_region_is_taken_from_the_query_or_the_host():
    assert parse_porter_link(PORTERS.replace("home?#", "home?region=eu-west-1#")).region == "eu-west-1"
    assert parse_porter_link(PORTERS.replace("//console", "//ap-south-1.console")).region == "ap-south-1"


def test_a_bare_external_id_or_a_link():
    assert parse_external_id_or_link(f"  {UUID} ") == UUID
    assert parse_external_id_or_link("porter-0123456789abcdef0123456789abcdef") == "porter-0123456789abcdef0123456789abcdef"
    assert parse_external_id_or_link(f"<{PORTERS}>").external_id == UUID


@pytest.mark.parametrize("pasted,says", [
    ("", "Paste the link"),
    ("hello", "neither a link nor an ExternalId"),
    ("console.aws.amazon.com/cloudformation/home", "not a link"),
    (PORTERS.replace("https://", "http://", 1), "plain http"),
    (PORTERS.replace("console.aws.amazon.com", "evil.example"), "evil.example, not to the AWS console"),
    (PORTERS.replace("console.aws.amazon.com", "console.aws.amazon.com.evil.example"), "not to the AWS console"),
    (PORTERS.replace("console.aws.amazon.com", "console.aws.amazon.com@evil.example"), "not to the AWS console"),
    (PORTERS.replace("console.aws.amazon.com", "evil.example@console.aws.amazon.com"), "not to the AWS console"),
    (PORTERS.replace("console.aws.amazon.com", "console.aws.amazon.com:8443"), "not to the AWS console"),
    (PORTERS.replace("/cloudformation/home", "/iam/home"), "not CloudFormation's create-stack page"),
    (PORTERS.replace("#/stacks/create/review", "#/stacks/stackinfo"), "not CloudFormation's create-stack page"),
    (PORTERS.replace(f"templateURL={TEMPLATE}&", ""), "no templateURL"),
    (PORTERS.replace(TEMPLATE, TEMPLATE.replace("https", "http")), "not an https address on Amazon S3"),
    (PORTERS.replace(TEMPLATE, "https://evil.example/cloudformation-policy.json"), "not an https address on Amazon S3"),
    (PORTERS.replace(TEMPLATE, "https://porter-role.s3.us-east-2.amazonaws.com.evil.example/t.json"), "Amazon S3"),
    (PORTERS.replace(TEMPLATE, "https://x@porter-role.s3.us-east-2.amazonaws.com/t.json"), "Amazon S3"),
    (PORTERS.replace(TEMPLATE, "https://s3.us-east-2.amazonaws.com/only-a-bucket"), "Amazon S3"),
    (PORTERS.replace(PLATFORM_PRINCIPAL, "arn:aws:iam::108458755588:user/CAPIManagement"), "not an IAM role ARN"),
    (PORTERS.replace(PLATFORM_PRINCIPAL, "arn:aws:iam::999999999999:role/attacker"), "not Porter"),
    (PORTERS.replace(UUID, "a"), "2 to 1224 characters"),
    (PORTERS.replace(UUID, "has space"), "2 to 1224 characters"),
    (PORTERS.replace(UUID, "x" * 1225), "2 to 1224 characters"),
    (PORTERS.replace("stackName=PorterRole", "stackName=9lives"), "not a CloudFormation stack name"),
    (PORTERS + "&stackName=Other", "more than once"),
    (PORTERS.replace("home?#", "home?region=mars#"), "not an AWS region"),
    ("https://[::1/cloudformation/home", "not a link that can be read"),
])
def test_each_refusal_says_what_is_wrong(pasted, says):
    with pytest.raises(InputError) as refused:
        parse_external_id_or_link(pasted)
    assert says in refused.value.what
    assert "Grant permissions" in refused.value.next_step  # where to find the right thing


_CHUNKS = st.sampled_from([
    "https://", "http://", "console.aws.amazon.com", "console.amazonaws.cn", "evil.example", "@", ":443",
    "/cloudformation/home", "?", "#", "/stacks/create/review", "/stacks/quickcreate", "&", "=", "region=",
    "templateURL=", TEMPLATE, "https://s3.amazonaws.com/b/k", "stackName=PorterRole", "param_",
    "ExternalIdParameter=", "TrustArnParameter=", PLATFORM_PRINCIPAL, UUID, "%", "%ZZ", "[", "]", "<", ">",
    '"', " ", "\n", "\x00", "é", "..", "/",
])


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_CHUNKS, max_size=25).map("".join)))
def test_parsing_never_fails_but_with_an_input_error(text):
    try:
        got = parse_external_id_or_link(text)
    except InputError as err:
        assert err.what
        return
    assert isinstance(got, str) or got.template_url.startswith("https://")
