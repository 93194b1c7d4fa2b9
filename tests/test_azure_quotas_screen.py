"""The Azure quota screen's texts and increase requests (issue 18): each row and the reasons under
the table word for word while an increase is asked, pending, approved or denied; the portal links
and exit note word for word; what the saved progress keeps; a request from before a relaunch
followed, not asked again; and Check again."""
from __future__ import annotations

import pytest
from textual.widgets import Button, LoadingIndicator, Static

from screens.app import WizardApp
from wizard.azure import quotas as q
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential

from .azure_states import connected_azure_state, register_providers
from .guard_tools import SIZE, continue_button, record_text, saved, until
from .pilot_tools import settle, text_of, wait_for_text

CORES, FAMILY = "cores", "standardBasv2Family"
TOTAL, BASV2 = "Total Regional vCPUs", "Standard Basv2 Family vCPUs"
WAITS = "Provisioning waits until both quotas have room:"
DENIED = ("Azure did not approve the increase (The quota increase request could not be approved: {} in "
          "westeurope cannot be raised to 40 at this time. Create a support request (Help + support → "
          "Service and subscription limits (quotas)) to ask again.)")


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr("screens.azure_quotas.AzureQuotasScreen.POLL_SECONDS", 0.05)


def quotas_ctx(azure, make_ctx, *, auto: bool = True, room: tuple[str, ...] = ()):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.quotas", ctx.secrets)
    ctx.state.azure.quota_auto = auto
    register_providers(azure, ctx.secrets, ctx.state)
    for key in room:  # the others keep a new subscription's 10: short by 10 of the 20 needed
        azure.set_vcpu_quota("westeurope", key, 100)
    return ctx


def portal_url(azure, key: str) -> str:
    return ("https://portal.azure.com/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView/Parameters/"
            f"%7B%22subscriptionId%22%3A%22{azure.subscription_id}%22%2C%22command%22%3A%22openQuotaApprovalBlade"
            "%22%2C%22quotas%22%3A%5B%7B%22location%22%3A%22westeurope%22%2C%22providerId%22%3A%22Microsoft.Compute"
            f"%22%2C%22resourceName%22%3A%22{key}%22%2C%22quotaRequest%22%3A%7B%22properties%22%3A%7B%22limit"
            f"%22%3A40%2C%22unit%22%3A%22Count%22%2C%22name%22%3A%7B%22value%22%3A%22{key}%22%7D%7D%7D%7D%5D%7D")


def ask_azure(ctx, key: str) -> str:
    """An increase requested outside this run of the wizard (before a relaunch); its request ID."""
    az, cloud = ctx.state.azure, current_cloud()
    client = q.client(cloud, porter_credential(az, ctx.secrets, cloud), az.subscription_id)
    need = q.VcpuNeed(key, q.LABELS[key], 20)
    return q.request_increase(client, az.subscription_id, az.region, q.VcpuCheck(need)).request_id


def decide_now(azure, *, deny: bool = False) -> None:
    """Azure decides every open request on its next call."""
    with azure.arm.lock:
        for request in azure.arm.quota_requests.values():
            request.delay, request.deny = 0.0, deny


def row(key: str) -> str:
    return f"#quota-{key} .quota-result"


def record_row(pilot, key: str) -> list[tuple[str, str, bool]]:
    """Every answer a row shows, in order: (text, its colour, whether the spinner turns)."""
    found = pilot.app.screen.query_one(f"#quota-{key}")
    result, spinner, shown = found.query_one(".quota-result", Static), found.query_one(LoadingIndicator), []
    update = result.update

    def recording(content="") -> None:
        shown.append((str(content), str(getattr(content, "style", "")), spinner.visible))
        update(content)
    result.update = recording
    return shown


def both_links(pilot, azure) -> list[str]:
    """The portal-links box with both quotas short, word for word: in the plan's order, as the
    reasons list them, whichever check answered first; the link is for the first one listed."""
    box = text_of(pilot, "#manual-links").split("\n")
    assert box == ["Request these in the Azure portal (Subscription → Usage + quotas, filter Compute and "
                   "westeurope), then press Check again:",
                   f"{TOTAL}: ask for 40", f"{BASV2}: ask for 40", portal_url(azure, CORES)]
    return box


def press_check_again(pilot) -> None:
    pilot.app.screen.query_one("#recheck", Button).press()


async def test_asking_by_hand_shows_each_short_quota_with_the_portal_link_word_for_word(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx, auto=False)
    azure.arm.latency("usages.get", 0.5)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "azure.quotas", "the screen")
        links = pilot.app.screen.query_one("#manual-links", Static)
        assert not links.display and text_of(pilot, "#why") == "Checking…"  # no empty box while checking
        assert "field-hint" in links.classes
        said = record_text(pilot, "#why")
        await settle(pilot)
        assert said[0] == "Checking 1 more quota(s)…"
        assert text_of(pilot, "#why").split("\n") == [
            WAITS, f"  • {TOTAL}: short by 10, request an increase with the link below",
            f"  • {BASV2}: short by 10, request an increase with the link below"]
        assert [text_of(pilot, row(k)) for k in (CORES, FAMILY)] == ["✗ short by 10", "✗ short by 10"]
        assert links.display and continue_button(pilot).disabled
        box = both_links(pilot, azure)
        assert app.exit_notes["quota-links"] == "Quota increases to request:\n" + "\n".join(box[1:])
        assert pilot.app.screen.query_one("#auto").value is False
    assert "quota.put" not in azure.arm.requests


