"""Secrets go to a real keyring or nowhere: never to a file (issue 18). Every kind of keyring we
refuse (fail, null, keyrings.alt's file backends, a chain of those) stores nothing and reads
nothing; "Keep it for this run only" keeps the secret in this process's memory; and every secret
that passes through the store is redacted from log lines."""
from __future__ import annotations

import keyring.core
import pytest
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringLocked, PasswordSetError

from wizard import redaction
from wizard.errors import KeyringUnavailable
from wizard.redaction import redact
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.secret_store import SERVICE, THIS_RUN_BUTTON, SecretStore

NO_KEYRING = ("The wizard stores secrets only in your OS keyring, and no OS keyring backend is "
              "available on this machine.")
RECIPE = "On a desktop, unlock your login keyring (GNOME Keyring, KWallet, macOS Keychain)."


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    """Each test starts with an empty redaction registry (a secret another test registered must
    not make a redaction case pass) and with no usable default keyring: a store that ignored the
    backend it was given would reach this one and fail, and no test touches the machine's keyring."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())


class _Holding(MemoryKeyring):
    """Keeps what it is given in memory, so a test can see that nothing reached it. Negative
    priority: keyring never picks it (or a subclass) as the default or chains it by itself."""

    priority = -1  # type: ignore[assignment]


def _pretending(module: str, name: str = "PlaintextKeyring") -> _Holding:
    """A holding keyring that claims to be the backend defined in `module`."""
    return type(name, (_Holding,), {"__module__": module})()


def _chain(*children) -> ChainerBackend:
    return type("ChainerBackend", (ChainerBackend,),
                {"__module__": "keyring.backends.chainer", "backends": list(children)})()


def _stored(backend) -> dict:
    """Everything a holding keyring (or every holding child of a chain) was given."""
    found = dict(getattr(backend, "_items", {}))
    for child in getattr(backend, "backends", []):
        found.update(_stored(child))
    return found


def _file_kinds():
    return [_pretending("keyrings.alt.file"), _pretending("keyrings.alt.Gnome", "Keyring"),
            _pretending("keyrings.alt.pyfs", "PlaintextKeyring")]


NO_BACKEND = [
    pytest.param(fail.Keyring(), id="fail"),
    pytest.param(null.Keyring(), id="null"),
    pytest.param(_pretending("keyring.backends.null"), id="null-that-would-keep"),
    pytest.param(_pretending("keyring.backends.fail"), id="fail-that-would-keep"),
    pytest.param(_chain(*_file_kinds()), id="chain-of-files"),
    pytest.param(_chain(null.Keyring(), _pretending("keyrings.alt.file")), id="chain-of-null-and-file"),
    pytest.param(_chain(_chain(_pretending("keyrings.alt.pyfs"))), id="chain-of-a-chain"),
    pytest.param(_chain(), id="empty-chain"),
]


def test_stores_in_the_keyring():
    backend = MemoryKeyring()
    store = SecretStore(backend)
    assert store.problem() is None
    store.put("aws-secret-access-key", "s3cr3t-value-123")
    assert backend.get_password(SERVICE, "aws-secret-access-key") == "s3cr3t-value-123"
    assert store.get("aws-secret-access-key") == "s3cr3t-value-123"
    store.delete("aws-secret-access-key")
    store.delete("aws-secret-access-key")  # deleting what is gone is fine
    assert store.get("aws-secret-access-key") is None


def test_without_a_backend_the_default_keyring_is_used(monkeypatch):
    default = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", default)
    SecretStore().put("x", "kept-by-the-default")
    assert default.get_password(SERVICE, "x") == "kept-by-the-default"


@pytest.mark.parametrize("backend", NO_BACKEND)
def test_no_keyring_means_nothing_is_stored_and_says_how_to_fix(backend):
    store = SecretStore(backend)
    problem = store.problem()
    assert isinstance(problem, KeyringUnavailable)
    assert problem.title == "No keyring to keep your secret in"
    assert problem.what == NO_KEYRING
    with pytest.raises(KeyringUnavailable) as refused:
        store.put("aws-secret-access-key", "never-written")
    assert refused.value.what == NO_KEYRING
    assert _stored(backend) == {}


@pytest.mark.parametrize("backend", _file_kinds(), ids=["file", "Gnome", "pyfs"])
def test_plaintext_file_keyrings_count_as_no_keyring(backend):
    store = SecretStore(backend)
    assert store.problem().what == (f"The wizard stores secrets only in your OS keyring, and the only "
                                    f"keyring available ({type(backend).__name__}) keeps secrets in a "
                                    "plain file.")
    with pytest.raises(KeyringUnavailable):
        store.put("azure-client-secret/app", "never-in-a-file")
    assert _stored(backend) == {}


@pytest.mark.parametrize("backend", [_pretending("keyrings.alt.file"),
                                     _chain(_pretending("keyrings.alt.pyfs"))], ids=["file", "chain"])
def test_a_secret_in_a_plain_file_keyring_is_not_read(backend):
    """What some other program left in a plain-file keyring is not taken as ours."""
    target = backend.backends[0] if isinstance(backend, ChainerBackend) else backend
    target.set_password(SERVICE, "x", "found-in-a-file")
    assert SecretStore(backend).get("x") is None
    assert redact("found-in-a-file") == "found-in-a-file"


def test_a_chain_with_one_real_keyring_is_usable():
    real = _Holding()
    chain = _chain(real, _pretending("keyrings.alt.file"), fail.Keyring())
    store = SecretStore(chain)
    assert store.problem() is None
    store.put("x", "kept-in-the-real-one")
    assert real.get_password(SERVICE, "x") == "kept-in-the-real-one"
    assert store.get("x") == "kept-in-the-real-one"


@pytest.mark.parametrize("cloud, ending", [
    ("aws", ", or use an AWS profile instead of typing keys: then nothing needs storing."),
    ("azure", f", then try again; or press {THIS_RUN_BUTTON}: the wizard keeps the client secret in "
              "memory until it quits (never in a file), and a relaunch asks for it again."),
    ("gcp", f", then try again; or press {THIS_RUN_BUTTON}: the wizard keeps the service-account key "
            "in memory until it quits (never in a file), and a relaunch asks for it again."),
    ("", "`gnome-keyring-daemon --unlock`), then try again."),
])
def test_the_advice_fits_the_cloud(cloud, ending):
    advice = SecretStore(fail.Keyring()).problem(cloud=cloud).next_step
    assert advice.startswith(RECIPE) and advice.endswith(ending)


def test_the_advice_without_a_cloud_offers_no_cloud_s_way_out():
    advice = SecretStore(fail.Keyring()).problem().next_step
    assert advice.endswith(", then try again.") and THIS_RUN_BUTTON not in advice and "AWS" not in advice


class _Refusing(_Holding):
    """A keyring that is there but locked: it refuses to store and to read."""

    def set_password(self, service, username, password):
        raise PasswordSetError("locked")

    def get_password(self, service, username):
        raise KeyringLocked("locked")


def test_a_refusing_keyring_is_reported_without_the_secret():
    store = SecretStore(_Refusing())
    with pytest.raises(KeyringUnavailable) as refused:
        store.put("aws-secret-access-key", "refused-secret-value")
    error = refused.value
    assert (error.title, error.what, error.next_step) == (
        "The keyring refused the secret", "Storing aws-secret-access-key failed: PasswordSetError.",
        "Unlock your keyring and try again.")
    assert "refused-secret-value" not in str(error)
    assert store.get("aws-secret-access-key") is None  # a locked keyring reads as "not there"


def test_stored_secrets_are_redacted_from_log_lines():
    SecretStore(MemoryKeyring()).put("x", "hunter2-very-secret")
    assert redact("login with hunter2-very-secret failed") == "login with [redacted] failed"
    assert redact("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end") == "key [redacted] end"


def test_a_secret_read_back_from_the_keyring_is_redacted_too():
    """A secret an earlier run stored, read in this run, must not reach this run's log."""
    backend = MemoryKeyring()
    backend.set_password(SERVICE, "x", "from-an-earlier-run")
    assert SecretStore(backend).get("x") == "from-an-earlier-run"
    assert redact("using from-an-earlier-run") == "using [redacted]"


