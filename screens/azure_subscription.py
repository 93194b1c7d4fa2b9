"""Subscription: which of the subscriptions the signed-in identity can see gets the cluster."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.azure import signin
from wizard.azure.cloud import current_cloud
from wizard.errors import WizardError

from .plain import plain, styled
from .azure_messages import Loaded
from .base import WizardScreen
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel


class AzureSubscriptionScreen(WizardScreen):
    STEP = "azure.subscription"

    def compose_body(self) -> ComposeResult:
        az = self.ctx.state.azure
        yield Static("Which subscription should the cluster go in?", classes="title")
        yield Static(plain(f"Signed in as {az.signed_in_as} (tenant {az.tenant_id}). These are the "
                     "subscriptions it can see; everything Porter creates is billed to the one "
                     "you choose."), classes="lead")
        yield OptionList(id="subscriptions")
        yield Static("Listing subscriptions…", id="subscription-status", classes="field-hint")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#subscriptions").focus()
        self._load()

    @work(thread=True, exclusive=True, group="subscriptions")
    def _load(self) -> None:
        az = self.ctx.state.azure
        try:
            credential = signin.setup_credential(az, self.ctx.secrets)
            found = signin.subscriptions(current_cloud(), credential)
            if not found:
                raise signin.no_subscriptions(az.signed_in_as)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(Loaded(found))

    def on_loaded(self, message: Loaded) -> None:
        az, listing = self.ctx.state.azure, self.query_one("#subscriptions", OptionList)
        self._subs = {s.subscription_id: s for s in message.items}
        for sub in message.items:
            # The name is whatever the subscription's owner typed (`Dev [/] Test`): never markup.
            label = styled(sub.name, "  ", (sub.subscription_id, "dim"))
            if not sub.usable:
                label.append(plain(f"  ({sub.state}: can't be used)"))
            listing.add_option(Option(label, id=sub.subscription_id, disabled=not sub.usable))
        ids = list(self._subs)
        if az.subscription_id and az.subscription_id not in ids:
            self.query_one("#subscription-status", Static).update(
                plain(f"The subscription you typed ({az.subscription_id}) is not one this identity can "
                "see: give it a role there, or pick one below."))
        else:
            self.query_one("#subscription-status", Static).update(
                plain(f"{len(ids)} subscription(s). Enter chooses."))
        listing.highlighted = ids.index(az.subscription_id) if az.subscription_id in ids else 0

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#subscription-status", Static).update("The subscriptions could not be listed.")
        self.query_one(ErrorPanel).show_error(message.error)

    @on(OptionList.OptionSelected, "#subscriptions")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        az = self.ctx.state.azure
        chosen = self._subs[event.option.id]
        if az.subscription_id != chosen.subscription_id:
            # Everything after this step belongs to a subscription: start those afresh.
            az.providers_registered_at = az.role_id = az.region = az.setup_done_at = ""
            az.quota_requests, az.cost_acknowledged_at = {}, ""
        az.subscription_id, az.subscription_name = chosen.subscription_id, chosen.name
        self.wizard.goto("azure.providers")
