"""Azure pieces that need no double: GUID fields, the cloud's endpoints, error wording."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.azure.cloud import current_cloud
from wizard.azure.errors import translate
from wizard.azure.ids import validate_guid
from wizard.errors import InputError


def test_guid_forms_people_paste():
    canonical = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert validate_guid(canonical.upper(), "tenant ID") == canonical
    assert validate_guid("{" + canonical + "}", "tenant ID") == canonical
    assert validate_guid(canonical.replace("-", ""), "tenant ID") == canonical


@pytest.mark.parametrize("typed,message", [
    ("", "Enter the tenant ID"), ("contoso.onmicrosoft.com", "domain or e-mail"),
    ("72f988bf-86f1-41af-91ab", "32 hexadecimal digits"),
])
def test_guid_errors_are_specific(typed, message):
    with pytest.raises(InputError, match=message):
        validate_guid(typed, "tenant ID")


@given(st.text(max_size=60))
def test_guid_field_never_crashes(text):
    try:
        assert len(validate_guid(text, "client ID")) == 36
    except InputError as err:
        assert err.what


def test_sovereign_cloud_and_overrides(monkeypatch):
    monkeypatch.setenv("AZURE_CLOUD", "AzureUSGovernment")
    for name in ("AZURE_AUTHORITY_HOST", "PORTER_AZURE_ARM_URL", "PORTER_AZURE_GRAPH_URL"):
        monkeypatch.delenv(name, raising=False)
    gov = current_cloud()
    assert gov.arm == "https://management.usgovcloudapi.net" and not gov.is_custom
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://127.0.0.1:8443/")
    monkeypatch.setenv("PORTER_AZURE_ARM_URL", "https://127.0.0.1:8444")
    local = current_cloud()
    assert local.authority == "https://127.0.0.1:8443" and local.is_custom
    assert local.arm_scope == "https://127.0.0.1:8444/.default"


def test_expired_secret_is_named_with_the_fix():
    from azure.core.exceptions import ClientAuthenticationError

    err = translate(ClientAuthenticationError(
        "AADSTS7000222: The provided client secret keys for app 'x' are expired."), "sign in")
    assert err.title == "The client secret has expired" and "rotate azure" in err.next_step
