"""Azure's failures as the screens show them: a provider stuck registering, an expired secret,
AuthorizationFailed, throttling with Retry-After. Each becomes what went wrong and what to do."""
from __future__ import annotations

from screens.app import WizardApp

from .azure_states import connected_azure_state
from .pilot_tools import press, settle, shown_buttons, text_of

SIZE = (110, 60)


async def until(pilot, condition, rounds: int = 80) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("the screen never got there")


async def test_a_provider_stuck_registering_is_named_and_retry_finishes(azure, make_ctx, monkeypatch):
    monkeypatch.setattr("screens.azure_providers.AzureProvidersScreen.POLL_SECONDS", 0.05)
    monkeypatch.setattr("screens.azure_providers.AzureProvidersScreen.TIMEOUT_SECONDS", 0.6)
    azure.arm.stuck("Microsoft.ContainerService")
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.providers", ctx.secrets)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "retry" in shown_buttons(pilot))
        assert "Microsoft.ContainerService is still Registering" in text_of(pilot, "#error")
        assert "1 provider(s) did not register" in text_of(pilot, "#providers-status")
        assert pilot.app.screen.query_one("#continue").disabled
        assert "Registered" in text_of(pilot, "#provider-Microsoft-Compute")
        azure.arm.stuck("Microsoft.ContainerService", False)
        await press(pilot, "retry")
        await until(pilot, lambda: not pilot.app.screen.query_one("#continue").disabled)
        assert "All registered" in text_of(pilot, "#providers-status")
    assert ctx.state.azure.providers_registered_at


async def test_an_expired_secret_says_rotate(azure, make_ctx):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.region", ctx.secrets)
    azure.expire_secret(azure.service_principal.client_id)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "expired" in text_of(pilot, "#error"))
        shown = text_of(pilot, "#error")
        assert "The client secret has expired" in shown and "porter-wizard rotate azure" in shown
        assert "Traceback" not in shown


async def test_authorization_failed_says_who_may(azure, make_ctx):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.region", ctx.secrets)
    azure.allow_arm(azure.service_principal.client_id, False)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "denied" in text_of(pilot, "#error"))
        assert "Owner" in text_of(pilot, "#error")


async def test_throttling_says_how_long_azure_asks_to_wait(azure, make_ctx):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.region", ctx.secrets)
    azure.arm.inject("subscriptions.locations", status=429, code="TooManyRequests",
                     message="Rate limit exceeded", times=None, retry_after=1)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "throttling" in text_of(pilot, "#error"))
        assert "Azure asks to wait 1 s" in text_of(pilot, "#error")
    assert azure.arm.requests.count("subscriptions.locations") == 4  # the first try + 3 retries
