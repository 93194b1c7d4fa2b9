"""Porter CLI's login, and the client of Porter's API against the local double over real HTTPS."""
from __future__ import annotations

import json
import logging
import os
import socket

import pytest

from wizard.porter.client import ClusterStatus, PorterClient, PorterError
from wizard.porter.login import PorterLogin, find_login
from wizard.redaction import redact

from .porter_fixtures import PORTER_PROJECT, PORTER_TOKEN, error_text, write_config

ROLE = "arn:aws:iam::123456789012:role/porter-manager"
AZURE_SECRET = "azure-client-secret-Xq7~" + "k" * 16
GCP_KEY = json.dumps({"type": "service_account", "project_id": "acme-prod", "private_key_id": "abc",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBg\n-----END PRIVATE KEY-----\n",
                      "client_email": "porter@acme-prod.iam.gserviceaccount.com"})
SECRETS = (PORTER_TOKEN, AZURE_SECRET, GCP_KEY, "MIIEvgIBADANBg")


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- find_login ------------------------------------------------------------------------------------
def test_login_from_the_cli_config(tmp_path):
    write_config(tmp_path, "driver: local\nhost: https://porter.example.com/\nproject: 42\ncluster: 7\n"
                           "token: tok-from-file-123\n")
    login = find_login({}, tmp_path)
    assert login == PorterLogin("https://porter.example.com", "42", "tok-from-file-123", "~/.porter/porter.yaml")
    assert "tok-from-file-123" not in repr(login)
    assert redact("token tok-from-file-123 here") == "token [redacted] here"


def test_environment_overrides_each_key_like_viper(tmp_path):
    write_config(tmp_path, "host: https://porter.example.com\nproject: 42\ntoken: file-token-1234\n")
    login = find_login({"PORTER_TOKEN": "env-token-5678", "PORTER_PROJECT": "9", "PORTER_HOST": ""}, tmp_path)
    assert (login.host, login.project, login.token) == ("https://porter.example.com", "9", "env-token-5678")
    assert login.source == "~/.porter/porter.yaml with PORTER_TOKEN and PORTER_PROJECT"


def test_environment_alone_with_the_default_host(tmp_path):
    login = find_login({"PORTER_TOKEN": "env-token-5678", "PORTER_PROJECT": "12"}, tmp_path)
    assert login == PorterLogin("https://dashboard.getporter.dev", "12", "env-token-5678",
                                "PORTER_TOKEN and PORTER_PROJECT")


@pytest.mark.parametrize("config, env", [
    ("host: https://porter.example.com\nproject: 42\n", {}),  # `porter auth login` never ran
    ("project: 42\ntoken: ''\n", {"PORTER_TOKEN": ""}),  # an empty variable does not count
    ("token: file-token-1234\nproject: 0\n", {}),  # 0: no project chosen (`porter config set-project`)
    ("token: file-token-1234\n", {}),
    ("", {}),  # the empty file the CLI creates
    (None, {}),  # no file at all
    ("token: file-token-1234\nproject: acme\n", {}),  # not a project ID
])
def test_no_login_without_a_token_and_a_project(tmp_path, config, env):
    if config is not None:
        write_config(tmp_path, config)
    assert find_login(env, tmp_path) is None


@pytest.mark.parametrize("text", [
    "token: file-token-1234\nproject: [42\n",  # broken YAML, on the token's neighbour line
    "token: file-token-1234\n  project: 42\n bad: indent\n",
    "- token\n- file-token-1234\n",  # YAML, but not a mapping
    b"token: file-token-1234\nproject: 42\n\xff\xfe\n",  # not UTF-8
])
def test_damaged_config_is_ignored_with_a_warning_that_never_quotes_it(tmp_path, porter_log, text):
    write_config(tmp_path, text)
    env = {"PORTER_TOKEN": "env-token-5678", "PORTER_PROJECT": "3"}  # the CLI too stops on a damaged file
    assert find_login(env, tmp_path) is None
    assert [r.levelno for r in porter_log] == [logging.WARNING]
    assert "file-token-1234" not in porter_log[0].getMessage()


