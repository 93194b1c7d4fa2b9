"""Asks for what Porter's dashboard gave: its Grant permissions link, or the ExternalId alone.

A link carries the ExternalId, stack name and template; Porter's newer link leaves the ExternalId
out (GrantAWSPermissions.tsx shows it separately), so then the ExternalId is asked for as well.
Errors are shown under the field as plain text: they can quote what was pasted.
"""
from __future__ import annotations

import os

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from wizard.aws.porter_link import PorterLink, parse_external_id_or_link
from wizard.errors import InputError

from ..plain import plain

WHERE = ("Where to find it: in Porter's dashboard, create a project, choose AWS, then Grant "
         "permissions. Copy the link of the button that opens the AWS console (right-click, Copy "
         "link), or the ExternalId Porter shows. The wizard creates exactly the stack that link "
         "describes, in your account.")
# Set by the sandbox: the link its stand-in for Porter's dashboard shows (by-hand path).
SANDBOX_LINK_ENV = "PORTER_SANDBOX_DASHBOARD_LINK"
LINK_LABEL = "The link or ExternalId from Porter's dashboard"
ID_LABEL = "The ExternalId Porter shows with this link"
ID_HINT = ("This link is Porter's newer form, without the ExternalId: paste the ExternalId the "
           "dashboard shows next to it (a UUID such as 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b).")


class PorterLinkAsk(Vertical):
    DEFAULT_CLASSES = "field"

    @dataclass
    class Accepted(Message):
        link: PorterLink | None  # None: a bare ExternalId, used with this wizard's template
        external_id: str

    def __init__(self, last_external_id: str = "", *, sandbox: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last = last_external_id
        #: In the sandbox, what its stand-in for Porter's dashboard shows, filled in for the user.
        self._suggested = os.environ.get(SANDBOX_LINK_ENV, "") if sandbox else ""
        self._pending: PorterLink | None = None

    def compose(self) -> ComposeResult:
        yield Static(WHERE, classes="lead")
        yield Label(LINK_LABEL, classes="field-label", id="porter-link-label")
        yield Input(self._suggested, placeholder="https://console.aws.amazon.com/cloudformation/… or "
                    "the ExternalId", id="porter-link")
        hint = f"This project last used the ExternalId {self._last}." if self._last else ""
        if self._suggested:
            hint = ("Sandbox: filled in with the link the sandbox's Porter dashboard shows (its API "
                    "double was told this ExternalId, as the real dashboard is). Enter uses it.")
        yield Static(plain(hint), classes="field-hint", id="porter-link-hint")
        yield Static("", classes="field-error", id="porter-link-error")
        with Horizontal(classes="buttons"):
            yield Button("Use it", id="use-link", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#porter-link-hint", Static).display = bool(self._last or self._suggested)
        self._error("")

    def focus_field(self) -> None:
        self.query_one("#porter-link", Input).focus()

    def _hint(self, text: object) -> None:
        hint = self.query_one("#porter-link-hint", Static)
        hint.update(plain(text))
        hint.display = bool(str(text).strip())

    def _error(self, message: str) -> None:
        error = self.query_one("#porter-link-error", Static)
        error.update(plain(message))
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")

    @on(Input.Submitted, "#porter-link")
    @on(Button.Pressed, "#use-link")
    def _submit(self, event: Message) -> None:
        event.stop()
        field = self.query_one("#porter-link", Input)
        try:
            got = parse_external_id_or_link(field.value)
            if isinstance(got, str) and self._pending is not None:
                got = self._pending.with_external_id(got)
        except InputError as err:
            self._error(err.what)
            return
        self._error("")
        if isinstance(got, str):
            self.post_message(self.Accepted(None, got))
        elif got.external_id:
            self.post_message(self.Accepted(got, got.external_id))
        else:
            self._pending = got
            field.value = ""
            self.query_one("#porter-link-label", Label).update(ID_LABEL)
            self._hint(ID_HINT)
            field.focus()
