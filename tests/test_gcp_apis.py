"""Enabling the five APIs: all at once, each followed to done through Service Usage's operations,
one failure leaving the others to finish, throttling retried, and a stop that stops."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from wizard.errors import WizardError
from wizard.gcp import apis
from wizard.gcp.apis import PORTER_APIS, ApiRow, _operation_failed, api_states, enable_apis

from .gcp_fixtures import api_for

CONTAINER = "container.googleapis.com"


class Recorder:
    """on_row, called from the worker threads: each row with the thread that reported it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[ApiRow] = []
        self.threads: dict[str, set[int]] = {}

    def __call__(self, row: ApiRow) -> None:
        with self.lock:
            self.rows.append(row)
            self.threads.setdefault(row.service, set()).add(threading.get_ident())

    def statuses(self, service: str) -> list[str]:
        return [row.status for row in self.rows if row.service == service]


def _enable(api, recorder: Recorder, **kwargs) -> dict[str, ApiRow]:
    kwargs.setdefault("poll_seconds", 0.05)
    rows = enable_apis(api, recorder, **kwargs)
    assert [row.service for row in rows] == list(PORTER_APIS)  # in the docs' order, whatever finished first
    return {row.service: row for row in rows}


def test_api_states_reads_all_five(gcp, gcp_api):
    assert api_states(gcp_api) == dict.fromkeys(PORTER_APIS, "DISABLED")
    gcp.enable_apis(CONTAINER)
    assert api_states(gcp_api)[CONTAINER] == "ENABLED"
    assert gcp.usage.requests.count("get_service") == 10


def test_all_five_are_enabled_at_once(gcp, gcp_api):
    gcp.set_operation_delay(0.3)
    recorder = Recorder()
    rows = _enable(gcp_api, recorder)
    assert all(row.status == "enabled" and row.error is None for row in rows.values())
    assert set(PORTER_APIS) <= gcp.world.enabled_services
    for service in PORTER_APIS:
        assert recorder.statuses(service) == ["checking", "enabling", "enabled"]
    # Each API in its own thread, and all five were being enabled before the first was done
    # (one after the other, the first would be done before the second started).
    assert len(set().union(*recorder.threads.values())) == 5
    statuses = [row.status for row in recorder.rows]
    assert statuses.index("enabled") > max(i for i, s in enumerate(statuses) if s == "enabling")
    assert gcp.usage.requests.count("enable_service") == 5 and "get_operation" in gcp.usage.requests


def test_an_api_already_on_is_not_enabled_again(gcp, gcp_api):
    gcp.enable_apis()
    rows = _enable(gcp_api, Recorder())
    assert all(row.status == "enabled" and row.detail == "already on" for row in rows.values())
    assert "enable_service" not in gcp.usage.requests


def test_one_refused_enable_leaves_the_other_four_enabled(gcp, gcp_api):
    gcp.set_operation_delay(0.1)
    gcp.usage.inject("enable_service", status=403, code="PERMISSION_DENIED",
                     message="Permission denied to enable service", times=1)
    rows = _enable(gcp_api, Recorder())
    failed = [row for row in rows.values() if row.status == "failed"]
    assert len(failed) == 1  # whichever asked first met the fault
    refused = failed[0]
    assert refused.error is not None and refused.error.title == "Google Cloud denied access"
    assert "Permission denied to enable service" in refused.error.what and refused.title == PORTER_APIS[refused.service]
    others = set(PORTER_APIS) - {refused.service}
    assert others <= gcp.world.enabled_services and refused.service not in gcp.world.enabled_services
    assert all(rows[service].status == "enabled" for service in others)


def test_an_operation_that_fails_says_googles_reason(gcp, gcp_api):
    gcp.set_operation_delay(0.1)
    gcp.usage.fail_enable(CONTAINER)
    rows = _enable(gcp_api, Recorder())
    row = rows[CONTAINER]
    assert row.status == "failed" and "Billing must be enabled" in row.detail
    assert row.error.title == "Google could not enable the Kubernetes Engine API"
    assert "Link a billing account" in row.error.next_step
    assert sum(r.status == "enabled" for r in rows.values()) == 4
    retried = _enable(gcp_api, Recorder())  # Retry: the four are found on, the fifth is enabled now
    assert all(r.status == "enabled" for r in retried.values())
    assert retried[CONTAINER].detail == "enabled now"


