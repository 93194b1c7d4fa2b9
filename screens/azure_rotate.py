"""Rotate the Azure client secret: which secret expires when, Rotate now, each step as it goes,
then Porter gets the new secret, and only then does the old one go.

An aside, not a step of the flow: opened over whichever screen offered it (the welcome screen's
reminder) and closed back onto it. The work happens in wizard/azure/rotation.py, in thread
workers; this screen only draws it. The order there keeps a working secret at every moment, for
the wizard and for Porter, so a failure here always ends with secrets that work, and the screen
says which.

After the new secret is stored: on the API path the worker sends it to Porter itself (a failure
offers Retry or doing it by hand); by hand, a card shows what Porter's dashboard needs, the
secret masked until asked for, and the old secret is removed only when the person says Porter
has the new one. Opened again while a rotation waits for Porter, the screen starts there.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from wizard import handoff
from wizard.azure.cloud import current_cloud
from wizard.azure.rotation import (STEPS, NewSecretForPorter, RotationRun, admin_sign_in, current_secret,
                                   finish_rotation, rotate)
from wizard.azure.rotation_common import parse, valid_until, validity
from wizard.browser import can_open_browser, open_page
from wizard.errors import KeyringUnavailable, WizardError
from wizard.secret_store import THIS_RUN_BUTTON

from .plain import plain
from .base import WizardScreen
from .messages import RunFinished, RunStopped, StepChanged
from .rotate_cli import porter_api_hand_off
from .widgets.error_panel import ErrorPanel
from .widgets.handoff_card import HandoffCard
from .widgets.step_list import StepList
from .worker_tools import cancelled, interruptible_sleep, run_and_report

LEAD = ("Azure expires client secrets (after 365 days for the ones this wizard makes); once this "
        "one has expired, Porter can no longer manage your infrastructure. Rotating adds a new "
        "secret to the app registration, checks that it works, keeps it in your keyring, gives it "
        "to Porter and only then removes the old one: if any step fails, Porter and the wizard "
        "keep a secret that works.")
#: The rows of the rotation itself, hidden when the screen opens on a rotation waiting for Porter.
_ROTATION_ROWS = ("identity", "add", "verify", "store")


@dataclass
class SignInCode(Message):
    """The current secret cannot act: an admin must enter this code (posted from the worker)."""
    prompt: Any  # wizard.azure.signin.DeviceCodePrompt


@dataclass
class PorterRefused(Message):
    """Porter's API did not take the new secret (posted from the worker); nothing was removed."""
    error: WizardError


def open_rotation(app, then: Callable[[], None] | None = None) -> None:
    """Show the screen over the current one; `then` runs when it closes (to refresh a reminder)."""
    app.push_screen(AzureRotateScreen(pushed=True), lambda _result: then() if then else None)


