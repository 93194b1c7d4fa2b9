"""An existing porter-aks-restricted role that differs from the platform's is changed only after
the user agrees; declining changes nothing."""
from __future__ import annotations

from screens.app import WizardApp
from wizard.azure import access, role, signin
from wizard.azure.cloud import current_cloud

from .pilot_tools import press, settle
from .test_flow_azure import SIZE, azure_state
from .test_flow_azure_faults import until


def differing_role(credential, subscription_id: str) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.models import Permission, RoleDefinition

    from wizard.azure.credentials import mgmt_kwargs

    client = AuthorizationManagementClient(credential, subscription_id, **mgmt_kwargs(current_cloud()))
    check = role.find(client, subscription_id)
    scope = f"/subscriptions/{subscription_id}"
    client.role_definitions.create_or_update(scope, check.role_id.rsplit("/", 1)[-1], RoleDefinition(
        role_name=role.ROLE_NAME, role_type="CustomRole", assignable_scopes=[scope],
        permissions=[Permission(actions=["*"], not_actions=role.NOT_ACTIONS[:1])]))


async def test_a_differing_role_is_updated_only_after_yes(azure, make_ctx):
    admin = signin.device_code_sign_in(current_cloud(), lambda prompt: None)  # the sandbox approves
    signin.remember_admin(admin)
    differing_role(admin.credential, azure.subscription_id)
    state = azure_state("azure.access")
    state.azure.signin_method, state.azure.tenant_id = "device", azure.tenant_id
    state.azure.subscription_id = azure.subscription_id
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "start")
        assert "differs" in str(pilot.app.screen.query_one(".dialog-body").render())
        await press(pilot, "cancel")
        await settle(pilot)
        assert "Nothing changed" in str(pilot.app.screen.query_one("#job-status").render())
        assert access.look_up_role(current_cloud(), admin.credential, azure.subscription_id).differences
        await press(pilot, "start")
        await press(pilot, "confirm")
        await until(pilot, lambda: bool(ctx.state.azure.setup_done_at))
    assert access.look_up_role(current_cloud(), admin.credential, azure.subscription_id).differences == []