def test_huge_config_is_refused_unread(tmp_path, porter_log):
    write_config(tmp_path, "token: file-token-1234\nproject: 42\n" + "#" * (1024 * 1024) + "\n")
    assert find_login({}, tmp_path) is None
    assert "bytes" in porter_log[0].getMessage() and "file-token-1234" not in porter_log[0].getMessage()


def test_unreadable_config_is_ignored(tmp_path, porter_log):
    (tmp_path / ".porter" / "porter.yaml").mkdir(parents=True)  # unreadable as a file, even for root
    assert find_login({"PORTER_TOKEN": "env-token-5678", "PORTER_PROJECT": "3"}, tmp_path) is None
    assert "cannot be read" in porter_log[0].getMessage()


# -- the calls, round trip ---------------------------------------------------------------------------
def test_project_name_proves_the_login(porter_client, porter):
    assert porter_client.project_name() == "sandbox"
    assert porter.requests == ["get_project"]
    assert PORTER_TOKEN not in repr(porter_client)


def test_connect_aws_sends_the_role_and_external_id(porter_client, porter):
    assert porter_client.connect_aws(ROLE, "ext-id-0001") == ROLE  # the ARN is the identifier
    assert porter.integrations == [{"cloud": "aws", "aws_target_arn": ROLE, "aws_external_id": "ext-id-0001"}]


def test_connect_azure_sends_the_four_fields(porter_client, porter):
    ident = porter_client.connect_azure(client_id="cid", subscription_id="sub", tenant_id="ten", secret=AZURE_SECRET)
    assert porter.integrations == [{"cloud": "azure", "azure_client_id": "cid", "azure_subscription_id": "sub",
                                    "azure_tenant_id": "ten", "service_principal_key": AZURE_SECRET,
                                    "cloud_provider_credentials_id": ident}]
    assert redact(f"x {AZURE_SECRET} y") == "x [redacted] y"


def test_connect_gcp_sends_the_key_text(porter_client, porter):
    ident = porter_client.connect_gcp(key_json=GCP_KEY, project_id="acme-prod")
    assert porter.integrations == [{"cloud": "gcp", "gcp_key_data": GCP_KEY, "gcp_project_id": "acme-prod",
                                    "cloud_provider_credentials_id": ident}]
    assert ident and redact(GCP_KEY) == "[redacted]"


def test_permissions_percent_follows_what_porter_holds(porter_client, porter):
    assert porter_client.permissions_percent("aws", ROLE) == 0  # nothing sent yet
    porter_client.connect_aws(ROLE, "ext-id-0001")
    assert porter_client.permissions_percent("aws", ROLE) == 100  # no AWS endpoint: received is enough
    azure = porter_client.connect_azure(client_id="c", subscription_id="s", tenant_id="t", secret=AZURE_SECRET)
    assert porter_client.permissions_percent("azure", azure) == 100
    assert porter_client.permissions_percent("gcp", azure) == 0  # not a Google credential
    assert porter_client.permissions_percent("gcp", "unknown-id") == 0
    with pytest.raises(ValueError):
        porter_client.permissions_percent("oracle", "x")


CONTRACT = {"cluster": {"projectId": int(PORTER_PROJECT), "kind": "ENUM_KUBERNETES_KIND_EKS",
                        "cloudProvider": "ENUM_CLOUD_PROVIDER_AWS", "cloudProviderCredentialsId": ROLE,
                        "eksKind": {"clusterName": "acme", "region": "us-east-2"}}}


