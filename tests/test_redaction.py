"""Every secret shape the wizard handles is taken out of a log line (issue 18): registered
secrets (Azure client secrets, typed AWS keys), AWS secret access keys by their shape, Google
service-account private keys raw and JSON-escaped, and Google access tokens; and what is not a
secret stays readable, since the log is what support reads."""
from __future__ import annotations

import json
import logging

import pytest

from wizard import redaction
from wizard.redaction import RedactingFormatter, redact, register_secret

AZURE_SECRET = "Lrg8Q~7MNj~AN4x5MWC6U_XC9s59rCzq~LJX6PWJ"  # 40 characters, Entra ID's shape
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
       "VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
       "-----END PRIVATE KEY-----\n")
TOKEN = "ya29.a0AfB_byC-1x2Y3z.4W5v6U7t8S9r0Q_pO-nMlKjIhGfEdCbA"


@pytest.fixture(autouse=True)
def no_secrets_yet(monkeypatch):
    """The registry is the process's: each test starts from an empty one, so a secret some other
    test registered cannot make a case pass."""
    monkeypatch.setattr(redaction, "_secrets", set())


def test_a_registered_secret_is_replaced_and_the_rest_kept():
    register_secret("hunter2-very-secret")
    assert redact("login with hunter2-very-secret failed") == "login with [redacted] failed"


def test_an_azure_client_secret_is_replaced_whole():
    register_secret(AZURE_SECRET)
    line = f"client_secret={AZURE_SECRET}&grant_type=client_credentials"
    assert redact(line) == "client_secret=[redacted]&grant_type=client_credentials"


def test_the_longest_registered_secret_goes_first():
    """A secret that contains a shorter one must not leave its remainder behind."""
    register_secret("secret-core-1234")
    register_secret("a-secret-core-1234-b")  # sorts before the short one: length must decide
    assert redact("x a-secret-core-1234-b y") == "x [redacted] y"
    assert redact("x secret-core-1234 y") == "x [redacted] y"


def test_too_short_or_empty_values_are_not_registered():
    """Three characters would blank out ordinary words all over the log."""
    register_secret("abc")
    register_secret("")
    assert redact("abc is not a secret") == "abc is not a secret"
    register_secret("abcd")
    assert redact("abcd") == "[redacted]"


def test_an_aws_secret_key_is_caught_by_its_shape_alone():
    assert redact(f"key {AWS_SECRET} end") == "key [redacted] end"
    assert redact(f"{AWS_SECRET}") == "[redacted]"
    # 39 or 41 characters, or part of a longer run, is not that shape: left alone.
    assert redact(f"key {AWS_SECRET[:-1]} end") == f"key {AWS_SECRET[:-1]} end"
    assert redact(f"key {AWS_SECRET}Z end") == f"key {AWS_SECRET}Z end"


@pytest.mark.parametrize("form", ["raw", "json"])
def test_a_private_key_goes_whole_raw_or_json_escaped(form):
    if form == "raw":
        assert redact(f"before {PEM} after") == "before [redacted private key]\n after"
    else:  # as a key file's JSON (or a request body) shows it: newlines escaped
        text = json.dumps({"private_key": PEM, "client_email": "a@b.iam.gserviceaccount.com"})
        assert redact(text) == ('{"private_key": "[redacted private key]\\n", '
                                '"client_email": "a@b.iam.gserviceaccount.com"}')


def test_a_private_key_cut_off_mid_way_goes_to_the_end_of_the_line():
    """A log line can end inside the key (a truncated message): nothing of it may stay."""
    out = redact("saw -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7 and then nothing")
    assert out == "saw [redacted private key]"


def test_two_private_keys_are_both_replaced_and_what_is_between_stays():
    out = redact(f"{PEM} middle {PEM}")
    assert out.count("[redacted private key]") == 2 and "middle" in out


def test_a_google_access_token_keeps_only_its_prefix():
    assert redact(f"Authorization: Bearer {TOKEN} sent") == "Authorization: Bearer ya29.[redacted] sent"


def test_ordinary_log_lines_are_untouched():
    line = ("step aws.provision: created vpc-0a1b2c3d in eu-west-1 (arn:aws:iam::123456789012:role/"
            "PorterRole) for project acme-prod")
    assert redact(line) == line


def test_the_log_formatter_redacts_what_it_writes():
    register_secret("formatter-secret-value")
    record = logging.LogRecord("wizard", logging.INFO, __file__, 1, "sent %s with %s",
                               ("formatter-secret-value", TOKEN), None)
    written = RedactingFormatter("%(message)s").format(record)
    assert written == "sent [redacted] with ya29.[redacted]"