@pytest.mark.parametrize("make", [
    lambda backend: SecretStore.for_this_run(backend),
    lambda backend: SecretStore(backend, session_only=True),
], ids=["for_this_run", "session_only"])
@pytest.mark.parametrize("kind", [fail.Keyring, lambda: _pretending("keyrings.alt.file"), _Holding],
                         ids=["fail", "file", "real"])
def test_kept_for_this_run_is_memory_only(make, kind):
    backend = kind()
    store = make(backend)
    assert store.session_only and store.problem(cloud="azure") is None
    store.put("azure-client-secret/app", "kept-for-this-run")
    assert store.get("azure-client-secret/app") == "kept-for-this-run"
    assert _stored(backend) == {}  # even a real keyring is left alone: the user chose memory
    assert redact("secret kept-for-this-run") == "secret [redacted]"
    store.delete("azure-client-secret/app")
    assert store.get("azure-client-secret/app") is None
    assert SecretStore(backend, session_only=False).get("azure-client-secret/app") is None


def test_pressing_keep_it_for_this_run_switches_the_store_everyone_holds():
    backend = _pretending("keyrings.alt.file")
    store = SecretStore(backend)
    assert store.problem(cloud="gcp") is not None and not store.session_only
    store.keep_for_this_run()
    assert store.problem(cloud="gcp") is None
    store.put("gcp-service-account-key/sa/k1", "key-json-for-this-run")
    assert store.get("gcp-service-account-key/sa/k1") == "key-json-for-this-run"
    assert _stored(backend) == {}