def test_throttling_once_is_retried_and_succeeds(gcp, gcp_api):
    gcp.usage.inject("enable_service", status=429, code="RATE_LIMIT_EXCEEDED",
                     message="Quota exceeded for quota metric 'Mutate requests'", times=1)
    rows = _enable(gcp_api, Recorder())
    assert all(row.status == "enabled" for row in rows.values())
    assert gcp.usage.requests.count("enable_service") == 6  # one retried


def test_throttling_that_does_not_stop_ends_as_throttling(gcp, gcp_api):
    gcp.usage.inject("enable_service", status=429, code="RATE_LIMIT_EXCEEDED",
                     message="Quota exceeded for quota metric 'Mutate requests'", times=None)
    rows = _enable(gcp_api, Recorder())
    for row in rows.values():
        assert row.status == "failed" and "throttling" in row.error.title and row.error.retryable
    assert gcp.usage.requests.count("enable_service") == 5 * 4  # each tried, then retried three times
    assert not set(PORTER_APIS) & gcp.world.enabled_services


def test_cancelled_stops_following_the_operations(gcp, gcp_api):
    gcp.set_operation_delay(30)
    started = time.monotonic()
    rows = _enable(gcp_api, Recorder(), cancelled=lambda: True)
    assert time.monotonic() - started < 5
    for row in rows.values():
        assert row.status == "enabling" and "Stopped waiting" in row.detail and row.error is None
    assert "get_operation" not in gcp.usage.requests


def test_cancelled_half_way(gcp, gcp_api):
    gcp.set_operation_delay(30)
    stop = threading.Event()
    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) >= 10:  # after a couple of polls each, the user presses Esc
            stop.set()
        time.sleep(0.01)

    rows = _enable(gcp_api, Recorder(), cancelled=stop.is_set, sleep=sleep)
    assert all(row.status == "enabling" for row in rows.values())
    assert gcp.usage.requests.count("get_operation") >= 5


def test_an_operation_past_the_timeout_fails_and_can_be_retried(gcp, gcp_api):
    gcp.set_operation_delay(30)
    rows = _enable(gcp_api, Recorder(), timeout_s=0.2)
    for row in rows.values():
        assert row.status == "failed" and "taking long" in row.error.title and row.error.retryable


def test_a_limited_account_fails_every_row_with_the_permission(gcp):
    api = api_for(gcp, gcp.make_key(gcp.add_service_account("viewer", {"serviceusage.services.get"})))
    rows = _enable(api, Recorder())
    for row in rows.values():
        assert row.status == "failed" and "serviceusage.services.enable" in row.error.what


# -- word for word: what a user reads on the APIs step, and the defaults -------------------------

COMPUTE = "compute.googleapis.com"
STORAGE = "storage.googleapis.com"  # a real service, not one of the five


def _one(api, service: str = CONTAINER, **kwargs) -> tuple[ApiRow, Recorder]:
    recorder = Recorder()
    kwargs.setdefault("poll_seconds", 0.0)
    [row] = enable_apis(api, recorder, services=(service,), **kwargs)
    return row, recorder


def _words(err) -> tuple:
    return err.title, err.what, err.next_step, err.code, err.retryable


def test_an_enable_that_needs_billing_says_so_word_for_word(gcp, gcp_api):
    gcp.usage.fail_enable(CONTAINER)
    row, recorder = _one(gcp_api)
    what = (f"Billing account for project '{gcp.project_number}' is not found. Billing must be enabled for "
            "activation of service(s) 'container.googleapis.com' to proceed.")
    assert _words(row.error) == (
        "Google could not enable the Kubernetes Engine API", what,
        "Link a billing account to the project (the console's Billing → Link a billing account), then press Retry.",
        "9", False)  # google.rpc.Code FAILED_PRECONDITION
    assert [(r.status, r.detail) for r in recorder.rows] == [("checking", ""), ("enabling", ""), ("failed", what)]


def test_an_enable_that_fails_for_another_reason_points_at_the_library(gcp, gcp_api):
    gcp.usage.fail_enable(CONTAINER, "The service is not available in this project's organization.")
    row, _ = _one(gcp_api)
    assert _words(row.error) == (
        "Google could not enable the Kubernetes Engine API",
        "The service is not available in this project's organization.",
        "Fix what Google names, or enable the Kubernetes Engine API in the console (APIs & Services → Library), "
        "then Retry.", "9", False)
    assert row.status == "failed" and row.detail == row.error.what


