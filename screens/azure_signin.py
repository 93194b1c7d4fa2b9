"""Sign in to Azure: an admin with a device code (the wizard then sets everything up), or the
credentials of a service principal made earlier (by the platform's setup script, say)."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from wizard.azure import signin
from wizard.azure.access import typed_secret_expiry
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import store_secret
from wizard.azure.ids import validate_guid
from wizard.browser import can_open_browser, open_page
from wizard.errors import InputError, WizardError
from wizard.secret_store import THIS_RUN_BUTTON

from .plain import plain
from .azure_messages import DeviceCodeShown, SignedIn
from .base import WizardScreen
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel
from .widgets.field import Field


def _secret(text: str) -> str:
    if not text.strip():
        raise InputError("Paste the client secret's Value (shown once, when it was made).")
    if validate_guid_quiet(text):
        raise InputError("That is a GUID: probably the secret's ID. Paste its Value instead.")
    return text.strip()


def validate_guid_quiet(text: str) -> bool:
    try:
        validate_guid(text, "x")
    except InputError:
        return False
    return True


class AzureSigninScreen(WizardScreen):
    STEP = "azure.signin"

    def compose_body(self) -> ComposeResult:
        az = self.ctx.state.azure
        yield Static("Sign in to Azure", classes="title")
        yield Static(
            "Recommended: sign in as an administrator of the subscription (Owner, and able to grant "
            "admin consent in Microsoft Entra ID). The wizard then registers the resource "
            "providers, creates the porter-aks-restricted role and the service principal Porter "
            "uses, and grants its permissions, checking each step. Sign-in uses a code you enter "
            "in any browser, on any device, so it works over SSH too.", classes="lead")
        if self.ctx.sandbox:
            yield Static("Sandbox: a local Entra ID signs its admin in by itself a few seconds after "
                         "the code appears.", classes="field-hint")
        with Horizontal(classes="buttons"):
            yield Button("Sign in with a device code", id="device", variant="primary")
            yield Button("I already have a service principal", id="show-sp")
        with Vertical(id="device-box"):
            yield Static("", id="device-code", classes="callout")
            with Horizontal(classes="buttons"):
                yield Button("Open the page in a browser", id="open-page")
                yield Button("Copy the code", id="copy-code")
        with Vertical(id="sp-box"):
            yield Static("The service principal's details (App registrations → your app → Overview; "
                         "the secret under Certificates & secrets).", classes="field-hint")
            yield Field("Tenant ID (directory)", input_id="tenant",
                        validate=lambda t: validate_guid(t, "tenant ID"), value=az.tenant_id)
            yield Field("Subscription ID", input_id="subscription",
                        validate=lambda t: validate_guid(t, "subscription ID"), value=az.subscription_id)
            yield Field("Client ID (application)", input_id="client",
                        validate=lambda t: validate_guid(t, "client ID"), value=az.client_id)
            yield Field("Client secret", input_id="secret", validate=_secret, password=True,
                        hint="Kept only in your OS keyring, never in a file.")
            yield Button("Check and continue", id="check-sp", variant="primary")
            yield Button(THIS_RUN_BUTTON, id="this-run")
        yield Static("", id="signin-status")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#device-box").display = False
        self.query_one("#sp-box").display = self.ctx.state.azure.signin_method == "secret"
        self.query_one("#open-page").display = False
        self.query_one("#this-run").display = False
        self.query_one("#device").focus()

    # -- device code -------------------------------------------------------------------------
    @on(Button.Pressed, "#device")
    def _device(self) -> None:
        self.query_one("#sp-box").display = False
        self.query_one(ErrorPanel).show_error(None)
        self.query_one("#signin-status", Static).update("Asking Microsoft Entra ID for a code…")
        self._device_sign_in()

    @work(thread=True, exclusive=True, group="signin")
    def _device_sign_in(self) -> None:
        try:
            signed = signin.device_code_sign_in(current_cloud(),
                                                lambda p: self.post_message(DeviceCodeShown(p)))
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(SignedIn(signed))

    def on_device_code_shown(self, message: DeviceCodeShown) -> None:
        self._prompt = message.prompt
        self.query_one("#device-box").display = True
        self.query_one("#device-code", Static).update(
            plain(f"Open  {message.prompt.url}\nand enter the code  {message.prompt.code}\n\n"
            "Sign in there with your Azure account. This screen moves on by itself."))
        self.query_one("#open-page").display = can_open_browser()
        self.query_one("#signin-status", Static).update("Waiting for you to sign in… (Esc to cancel)")

    @on(Button.Pressed, "#open-page")
    def _open(self) -> None:
        open_page(self._prompt.url)

    @on(Button.Pressed, "#copy-code")
    def _copy(self) -> None:
        self.app.copy_to_clipboard(self._prompt.code)
        self.notify("Code copied (if your terminal allows it).")

    # -- an existing service principal ---------------------------------------------------------
    @on(Button.Pressed, "#show-sp")
    def _show_sp(self) -> None:
        self.query_one("#device-box").display = False
        self.query_one("#sp-box").display = True
        self.query_one("#tenant").focus()

    @on(Input.Submitted, "#sp-box Input")
    def _next_field(self, event: Input.Submitted) -> None:
        order = ["tenant", "subscription", "client", "secret"]
        current = order.index(event.input.id)
        if current + 1 < len(order):
            self.query_one(f"#{order[current + 1]}").focus()
        else:
            self._check_sp()

    @on(Button.Pressed, "#check-sp")
    def _check_sp(self) -> None:
        values = {name: self.query_one(f"#{name}-field", Field).check()
                  for name in ("tenant", "subscription", "client", "secret")}
        if None in values.values():
            return
        problem = self.ctx.secrets.problem(cloud="azure")
        if problem:
            self.query_one("#secret-field", Field).set_error(f"{problem.what} {problem.next_step}")
            self.query_one("#this-run").display = True
            return
        self.query_one(ErrorPanel).show_error(None)
        self.query_one("#signin-status", Static).update("Checking the credentials with Entra ID…")
        self._sp_sign_in(values["tenant"], values["client"], values["secret"])

    @on(Button.Pressed, "#this-run")
    def _this_run_only(self) -> None:
        self.ctx.secrets.keep_for_this_run()
        self.query_one("#this-run").display = False
        self.query_one("#secret-field", Field).set_error("")
        self.notify("The client secret is kept in memory for this run only: a relaunch will ask for it again.",
                    timeout=10)
        self._check_sp()

    @work(thread=True, exclusive=True, group="signin")
    def _sp_sign_in(self, tenant: str, client: str, secret: str) -> None:
        cloud = current_cloud()
        try:
            signed = signin.service_principal_sign_in(cloud, tenant, client, secret)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(SignedIn(signed, typed_secret_expiry(cloud, signed.credential, client)))

    # -- either way ------------------------------------------------------------------------------
    def on_signed_in(self, message: SignedIn) -> None:
        az, signed = self.ctx.state.azure, message.signed
        if az.tenant_id and az.tenant_id != signed.tenant_id:
            # Another directory: nothing made in the old one belongs to this one.
            self.ctx.state.azure = type(az)()
            az = self.ctx.state.azure
        az.tenant_id, az.signed_in_as = signed.tenant_id, signed.who
        if self.query_one("#sp-box").display:
            az.signin_method = "secret"
            az.subscription_id = self.query_one("#subscription-field", Field).check() or ""
            if az.client_id and az.client_id != signed.who:
                # Another app: its old secret's reminder no longer concerns this setup.
                self.ctx.state.secrets.pop(az.secret_name, None)
                az.secret_key_id = ""
            az.client_id = signed.who
            secret_input = self.query_one("#secret", Input)
            try:
                store_secret(self.ctx.state, self.ctx.secrets, secret_input.value.strip(), message.expiry)
            except WizardError as err:
                self.query_one(ErrorPanel).show_error(err)
                return
            secret_input.value = ""  # no longer needed on screen
        else:
            az.signin_method = "device"
            signin.remember_admin(signed)
        self.wizard.goto("azure.subscription")

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#device-box").display = False
        self.query_one("#signin-status", Static).update("")
        self.query_one(ErrorPanel).show_error(message.error)