def test_create_cluster_and_follow_it_to_ready(porter_client, porter):
    porter.provision_seconds = 60
    ref = porter_client.create_cluster(CONTRACT)
    assert ref.isdigit() and porter.contracts == [CONTRACT]
    status = porter_client.cluster_status(ref)
    assert (status.phase, status.percent) == ("provisioning", 20)
    assert "Provisioning" in status.message
    porter.provision_seconds = 0
    assert porter_client.cluster_status(ref) == ClusterStatus("ready", "The cluster is provisioned.", 100)
    again = {"cluster": {**CONTRACT["cluster"], "clusterId": int(ref)}}  # an update keeps the cluster
    assert porter_client.create_cluster(again) == ref


def test_a_failed_contract_reports_failed(porter_client, porter):
    ref = porter_client.create_cluster(CONTRACT)
    porter.fail_cluster(ref, "QUOTA_REQUEST_FAILED", "vCPU quota too low in us-east-2")
    status = porter_client.cluster_status(ref)
    assert status.phase == "failed"
    assert "QUOTA_REQUEST_FAILED" in status.message and "vCPU quota" in status.message


def test_an_unknown_cluster_is_not_mistaken_for_a_bad_token(porter_client):
    with pytest.raises(PorterError) as caught:
        porter_client.cluster_status("999")
    assert caught.value.code == "cluster_not_found"


def test_a_body_porter_cannot_parse_as_a_contract(porter_client):
    with pytest.raises(PorterError) as caught:
        porter_client.create_cluster({"clusters": {}})
    assert (caught.value.status, caught.value.code) == (400, "bad_request")
    assert "unable to convert bytes into contract" in caught.value.what


# -- errors --------------------------------------------------------------------------------------
def test_a_bad_token_is_porters_403_forbidden(porter, porter_log):
    login = PorterLogin(porter.url, PORTER_PROJECT, "wrong-token-0000")
    with pytest.raises(PorterError) as caught:
        PorterClient(login, ca_bundle=porter.ca_path).project_name()
    err = caught.value
    assert (err.status, err.code, err.retryable) == (403, "token_rejected", False)
    assert "porter auth login" in err.next_step and "PORTER_TOKEN" in err.next_step
    assert "wrong-token-0000" not in error_text(err)


def test_a_project_the_login_is_not_in(porter):
    login = PorterLogin(porter.url, "7", PORTER_TOKEN)
    with pytest.raises(PorterError) as caught:
        PorterClient(login, ca_bundle=porter.ca_path).project_name()
    err = caught.value
    # Porter's policy middleware answers 500 with the loader's text (api/server/authz/policy.go).
    assert (err.status, err.code, err.retryable) == (500, "project_not_found", False)
    assert "PORTER_PROJECT" in err.next_step and "does not have a role in project 7" in err.what


def test_a_viewer_may_read_but_not_connect(porter_client, porter):
    porter.set_role("viewer")
    assert porter_client.project_name() == "sandbox"
    with pytest.raises(PorterError) as caught:
        porter_client.connect_azure(client_id="c", subscription_id="s", tenant_id="t", secret=AZURE_SECRET)
    err = caught.value
    assert (err.status, err.code) == (403, "forbidden")
    assert "insufficient permissions" in err.what and porter.integrations == []
    assert_no_secret(error_text(err))


def test_missing_fields_read_porters_first_error_object(porter_client, porter):
    # Porter writes two JSON objects in that body (create_azure.go); only the first says why.
    with pytest.raises(PorterError) as caught:
        porter_client.connect_azure(client_id="", subscription_id="s", tenant_id="t", secret=AZURE_SECRET)
    err = caught.value
    assert (err.status, err.code, err.retryable) == (400, "bad_request", False)
    assert "AzureClientID" in err.what and porter.integrations == []
    assert_no_secret(error_text(err))


@pytest.mark.parametrize("status, message, code, retryable", [
    (401, "", "token_rejected", False),
    (403, "Forbidden", "token_rejected", False),
    (404, "", "project_not_found", False),
    (500, "", "unavailable", True),
    (503, "Porter is under maintenance", "unavailable", True),
])
def test_each_status_gives_the_right_error(porter_client, porter, status, message, code, retryable):
    porter.inject("create_gcp", status, message)
    with pytest.raises(PorterError) as caught:
        porter_client.connect_gcp(key_json=GCP_KEY, project_id="acme-prod")
    err = caught.value
    assert (err.status, err.code, err.retryable) == (status, code, retryable)
    assert_no_secret(error_text(err))