@pytest.mark.parametrize("error", [{}, {"message": "  \n"}], ids=["no message", "a blank message"])
def test_an_operation_error_without_a_message_or_code_still_says_something(error):
    err = _operation_failed("Kubernetes Engine API", error)
    assert _words(err) == (
        "Google could not enable the Kubernetes Engine API", "no reason given",
        "Fix what Google names, or enable the Kubernetes Engine API in the console (APIs & Services → Library), "
        "then Retry.", "", False)


def test_the_defaults_poll_every_two_seconds_and_give_up_past_ten_minutes(gcp, gcp_api, monkeypatch):
    gcp.set_operation_delay(3600)
    clock = [1000.0]
    passes = iter([599.9, 0.2, 100.0, 100.0])  # how long each wait takes on the operation's clock
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += next(passes)

    monkeypatch.setattr(apis, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    recorder = Recorder()
    [row] = enable_apis(gcp_api, recorder, sleep=sleep, services=(CONTAINER,))
    assert waits == [2.0, 2.0]  # still waiting at 599.9 s, given up at 600.1 s
    assert gcp.usage.requests.count("get_operation") == 2
    assert _words(row.error) == (
        "The Kubernetes Engine API is taking long to enable",
        "Google has been enabling the Kubernetes Engine API for 10 minutes and is not done yet.",
        "Press Retry in a few minutes: an API that Google finished enabling meanwhile is found on.",
        "Timeout", True)
    assert [(r.status, r.detail) for r in recorder.rows] == [
        ("checking", ""), ("enabling", ""), ("failed", row.error.what)]


def test_a_cancelled_row_says_google_carries_on(gcp, gcp_api):
    gcp.set_operation_delay(30)
    row, _ = _one(gcp_api, cancelled=lambda: True)
    assert (row.status, row.detail, row.error) == ("enabling", "Stopped waiting; Google carries on enabling it.", None)


def test_a_refused_read_and_enable_name_what_the_wizard_was_doing(gcp):
    reader = api_for(gcp, gcp.make_key(gcp.add_service_account("reader", {"serviceusage.services.get"})))
    row, _ = _one(reader, COMPUTE)
    denied = "Permission '{}' denied on resource 'projects/" + gcp.project_id + "' (or it may not exist)."
    assert row.error.what == ("The service account may not enable the Compute Engine API. Google said: "
                              + denied.format("serviceusage.services.enable"))
    assert row.status == "failed" and row.detail == row.error.what
    nobody = api_for(gcp, gcp.make_key(gcp.add_service_account("nobody", set())))
    for service, title in ((COMPUTE, "Compute Engine API"), (STORAGE, STORAGE)):
        with pytest.raises(WizardError) as raised:
            api_states(nobody, (service,))
        assert raised.value.what == (f"The service account may not read whether the {title} is enabled. "
                                     "Google said: " + denied.format("serviceusage.services.get"))


def test_a_refused_poll_names_the_api_being_followed(gcp, gcp_api):
    gcp.set_operation_delay(30)
    gcp.usage.inject("get_operation", status=403, code="PERMISSION_DENIED", message="Not allowed.", times=1)
    row, _ = _one(gcp_api)
    assert row.error.what == ("The service account may not follow the enabling of the Kubernetes Engine API. "
                              "Google said: Not allowed.")


def test_a_service_without_a_state_reads_as_unspecified(gcp, gcp_api, monkeypatch):
    monkeypatch.setattr(gcp.usage, "_service_body", lambda service: {"name": f"projects/1/services/{service}"})
    assert api_states(gcp_api, (CONTAINER,)) == {CONTAINER: "STATE_UNSPECIFIED"}


@pytest.mark.parametrize("run", [lambda api: api_states(api),
                                 lambda api: enable_apis(api, Recorder(), poll_seconds=0.0)],
                         ids=["api_states", "enable_apis"])
def test_one_session_serves_all_five_threads(gcp, gcp_api, credentials_made, run):
    run(gcp_api)
    assert credentials_made == [gcp.account_email]


def test_the_five_states_are_read_at_once(gcp, gcp_api):
    gcp_api.refresh_token()  # signed in before the clock starts
    gcp.usage.latency("get_service", 0.6)
    started = time.monotonic()
    assert api_states(gcp_api) == dict.fromkeys(PORTER_APIS, "DISABLED")
    assert time.monotonic() - started < 2.9  # one after the other, never under 5 × 0.6 s