async def test_only_the_short_quota_is_listed_when_the_other_has_room(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx, auto=False, room=(CORES,))
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#why") == f"{WAITS}\n  • {BASV2}: short by 10, request an increase with the link below"
        assert [text_of(pilot, row(k)) for k in (CORES, FAMILY)] == ["✓ enough", "✗ short by 10"]
        assert text_of(pilot, "#manual-links").split("\n")[1:] == [f"{BASV2}: ask for 40", portal_url(azure, FAMILY)]
        assert app.exit_notes["quota-links"] == f"Quota increases to request:\n{BASV2}: ask for 40\n" \
                                               f"{portal_url(azure, FAMILY)}"
        azure.set_vcpu_quota("westeurope", FAMILY, 100)
        press_check_again(pilot)
        await wait_for_text(pilot, "#why", "✓ Both quotas have room for the cluster.", timeout=5)
        assert not pilot.app.screen.query_one("#manual-links").display  # no link when nothing is short
        assert not continue_button(pilot).disabled
        await until(pilot, lambda: continue_button(pilot).has_focus, "Continue focused")  # (focus() is deferred)


async def test_an_increase_asked_followed_and_approved_word_for_word(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx)
    azure.set_quota_approval(3600)
    azure.arm.latency("usages.get", 0.3)  # no answer before the recorders are in place
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "azure.quotas", "the screen")
        screen = pilot.app.screen
        # What the screen says it does, and the buttons its texts name.
        assert str(screen.query_one(".title", Static).render()) == "Check the subscription's vCPU quotas in westeurope"
        assert str(screen.query_one(".lead", Static).render()) == (
            "Azure caps how many vCPUs a subscription may run in a region, in total and per VM family. The "
            "cluster's nodes need the numbers below; Porter recommends 40 of each so the cluster can grow.")
        auto = screen.query_one("#auto")
        assert (str(auto.label), auto.value) == ("Request increases to 40 automatically (recommended)", True)
        assert [str(b.label) for b in screen.query(".buttons Button")] == ["Check again", "Continue"]
        assert continue_button(pilot).variant == "primary"
        assert len(screen.query("#quota-table QuotaRow")) == 2
        why, rows = record_text(pilot, "#why"), {k: record_row(pilot, k) for k in (CORES, FAMILY)}
        await until(pilot, lambda: all(len(shown) >= 3 for shown in rows.values()), "both requests followed")
        assert saved(ctx, "azure")["quota_requests"] == ctx.state.azure.quota_requests
        assert set(ctx.state.azure.quota_requests) == {CORES, FAMILY}
        assert {i.upper() for i in ctx.state.azure.quota_requests.values()} == set(azure.arm.quota_requests)
        for k in (CORES, FAMILY):
            assert rows[k][:3] == [("✗ short by 10", "red", False), ("… increase requested: Accepted", "yellow", True),
                                   ("… increase requested: InProgress", "yellow", True)]
        assert f"{WAITS}\n  • {TOTAL}: short by 10, requesting an increase\n" \
               f"  • {BASV2}: short by 10, requesting an increase" in why
        assert text_of(pilot, "#why") == f"{WAITS}\n  • {TOTAL}: short by 10, increase requested (InProgress)\n" \
                                         f"  • {BASV2}: short by 10, increase requested (InProgress)"
        assert not pilot.app.screen.query_one("#manual-links").display and continue_button(pilot).disabled

        decide_now(azure)
        await wait_for_text(pilot, "#why", "✓ Both quotas have room for the cluster.", timeout=5)
        for k in (CORES, FAMILY):
            answers = [shown for shown in rows[k] if "InProgress" not in shown[0]]
            assert answers[-3:] == [("✓ increase approved; re-checking", "green", True), ("checking…", "", True),
                                    ("✓ enough", "green", False)]
        assert any(f"  • {TOTAL}: short by 10, increase approved, re-checking" in said.split("\n") for said in why)
        assert not continue_button(pilot).disabled
        await until(pilot, lambda: continue_button(pilot).has_focus, "Continue focused")  # (focus() is deferred)
    assert ctx.state.azure.quota_requests == {} and saved(ctx, "azure")["quota_requests"] == {}
    assert azure.arm.requests.count("quota.put") == 2