@pytest.mark.parametrize("status, retryable", [(502, True), (200, False)])
def test_a_proxys_html_page_is_an_unexpected_answer(porter_client, porter, status, retryable):
    porter.inject("*", status, html="<html><body><h1>502 Bad Gateway</h1></body></html>")
    with pytest.raises(PorterError) as caught:
        porter_client.connect_azure(client_id="c", subscription_id="s", tenant_id="t", secret=AZURE_SECRET)
    err = caught.value
    assert (err.status, err.code, err.retryable) == (status, "unexpected_answer", retryable)
    assert "PORTER_HOST" in err.next_step
    assert_no_secret(error_text(err))


def test_no_answer_is_retryable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    login = PorterLogin(f"https://127.0.0.1:{port}", PORTER_PROJECT, PORTER_TOKEN)
    with pytest.raises(PorterError) as caught:
        PorterClient(login, timeout=5).project_name()
    assert (caught.value.code, caught.value.retryable) == ("unreachable", True)


def test_an_untrusted_certificate_is_not_retried(porter_login, monkeypatch):
    monkeypatch.delenv("PORTER_CA_BUNDLE", raising=False)
    with pytest.raises(PorterError) as caught:
        PorterClient(porter_login, timeout=5).project_name()  # the double's CA is not trusted
    assert (caught.value.code, caught.value.retryable) == ("tls", False)
    assert "PORTER_CA_BUNDLE" in caught.value.next_step


def test_the_ca_bundle_comes_from_porter_ca_bundle(porter_login, porter, monkeypatch):
    monkeypatch.setenv("PORTER_CA_BUNDLE", porter.ca_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", os.devnull)  # must not override ours
    assert PorterClient(porter_login).project_name() == "sandbox"


def test_a_netrc_entry_does_not_replace_the_token(porter_login, porter, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", porter.ca_path)  # no CA of ours: the environment is used
    assert PorterClient(porter_login, ca_bundle="").project_name() == "sandbox"


def test_nothing_secret_reaches_the_log(porter_client, porter, porter_log):
    porter_client.connect_azure(client_id="c", subscription_id="s", tenant_id="t", secret=AZURE_SECRET)
    porter_client.connect_gcp(key_json=GCP_KEY, project_id="acme-prod")
    porter.inject("create_gcp", 500)
    with pytest.raises(PorterError):
        porter_client.connect_gcp(key_json=GCP_KEY, project_id="acme-prod")
    lines = [r.getMessage() for r in porter_log]
    assert len(lines) == 3
    assert_no_secret(*lines)


# -- Porter's AWS access check against the sandbox's AWS front ------------------------------------
def test_aws_access_check_assumes_the_role_through_the_sandbox(aws):
    import boto3

    from wizard.sandbox.porter import PLATFORM_ROLE, PorterDouble

    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": PLATFORM_ROLE}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-id-0001"}}}]}
    boto3.client("iam", region_name="us-east-1").create_role(RoleName="porter-manager",
                                                             AssumeRolePolicyDocument=json.dumps(trust))
    with PorterDouble(token=PORTER_TOKEN, project_id=PORTER_PROJECT, aws_endpoint=aws.endpoint) as double:
        client = PorterClient(PorterLogin(double.url, PORTER_PROJECT, PORTER_TOKEN), ca_bundle=double.ca_path)
        client.connect_aws(ROLE, "wrong-external-id")
        assert client.permissions_percent("aws", ROLE) == 0
        assert client.permissions_percent("aws", ROLE) == 0  # tried again on each poll
        client.connect_aws(ROLE, "ext-id-0001")
        assert client.permissions_percent("aws", ROLE) == 100
        assert double.aws_checks == [(ROLE, False), (ROLE, False), (ROLE, True)]
