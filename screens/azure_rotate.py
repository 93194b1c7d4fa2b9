"""Rotate the Azure client secret: which secret expires when, Rotate now, each step as it goes.

An aside, not a step of the flow: opened over whichever screen offered it (the welcome screen's
reminder) and closed back onto it. The work happens in wizard/azure/rotation.py, in a thread
worker; this screen only draws it. The order there keeps a working secret at every moment, so a
failure here always ends with a secret that works, and the screen says which.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from wizard.azure.cloud import current_cloud
from wizard.azure.rotation import STEPS, RotationRun, admin_sign_in, current_secret, rotate
from wizard.browser import can_open_browser, open_page

from .base import WizardScreen
from .messages import RunFinished, RunStopped, StepChanged
from .widgets.error_panel import ErrorPanel
from .widgets.step_list import StepList
from .worker_tools import cancelled, interruptible_sleep, run_and_report

LEAD = ("Azure expires client secrets (after 365 days for the ones this wizard makes); once this "
        "one has expired, Porter can no longer manage your infrastructure. Rotating adds a new "
        "secret to the app registration, checks that it works, keeps it in your keyring and only "
        "then removes the old one: if any step fails, the secret you have keeps working.")


@dataclass
class SignInCode(Message):
    """The current secret cannot act: an admin must enter this code (posted from the worker)."""
    prompt: Any  # wizard.azure.signin.DeviceCodePrompt


def open_rotation(app, then: Callable[[], None] | None = None) -> None:
    """Show the screen over the current one; `then` runs when it closes (to refresh a reminder)."""
    app.push_screen(AzureRotateScreen(pushed=True), lambda _result: then() if then else None)


class AzureRotateScreen(WizardScreen):
    STEP = "azure_rotate"
    BINDINGS = [Binding("escape", "back", "Back / stop")]

    def __init__(self, *, pushed: bool = False) -> None:
        super().__init__()
        #: Pushed over the screen that opened it (close pops back there), or reached with goto
        #: after a relaunch (close goes where steps.ASIDE says).
        self._pushed = pushed
        self._prompt = None

    def compose_body(self) -> ComposeResult:
        yield Static("Rotate the Azure client secret", classes="title")
        yield Static(LEAD, classes="lead")
        yield Static(self._facts(), id="secret-facts", classes="facts")
        yield StepList(list(STEPS), id="steps")
        yield Static("", id="device-code", classes="facts")
        yield Static("Nothing has changed yet.", id="rotate-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Rotate now", id="rotate", variant="primary")
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
        return "\n".join(lines)

    def on_mount(self) -> None:
        self.query_one("#device-code").display = False
        self.query_one("#open-page").display = False
        rotate_button = self.query_one("#rotate", Button)
        rotate_button.disabled = not self.ctx.state.azure.client_id
        (self.query_one("#done") if rotate_button.disabled else rotate_button).focus()

    def _said(self, text: str) -> None:
        self.query_one("#rotate-status", Static).update(text)

    @on(Button.Pressed, "#rotate")
    def _start(self) -> None:
        prepare = getattr(self.ctx, "prepare_cloud", None)
        if prepare:
            prepare("azure")  # the sandbox starts its Azure doubles when Azure is first used
        for name in ("rotate", "done"):
            self.query_one(f"#{name}").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._said("Rotating… (Esc stops; a new secret is removed again if it was made)")
        self._run()

    @work(thread=True, exclusive=True, group="rotate")
    def _run(self) -> None:
        ctx, cloud = self.ctx, current_cloud()

        def sign_in():
            return admin_sign_in(cloud, ctx.state.azure.tenant_id,
                                 lambda prompt: self.post_message(SignInCode(prompt)))

        def job():
            run = RotationRun(cloud, ctx.state, ctx.secrets, ctx.save, sign_in=sign_in,
                              cancelled=cancelled, sleep=interruptible_sleep)
            return rotate(run, lambda step: self.post_message(StepChanged(step)))
        run_and_report(self, job)

    def on_step_changed(self, message: StepChanged) -> None:
        self.query_one(StepList).update_step(message.step)

    def on_sign_in_code(self, message: SignInCode) -> None:
        self._prompt = message.prompt
        box = self.query_one("#device-code", Static)
        box.update("The current secret cannot make the change, so an admin must sign in:\n"
                   f"open  {message.prompt.url}\nand enter the code  {message.prompt.code}\n"
                   "as an Owner of the app registration or an Application Administrator. "
                   "The rotation goes on by itself once you have signed in.")
        box.display = True
        self.query_one("#open-page").display = can_open_browser()

    @on(Button.Pressed, "#open-page")
    def _open(self) -> None:
        if self._prompt is not None:
            open_page(self._prompt.url)

    def _finish(self) -> None:
        self.query_one("#device-code").display = False
        self.query_one("#open-page").display = False
        self.query_one("#secret-facts", Static).update(self._facts())
        self.query_one("#done").display = True

    def on_run_finished(self, message: RunFinished) -> None:
        result = message.result
        self._finish()
        self._said(f"✓ Rotated. The new secret (Secret ID {result.key_id}) expires "
                   f"{result.expires_at.date().isoformat()}; it is in your keyring and the wizard "
                   "uses it from now on.")
        # The old secret could not be removed: not a failure (the new one is in use), but the
        # user must know it stays valid and how to remove it.
        self.query_one(ErrorPanel).show_error(result.old_left)
        self.query_one("#done").focus()

    def on_run_stopped(self, message: RunStopped) -> None:
        self._finish()
        self.query_one(ErrorPanel).show_error(message.error)
        self._said("Not rotated; the secret in your keyring is the one you had." if message.error
                   else "Stopped. Nothing changed: a new secret, if made, was removed again.")
        button = self.query_one("#rotate", Button)
        button.label, button.display = "Try again", True
        button.focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group == "rotate" and w.is_running]
        if running:
            # Not a way out mid-rotation: stopping undoes what was made, then the screen says so.
            for worker in running:
                worker.cancel()
            self._said("Stopping… a new secret is removed again before the rotation ends.")
            return
        if self._pushed:
            self.dismiss(None)
        else:
            super().action_back()