async def test_a_denied_increase_says_azures_reason_and_is_not_asked_again(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx)
    azure.set_quota_approval(0, deny=True)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: pilot.app.screen.STEP == "azure.quotas", "the screen")
        rows = {k: record_row(pilot, k) for k in (CORES, FAMILY)}
        await until(pilot, lambda: text_of(pilot, "#why").count("did not approve") == 2, "both denied")
        await settle(pilot)
        assert text_of(pilot, "#why").split("\n") == [
            WAITS, f"  • {TOTAL}: short by 10, {DENIED.format(TOTAL)}",
            f"  • {BASV2}: short by 10, {DENIED.format(BASV2)}"]
        for k in (CORES, FAMILY):  # a denial changes nothing in Azure: no re-check, the row keeps it
            assert rows[k][-1] == ("✗ increase failed", "red", False)
        box = both_links(pilot, azure)
        assert app.exit_notes["quota-links"] == "Quota increases to request:\n" + "\n".join(box[1:])
        assert continue_button(pilot).disabled
    assert ctx.state.azure.quota_requests == {} and saved(ctx, "azure")["quota_requests"] == {}
    assert azure.arm.requests.count("quota.put") == 2


@pytest.mark.parametrize("auto", [True, False])
async def test_a_request_from_before_a_relaunch_is_followed_not_asked_again(azure, make_ctx, auto):
    ctx = quotas_ctx(azure, make_ctx, auto=auto)
    azure.set_quota_approval(3600)
    earlier = ask_azure(ctx, CORES)
    ctx.state.azure.quota_requests = {CORES: earlier}
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", f"{TOTAL}: short by 10, increase requested (InProgress)", timeout=5)
        await pilot.pause(0.3)
        family = "increase requested (InProgress)" if auto else "request an increase with the link below"
        assert text_of(pilot, "#why") == f"{WAITS}\n  • {TOTAL}: short by 10, increase requested (InProgress)\n" \
                                         f"  • {BASV2}: short by 10, {family}"
        assert text_of(pilot, row(CORES)) == "… increase requested: InProgress"
        assert ctx.state.azure.quota_requests[CORES] == earlier
    # The earlier request and, only when asked to, the family's.
    assert azure.arm.requests.count("quota.put") == (2 if auto else 1)


async def test_a_request_that_cannot_be_followed_is_dropped_and_check_again_asks_anew(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx, room=(FAMILY,))
    azure.set_quota_approval(3600)
    ctx.state.azure.quota_requests = {CORES: ask_azure(ctx, CORES)}
    azure.arm.inject("quota.status", status=403, code="AuthorizationFailed", message="no read", times=1)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "#why", f"{TOTAL}: short by 10, the increase request failed: ", timeout=5)
        await until(pilot, lambda: ctx.state.azure.quota_requests == {}, "the request dropped")
        assert saved(ctx, "azure")["quota_requests"] == {}
        await settle(pilot)  # (the checks after the follower stopped)
        assert pilot.app.screen.query_one("#manual-links").display and continue_button(pilot).disabled
        assert azure.arm.requests.count("quota.put") == 1  # not asked again by itself
        press_check_again(pilot)  # the failure is forgotten: now the wizard asks
        await wait_for_text(pilot, "#why", f"{TOTAL}: short by 10, increase requested (", timeout=5)
        await until(pilot, lambda: CORES in ctx.state.azure.quota_requests, "the new request kept")
        assert azure.arm.requests.count("quota.put") == 2


async def a_slow_poll_under_way(pilot, azure) -> int:
    """Once an increase is being followed, its next status poll answers only after a second:
    returns how many polls had been made before that one."""
    await wait_for_text(pilot, "#why", "increase requested (InProgress)", timeout=5)
    azure.arm.latency("quota.status", 1.0)
    polls = azure.arm.requests.count("quota.status")
    await until(pilot, lambda: azure.arm.requests.count("quota.status") == polls + 1, "a slow poll under way")
    return polls


async def test_a_late_answer_for_a_quota_raised_meanwhile_keeps_its_tick(azure, make_ctx):
    """Check again replaces the follower; the one it replaces may still be inside a call, and
    report a request for a quota that (raised in the portal meanwhile) now has room."""
    ctx = quotas_ctx(azure, make_ctx, room=(FAMILY,))
    azure.set_quota_approval(3600)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await a_slow_poll_under_way(pilot, azure)
        azure.set_vcpu_quota("westeurope", CORES, 100)
        shown = record_row(pilot, FAMILY)
        press_check_again(pilot)
        await wait_for_text(pilot, "#why", "✓ Both quotas have room for the cluster.", timeout=5)
        await pilot.pause(1.2)  # the late answer is in
        assert [text_of(pilot, row(k)) for k in (CORES, FAMILY)] == ["✓ enough", "✓ enough"]
        assert shown[0] == ("checking…", "", True)  # every row is checked again, not only the first
        assert not continue_button(pilot).disabled


async def test_an_answer_that_arrives_twice_after_check_again_is_taken_once(azure, make_ctx):
    ctx = quotas_ctx(azure, make_ctx, room=(FAMILY,))
    azure.set_quota_approval(3600)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        polls = await a_slow_poll_under_way(pilot, azure)
        press_check_again(pilot)
        await until(pilot, lambda: azure.arm.requests.count("quota.status") == polls + 2,
                    "the second follower asking while the first still waits for its answer")
        decide_now(azure)  # both followers now get Succeeded
        await wait_for_text(pilot, "#why", "✓ Both quotas have room for the cluster.", timeout=5)
        await pilot.pause(1.2)
        assert not continue_button(pilot).disabled
    assert ctx.state.azure.quota_requests == {}