def test_a_run_only_store_still_forgets_what_a_real_keyring_kept():
    """Deleting a secret also deletes the copy an earlier run stored in the keyring, when there is
    one: "delete" means the secret is gone, wherever it was."""
    backend = _Holding()
    backend.set_password(SERVICE, "azure-client-secret/old", "old-secret-in-keyring")
    store = SecretStore.for_this_run(backend)
    assert store.get("azure-client-secret/old") == "old-secret-in-keyring"
    store.delete("azure-client-secret/old")
    assert _stored(backend) == {}


def test_deleting_also_clears_a_plain_file_keyring():
    """A secret that is somehow in a plain-file keyring is removed from it: less left on disk."""
    backend = _pretending("keyrings.alt.file")
    backend.set_password(SERVICE, "x", "left-in-a-file")
    SecretStore(backend).delete("x")
    assert _stored(backend) == {}


@pytest.mark.parametrize("what, give_again", [("client secret", "press Rotate the secret."),
                                               ("service-account key", "go back to Key.")])
def test_a_missing_secret_says_where_it_went(what, give_again):
    store = SecretStore(MemoryKeyring())
    store.kept_by_an_earlier_run.add("kept")
    earlier = store.missing("kept", what, give_again)
    assert (earlier.title, earlier.what, earlier.next_step) == (
        f"The {what} was kept for one run only",
        f"An earlier run kept the {what} in memory only (there was no keyring), so it ended with that run.",
        f"Give it again: {give_again}")
    gone = store.missing("other", what, give_again)
    assert (gone.title, gone.what, gone.next_step) == (
        f"The {what} is not in the keyring",
        f"The wizard keeps the {what} only in your OS keyring, and it is not there (another machine, a "
        "cleared keyring, or a sandbox session that has ended).",
        give_again)
