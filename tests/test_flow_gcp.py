"""The Google Cloud flow through the screens, against the sandbox's doubles: the key (from the
sandbox's "download", which the wizard then deletes), the five APIs, region, provision checks,
cost, provisioning, the cluster, and teardown with the sweep."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from screens.app import WizardApp
from wizard.state import WizardState

from .pilot_tools import press, settle, shown_buttons, text_of

SIZE = (110, 60)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    for screen in ("screens.gcp_apis.GcpApisScreen", "screens.gcp_provision.GcpProvisionScreen",
                   "screens.gcp_teardown.GcpTeardownScreen"):
        monkeypatch.setattr(f"{screen}.POLL_SECONDS", 0.05)


def gcp_state(step: str, porter_mode: str = "standalone") -> WizardState:
    return WizardState(step=step, project="demo", cloud="gcp", porter_mode=porter_mode)


async def wait_until(pilot, ready, what: str, rounds: int = 150) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if ready():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"{what}: still not there on {pilot.app.screen.STEP}")


async def wait_for_step(pilot, step: str) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.STEP == step, f"waiting for {step}")


async def test_key_to_cluster_and_teardown(sandbox_gcp, make_ctx):
    key_path = Path(os.environ["PORTER_SANDBOX_GCP_KEY"])
    key = json.loads(key_path.read_text())
    ctx = make_ctx(gcp_state("gcp.key", "manual"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.query_one("#key-path").value == str(key_path)  # the sandbox's download
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.apis")
        assert key_path.exists()  # Porter's dashboard uploads that file: not offered for deletion yet
        await wait_until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled, "APIs enabled")
        assert "All five" in text_of(pilot, "#apis-status")
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.handoff")
        await press(pilot, "confirm")  # Porter has the key: now the file may go
        await wait_until(pilot, lambda: "Delete the downloaded key file?" in text_of(pilot, ".dialog-title"), "offer")
        await press(pilot, "confirm")
        await wait_for_step(pilot, "gcp.region")
        assert not key_path.exists()
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#regions").option_count > 10, "regions")
        await pilot.press(*"us-central1", "enter", "enter")
        await wait_for_step(pilot, "gcp.checks")
        await wait_until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled, "checks passed")
        assert "checks passed" in text_of(pilot, "#checks-status")
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.cost")
        await pilot.click("#acknowledge")
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.provision")
        # Porter has the key, so Porter builds the cluster unless told otherwise, after a yes.
        assert "Porter builds your cluster" in text_of(pilot, ".title")
        await press(pilot, "build-here")
        await press(pilot, "confirm")
        await wait_until(pilot, lambda: "start" in shown_buttons(pilot), "the wizard's own provisioning")
        await press(pilot, "start")
        await wait_until(pilot, lambda: "continue" in shown_buttons(pilot), "provisioned")
        assert "Provisioned" in text_of(pilot, "#job-status"), text_of(pilot, "#error")
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.cluster")
        await press(pilot, "teardown")
        await wait_for_step(pilot, "gcp.teardown")
        await press(pilot, "start")
        await press(pilot, "cancel")  # declining first deletes nothing
        assert sandbox_gcp.container.requests.count("delete_cluster") == 0
        await press(pilot, "start")
        await press(pilot, "confirm")
        await wait_until(pilot, lambda: "Deleted" in text_of(pilot, "#job-status")
                         or "deleted" in text_of(pilot, "#job-status"), "torn down")
        leftovers = text_of(pilot, "#leftovers")
        assert "demo-images" in leftovers  # the repository is kept by default, and said so
    gcp = ctx.state.gcp
    assert gcp.client_email == key["client_email"] and gcp.region == "us-central1"
    assert gcp.apis_enabled_at and gcp.checks_passed_at and gcp.provisioned_at and gcp.teardown_status == "done"
    saved = ctx.store.path.read_text()
    assert key["private_key_id"] in saved and "PRIVATE KEY" not in saved
    assert json.loads(ctx.secrets.get(gcp.secret_name)) == key


async def test_keeping_the_key_file_leaves_it_and_says_so_and_a_new_key_asks_first(sandbox_gcp, make_ctx):
    key_path = Path(os.environ["PORTER_SANDBOX_GCP_KEY"])
    ctx = make_ctx(gcp_state("gcp.key", "manual"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.apis")
    ctx.state.step = "gcp.handoff"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "confirm")
        await wait_until(pilot, lambda: "cancel" in shown_buttons(pilot), "the offer to delete the file")
        assert str(pilot.app.screen.query_one("#cancel").label) == "Keep it"
        await press(pilot, "cancel")
        await wait_for_step(pilot, "gcp.region")
        assert key_path.exists() and str(key_path) in pilot.app.exit_notes["gcp-key-file"]
    first = ctx.state.gcp.secret_name
    # Back on the key step with another key of the same account: replacing the stored one asks.
    other = tmp_key = key_path.with_name("second.json")
    tmp_key.write_text(json.dumps(sandbox_gcp.make_key()))
    ctx.state.step = "gcp.key"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "In your keyring" in text_of(pilot, "#stored")
        pilot.app.screen.query_one("#key-path").value = str(other)
        await press(pilot, "continue")
        assert "Replace the stored key?" in text_of(pilot, ".dialog-title")
        await press(pilot, "cancel")
        assert pilot.app.screen.STEP == "gcp.key" and ctx.state.gcp.secret_name == first
        await press(pilot, "continue")
        await press(pilot, "confirm")
        await wait_for_step(pilot, "gcp.apis")
    assert ctx.state.gcp.key_file == str(other)  # the new file, offered for deletion at the hand-off
    assert ctx.state.gcp.secret_name != first and not ctx.secrets.get(first)
    assert first not in ctx.state.secrets and ctx.state.gcp.secret_name in ctx.state.secrets
