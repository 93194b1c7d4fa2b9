"""Trust policies (wizard/aws/trust.py) word for word: how a policy reaches us (decoded, JSON text,
URL-encoded JSON, nothing), who else a role lets in and how each is named (anyone, an account's
root by ARN or bare ID, NotPrincipal, federated identities), which statements grant AssumeRole at
all, and which ExternalIds a condition accepts exactly or only as a pattern, as the user reads them
in trust_problem's (title, text, code)."""
from __future__ import annotations

import json
import urllib.parse

from wizard.aws.porter_link import PLATFORM_PRINCIPAL
from wizard.aws.trust import _describe, _external_ids, policy_document, trust_problem

ROOT = "arn:aws:iam::123456789012:root"
TOO_WIDE = "The role trusts more than Porter"
ADMIN = ("assume it. With AdministratorAccess attached, any of them that learns the ExternalId "
         "becomes administrator of this account.")
NOT_TRUSTED = ("The role does not trust Porter",
               f"does not name Porter's platform identity ({PLATFORM_PRINCIPAL}), so Porter cannot assume it.",
               "PorterNotTrusted")
NO_EXTERNAL_ID = ("The role requires no ExternalId",
                  "lets Porter's platform identity in without an ExternalId, so any Porter project could "
                  "use it; the ExternalId is what ties it to this one.", "NoExternalId")


def porter(condition: dict | None = None, **extra) -> dict:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": PLATFORM_PRINCIPAL}}
    if condition is not None:
        statement["Condition"] = condition
    return {**statement, **extra}


def equals(external_id="porter-x") -> dict:
    return {"StringEquals": {"sts:ExternalId": external_id}}


def policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def too_wide(who: str) -> tuple[str, str, str]:
    return (TOO_WIDE, f"also lets {who} {ADMIN}", "TrustTooWide")


def mismatch(theirs: str, ours: str) -> tuple[str, str, str]:
    return ("The role expects another ExternalId",
            f"requires the ExternalId {theirs}; this project's is {ours}. Porter presents this "
            "project's, so AWS would refuse it.", "ExternalIdMismatch")


def test_a_policy_arrives_decoded_as_json_text_or_url_encoded():
    doc = policy(porter(equals()))
    assert policy_document(doc) is doc
    text = json.dumps(doc)
    assert policy_document(text) == doc
    assert policy_document(urllib.parse.quote(text)) == doc
    assert trust_problem(policy_document(urllib.parse.quote(text)), "porter-x") is None
    for nothing in (None, "", "not json", "[1, 2]", "1", '"%7B%7D"'):
        assert policy_document(nothing) == {}
    assert policy_document(urllib.parse.quote('["a"]')) == {}


def test_each_principal_is_named_as_the_user_knows_it():
    assert _describe("*") == "anyone at all (*)"
    assert _describe(ROOT) == f"every identity of account 123456789012 (its root, {ROOT})"
    china = "arn:aws-cn:iam::210987654321:root"
    assert _describe(china) == f"every identity of account 210987654321 (its root, {china})"
    assert _describe("123456789012") == "every identity of account 123456789012 (its root, 123456789012)"
    for as_is in ("arn:aws:iam::123456789012:role/dev", "arn:aws:iam::123456789012:rooted",
                  "xarn:aws:iam::123456789012:root", "12345678901", "1234567890123", "a123456789012",
                  "arn:aws:iam::12345678901:root", ""):
        assert _describe(as_is) == as_is


def test_anyone_and_other_accounts_make_the_trust_too_wide():
    anyone = policy({"Effect": "Allow", "Action": "*", "Principal": "*"}, porter(equals()))
    assert trust_problem(anyone, "porter-x") == too_wide("anyone at all (*)")
    aws_star = policy(porter(equals()), {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}})
    assert trust_problem(aws_star, "porter-x") == too_wide("anyone at all (*)")
    accounts = policy(porter(equals(), Principal={"AWS": [PLATFORM_PRINCIPAL, ROOT, "123456789012",
                                                          ROOT, "arn:aws:iam::123456789012:user/bob"]}))
    assert trust_problem(accounts, "porter-x") == too_wide(
        f"every identity of account 123456789012 (its root, {ROOT}); "
        "every identity of account 123456789012 (its root, 123456789012); arn:aws:iam::123456789012:user/bob")


def test_a_star_statement_is_counted_once_and_the_next_statements_still_read():
    doc = policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"},
                 {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ROOT}})
    assert trust_problem(doc, "x") == too_wide(
        f"anyone at all (*); every identity of account 123456789012 (its root, {ROOT})")


def test_not_principal_and_federated_identities_are_named_services_are_fine():
    not_principal = policy(porter(equals()), {"Effect": "Allow", "Action": "sts:AssumeRole",
                                              "NotPrincipal": {"AWS": ROOT}})
    assert trust_problem(not_principal, "porter-x") == too_wide("everyone not named in its NotPrincipal")
    federated = policy(porter(equals()), {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                          "NotAction": "iam:*",
                                          "Principal": {"Federated": "cognito-identity.amazonaws.com",
                                                        "Service": ["ec2.amazonaws.com", "eks.amazonaws.com"]}})
    assert trust_problem(federated, "porter-x") == too_wide("Federated identities (cognito-identity.amazonaws.com)")
    services = policy(porter(equals()), {"Effect": "Allow", "Action": "sts:AssumeRole",
                                         "Principal": {"Service": "ec2.amazonaws.com"}})
    assert trust_problem(services, "porter-x") is None