class AzureRotateScreen(WizardScreen):
    STEP = "azure_rotate"
    # A bare Vertical takes the rest of the screen; the hand-off box is only as tall as its rows.
    DEFAULT_CSS = "#handoff { height: auto; }"
    BINDINGS = [Binding("escape", "back", "Back / stop")]

    def __init__(self, *, pushed: bool = False) -> None:
        super().__init__()
        #: Pushed over the screen that opened it (close pops back there), or reached with goto
        #: after a relaunch (close goes where steps.ASIDE says).
        self._pushed = pushed
        self._prompt = None
        #: What the last run was: "rotate", or "finish" (removing the old secret once Porter has
        #: the new one), so that a failure is told the right way.
        self._running = ""
        #: Porter's API's last refusal (on the API path), shown with Retry and "by hand".
        self._porter_error: WizardError | None = None
        #: The person chose to give Porter the secret by hand although the API path was chosen.
        self._by_hand = False

    def compose_body(self) -> ComposeResult:
        yield Static("Rotate the Azure client secret", classes="title")
        yield Static(plain(LEAD), classes="lead")
        yield Static(plain(self._facts()), id="secret-facts", classes="facts")
        yield StepList(list(STEPS), id="steps")
        yield Static("", id="device-code", classes="facts")
        yield Static("Nothing has changed yet.", id="rotate-status")
        yield ErrorPanel(id="error")
        with Vertical(id="handoff"):
            yield Static("", id="handoff-lead", classes="lead")
            with Horizontal(classes="buttons"):
                yield Button("Porter has the new secret", id="porter-has", variant="primary")
                yield Button("Later", id="later")
                yield Button("Retry", id="porter-retry", variant="primary")
                yield Button("I'll do it by hand", id="by-hand")
                yield Button("Remove the old secret", id="remove-old", variant="primary")
        with Horizontal(classes="buttons"):
            yield Button("Rotate now", id="rotate", variant="primary")
            yield Button(THIS_RUN_BUTTON, id="this-run")
            yield Button("Open the sign-in page", id="open-page")
            yield Button("Done", id="done")

    def _facts(self) -> str:
        az = self.ctx.state.azure
        if not az.client_id:
            return "No Azure service principal is set up yet: finish the Azure steps first."
        secret = current_secret(self.ctx.state)
        # describe() starts with the kind ("Azure client secret: "), which the row's name says.
        when = secret.describe().partition(": ")[2] if secret else "no expiry recorded"
        lines = [f"App (client) ID   {az.client_id}",
                 f"Tenant            {az.tenant_id}",
                 f"Subscription      {az.subscription_name or az.subscription_id}",
                 f"Current secret    {when}"]
        if az.secret_key_id:
            lines.append(f"Secret ID         {az.secret_key_id}")
        if self._waiting():
            lines.append(f"Kept for Porter   {az.old_secret_key_id}, "
                         f"{validity(parse(az.old_secret_expires_at))}")
        return "\n".join(lines)

    def _waiting(self) -> bool:
        """An old secret stays on the app for Porter: a rotation is not finished."""
        az = self.ctx.state.azure
        return bool(az.old_secret_key_id) and az.old_secret_key_id.lower() != az.secret_key_id.lower()

    def on_mount(self) -> None:
        self.query_one("#device-code").display = False
        self.query_one("#open-page").display = False
        self.query_one("#this-run").display = False
        self._offer()
        rotate_button = self.query_one("#rotate", Button)
        rotate_button.disabled = not self.ctx.state.azure.client_id
        if self._waiting():
            # Opened again while a rotation waits for Porter: carry on from there.
            rotate_button.display = self.query_one("#done").display = False  # "Later" is the way out
            for key in _ROTATION_ROWS:
                self.query_one(f"#step-{key}").display = False
            self._porter_stage()
            return
        (self.query_one("#done") if rotate_button.disabled else rotate_button).focus()

    def _kept(self) -> str:
        """Where the new secret is: the keyring, or (no keyring here) this run's memory."""
        if self.ctx.secrets.session_only:
            return "kept in memory for this run only (no keyring here: a relaunch will ask for it again)"
        return "in your keyring"

    def _said(self, text: str) -> None:
        self.query_one("#rotate-status", Static).update(plain(text))

    def _offer(self, *buttons: str) -> None:
        """Shows these hand-off buttons (none: the hand-off box is hidden), focusing the first."""
        box = self.query_one("#handoff")
        for button in box.query(Button):
            button.display = button.id in buttons
        box.display = bool(buttons)
        if buttons:
            self.query_one(f"#{buttons[0]}", Button).focus()

    # -- the rotation -------------------------------------------------------------------------

    @on(Button.Pressed, "#rotate")
    def _start(self) -> None:
        self._porter_error, self._by_hand = None, False
        prepare = getattr(self.ctx, "prepare_cloud", None)
        if prepare:
            prepare("azure")  # the sandbox starts its Azure doubles when Azure is first used
        for name in ("rotate", "done"):
            self.query_one(f"#{name}").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._said("Rotating… (Esc stops; a new secret is removed again if it was made)")
        self._running = "rotate"
        self._run()

    @work(thread=True, exclusive=True, group="rotate")
    def _run(self) -> None:
        ctx, cloud = self.ctx, current_cloud()
        api = ctx.state.porter_mode == "api"

        def job():
            run = self._rotation_run(cloud, hand_off=self._send_to_porter if api else None)
            return rotate(run, lambda step: self.post_message(StepChanged(step)))
        run_and_report(self, job)

    def _rotation_run(self, cloud, hand_off=None) -> RotationRun:
        ctx = self.ctx

        def sign_in():
            return admin_sign_in(cloud, ctx.state.azure.tenant_id,
                                 lambda prompt: self.post_message(SignInCode(prompt)))
        return RotationRun(cloud, ctx.state, ctx.secrets, ctx.save, sign_in=sign_in,
                           cancelled=cancelled, sleep=interruptible_sleep, hand_off=hand_off,
                           this_run_offered=True)

    def _send_to_porter(self, new: NewSecretForPorter) -> bool:
        """The hand-off on the API path (in the worker): Porter's API takes the new secret, or the
        screen says why not and offers Retry and doing it by hand."""
        send, why_not = porter_api_hand_off(self.ctx.state)
        try:
            if send is None:
                raise WizardError("Porter's API cannot be reached", why_not or "No Porter login was "
                                  "found.", "Log Porter CLI in to your project (`porter auth login`) "
                                  "and press Retry, or press “I'll do it by hand”.")
            return send(new)
        except WizardError as err:
            self.post_message(PorterRefused(err))
            raise

    def on_porter_refused(self, message: PorterRefused) -> None:
        self._porter_error = message.error

    def on_step_changed(self, message: StepChanged) -> None:
        self.query_one(StepList).update_step(message.step)

    def on_sign_in_code(self, message: SignInCode) -> None:
        self._prompt = message.prompt
        box = self.query_one("#device-code", Static)
        box.update(plain("The current secret cannot make the change, so an admin must sign in:\n"
                   f"open  {message.prompt.url}\nand enter the code  {message.prompt.code}\n"
                   "as an Owner of the app registration or an Application Administrator. "
                   "The rotation goes on by itself once you have signed in."))
        box.display = True
        self.query_one("#open-page").display = can_open_browser()

    @on(Button.Pressed, "#open-page")
    def _open(self) -> None:
        if self._prompt is not None:
            open_page(self._prompt.url)

    def _settled(self) -> None:
        self.query_one("#device-code").display = False
        self.query_one("#open-page").display = False
        self.query_one("#secret-facts", Static).update(plain(self._facts()))

    def on_run_finished(self, message: RunFinished) -> None:
        result = message.result
        self._settled()
        if result.porter_waiting is not None:
            self._porter_stage(self._porter_error)
            return
        self._drop_card()
        self._offer()
        self._said(f"✓ Rotated. The new secret (Secret ID {result.key_id}) expires "
                   f"{result.expires_at.date().isoformat()}; it is {self._kept()}, Porter has it, "
                   "and the wizard uses it from now on.")
        # The old secret could not be removed: not a failure (the new one is in use), but the
        # user must know it stays valid and how to remove it.
        self.query_one(ErrorPanel).show_error(result.old_left)
        self._show_done()

    def on_run_stopped(self, message: RunStopped) -> None:
        self._settled()
        self.query_one(ErrorPanel).show_error(message.error)
        if self._running == "finish":
            # Nothing was removed: the hand-off stage is still where things stand.
            self._porter_stage(message.error)
            return
        self._said("Not rotated; the secret the wizard holds is the one you had." if message.error
                   else "Stopped. Nothing changed: a new secret, if made, was removed again.")
        button = self.query_one("#rotate", Button)
        button.label, button.display = "Try again", True
        self.query_one("#done").display = True
        if isinstance(message.error, KeyringUnavailable) and not self.ctx.secrets.session_only:
            # Checked before anything is made: nothing to undo, and the advice names this button.
            self._said("Not rotated: nothing was changed.")
            button = self.query_one("#this-run", Button)
            button.display = True
        button.focus()
        self.call_after_refresh(button.scroll_visible, animate=False)  # shown just now: laid out next

    @on(Button.Pressed, "#this-run")
    def _this_run_only(self) -> None:
        self.ctx.secrets.keep_for_this_run()
        self.query_one("#this-run").display = False
        self.notify("The new client secret will be kept in memory for this run only: give it to Porter "
                    "before you quit; a relaunch will ask for it again.")
        self._start()

    def _show_done(self) -> None:
        done = self.query_one("#done", Button)
        done.display = True
        done.focus()

    # -- Porter gets the new secret --------------------------------------------------------------

    def _porter_stage(self, error: WizardError | None = None) -> None:
        """Both secrets are valid and Porter holds the old one: give Porter the new one (or, when
        Porter is recorded as having it, only the removal is left)."""
        state, az = self.ctx.state, self.ctx.state.azure
        until = valid_until(parse(az.old_secret_expires_at))
        self.query_one(ErrorPanel).show_error(error)
        if handoff.porter_is_current(state, "azure"):
            self._said(f"Porter has the new secret; the old one (Secret ID {az.old_secret_key_id}), "
                       f"{until}, is still on the app.")
            self._offer("remove-old", "later")
            return
        self._said(f"The new secret (Secret ID {az.secret_key_id}) is {self._kept()} and the wizard "
                   f"uses it. Porter still holds the old secret, {until}; both stay valid until Porter "
                   "has the new one.")
        if state.porter_mode == "api" and not self._by_hand:
            # Opened again, or Porter's API refused: send it from here, or give it by hand.
            self.query_one("#porter-retry", Button).label = "Retry" if error else "Send it to Porter"
            self._offer("porter-retry", "by-hand", "later")
        else:
            self._show_card()

    def _show_card(self) -> None:
        az = self.ctx.state.azure
        try:
            items = handoff.items(self.ctx.state, self.ctx.secrets, "azure")
        except WizardError as err:  # the keyring lost it: the error says what to do
            self.query_one(ErrorPanel).show_error(err)
            self._offer("later")
            return
        self.query_one("#handoff-lead", Static).update(plain(
            "In Porter's dashboard → Integrations → Azure → Password → Update, paste the new client "
            f"secret (Secret ID {az.secret_key_id}); the IDs are there for a new integration. Tab "
            "moves between rows; r shows the secret, c copies the row. Then press “Porter has the "
            "new secret”: the old one is removed. “Later” keeps both valid."))
        self._drop_card()
        box = self.query_one("#handoff", Vertical)
        card = HandoffCard(items, id="card")
        box.mount(card, before=box.query_one(".buttons"))
        self._offer("porter-has", "later")
        self.call_after_refresh(self._focus_secret, card)

    def _focus_secret(self, card: HandoffCard) -> None:
        """The secret's row (the card's last) takes the focus, so that r and c act on it at once;
        unless the card has gone meanwhile (a quick "Porter has the new secret")."""
        rows = card.query(".handoff-row")
        if card.is_attached and rows:
            rows.last().focus()

    def _drop_card(self) -> None:
        for card in self.query("#card"):
            card.remove()  # the secret leaves the screen with it
        self.query_one("#handoff-lead", Static).update("")

    @on(Button.Pressed, "#by-hand")
    def _to_hand(self) -> None:
        self._by_hand = True
        self.query_one(ErrorPanel).show_error(None)
        self._show_card()

    @on(Button.Pressed, "#porter-has")
    def _porter_has(self) -> None:
        self._finish("manual")

    @on(Button.Pressed, "#remove-old")
    def _remove_old(self) -> None:
        self._finish("manual")  # Porter is recorded as having it already: `via` is not used

    @on(Button.Pressed, "#porter-retry")
    def _retry(self) -> None:
        self._finish("api")

    def _finish(self, via: str) -> None:
        self._drop_card()
        self._offer()
        self.query_one(ErrorPanel).show_error(None)
        self.query_one("#done").display = False
        self._said("Sending the new secret to Porter…" if via == "api" else "Removing the old secret…")
        self._running = "finish"
        self._finish_job(via)

    @work(thread=True, exclusive=True, group="rotate")
    def _finish_job(self, via: str) -> None:
        state, secrets = self.ctx.state, self.ctx.secrets

        def job():
            run = self._rotation_run(current_cloud())
            if via == "api" and not handoff.porter_is_current(state, "azure"):
                az, record = state.azure, state.secrets.get(state.azure.secret_name)
                self._send_to_porter(NewSecretForPorter(az.secret_key_id, parse(
                    record.expires_at if record else ""), secrets.get(az.secret_name) or ""))
            return finish_rotation(run, lambda step: self.post_message(StepChanged(step)), via=via)
        run_and_report(self, job)

    @on(Button.Pressed, "#later")
    def _later(self) -> None:
        state, az = self.ctx.state, self.ctx.state.azure
        until = validity(parse(az.old_secret_expires_at))
        self._drop_card()
        self._offer()
        self.query_one(ErrorPanel).show_error(None)
        if handoff.porter_is_current(state, "azure"):
            self._said(f"The old secret is still on the app ({until}); `porter-wizard rotate azure "
                       "--finish` removes it.")
        else:
            self._said(f"Both secrets stay valid: Porter keeps using the old one, which {until}. When "
                       "Porter has the new one (`porter-wizard handoff azure --reveal` shows it), run "
                       "`porter-wizard rotate azure --finish` to remove the old one.")
        self._show_done()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group == "rotate" and w.is_running]
        if running:
            # Not a way out mid-rotation: stopping undoes what was made, then the screen says so.
            for worker in running:
                worker.cancel()
            self._said("Stopping…" if self._running == "finish" else
                       "Stopping… a new secret is removed again before the rotation ends.")
            return
        if self._pushed:
            self.dismiss(None)
        else:
            super().action_back()