def test_only_statements_that_allow_assume_role_count():
    stranger = {"Principal": {"AWS": ROOT}}
    granting = [{"Effect": "Allow", "Action": "sts:AssumeRole"}, {"Effect": "allow", "Action": "STS:AssumeRole"},
                {"Effect": "ALLOW", "Action": ["s3:GetObject", "sts:*"]}, {"Effect": "Allow", "Action": "*"},
                {"Effect": "Allow", "NotAction": "s3:*"}]
    for grant in granting:
        assert trust_problem(policy(porter(equals()), {**grant, **stranger}), "porter-x")[2] == "TrustTooWide", grant
    harmless = [{"Effect": "Deny", "Action": "sts:AssumeRole"}, {"Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Action": "sts:TagSession"}, {"Effect": "Allow"},
                {"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRoleWithSAML"]}]
    for grant in harmless:
        assert trust_problem(policy(porter(equals()), {**grant, **stranger}), "porter-x") is None, grant
    assert trust_problem(policy("junk", None, porter(equals())), "porter-x") is None
    assert trust_problem({"Statement": porter(equals())}, "porter-x") is None


def test_a_role_that_does_not_name_porter():
    for doc in ({}, {"Statement": None}, policy(), policy(porter(equals(), Effect="Deny")),
                policy(porter(equals(), Principal={"Service": "ec2.amazonaws.com"})),
                policy(porter(equals(), Principal="arn:aws:iam::123456789012:role/x"))):
        assert trust_problem(doc, "porter-x") == NOT_TRUSTED, doc


def test_porter_without_an_external_id():
    for condition in (None, {}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"StringEquals": "porter-x"},
                      {"StringEquals": {"aws:SourceAccount": "123456789012"}}):
        assert trust_problem(policy(porter(condition)), "porter-x") == NO_EXTERNAL_ID, condition
    assert _external_ids(porter(None)) is None
    assert _external_ids(porter({"Null": ["x"], "Bool": {"aws:SecureTransport": "true"}})) is None
    # One statement with it, one without: the one without lets any project in.
    assert trust_problem(policy(porter(equals()), porter()), "porter-x") == NO_EXTERNAL_ID


def test_external_ids_accepted_exactly_or_as_patterns():
    assert _external_ids(porter(equals())) == ["porter-x"]
    assert _external_ids(porter({"StringEquals": {"STS:EXTERNALID": ["a", "b"]}})) == ["a", "b"]
    # a block that is not a dict is skipped, not the end of the conditions
    assert _external_ids(porter({"Null": "x", "StringEquals": {"sts:externalid": "a"}})) == ["a"]
    assert _external_ids(porter({"StringEquals": {"aws:SourceArn": "x", "sts:ExternalId": "a"}})) == ["a"]
    assert _external_ids(porter({"StringEquals": {"sts:ExternalId": "porter-*"}})) == ["porter-*"]
    assert _external_ids(porter({"StringLike": {"sts:ExternalId": "Porter-X"}})) == ["Porter-X"]
    assert _external_ids(porter({"StringLike": {"sts:ExternalId": ["porter-*", "p?"]}})) == [
        "porter-* (a pattern)", "p? (a pattern)"]
    assert _external_ids(porter({"StringLike": {"sts:ExternalId": ["porter-x", "porter-?"]}})) == [
        "porter-x (a pattern)", "porter-? (a pattern)"]
    assert _external_ids(porter({"StringEquals": {"sts:ExternalId": "a"},
                                 "StringLike": {"sts:ExternalId": "b"}})) == ["a", "b"]
    assert _external_ids(porter({"StringEquals": {"sts:ExternalId": 42}})) == ["42"]


def test_the_external_id_porter_presents_must_be_the_only_one():
    assert trust_problem(policy(porter(equals())), "porter-x") is None
    assert trust_problem(policy(porter(equals(["porter-x", "porter-x"]))), "porter-x") is None
    assert trust_problem(policy(porter(equals()), porter(equals())), "porter-x") is None
    # StringLike without * or ? accepts only itself
    assert trust_problem(policy(porter({"StringLike": {"sts:ExternalId": "Porter-X"}})), "Porter-X") is None
    assert trust_problem(policy(porter(equals("porter-y"))), "porter-x") == mismatch("porter-y", "porter-x")
    assert trust_problem(policy(porter(equals("porter-y"))), "") == mismatch("porter-y", "not set")
    both = policy(porter(equals(["porter-z", "porter-x"])), porter(equals("porter-a")))
    assert trust_problem(both, "porter-x") == mismatch("porter-a, porter-x, porter-z", "porter-x")
    like = policy(porter({"StringLike": {"sts:ExternalId": "porter-*"}}))
    assert trust_problem(like, "porter-x") == mismatch("porter-* (a pattern)", "porter-x")
    assert trust_problem(policy(porter({"StringEquals": {"sts:ExternalId": []}})), "porter-x") == mismatch(
        "", "porter-x")
