"""An input with its label and its own error line, so bad input is explained where it was typed."""
from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from wizard.errors import InputError

from ..plain import plain


class Field(Vertical):
    DEFAULT_CLASSES = "field"

    def __init__(self, label: str, *, input_id: str, validate: Callable[[str], str],
                 value: str = "", placeholder: str = "", password: bool = False,
                 hint: str = "") -> None:
        super().__init__(id=f"{input_id}-field")
        self._label, self._input_id, self._validate = label, input_id, validate
        self._value, self._placeholder, self._password, self._hint = value, placeholder, password, hint

    def compose(self) -> ComposeResult:
        yield Label(plain(self._label), classes="field-label")
        yield Input(value=self._value, placeholder=self._placeholder, password=self._password,
                    id=self._input_id)
        if self._hint:
            yield Static(plain(self._hint), classes="field-hint")
        yield Static("", classes="field-error", id=f"{self._input_id}-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_error(self, message: str) -> None:
        error = self.query_one(".field-error", Static)
        error.update(plain(message))  # it can quote what was typed
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")

    def on_mount(self) -> None:
        self.set_error("")

    def check(self, *, quiet_when_empty: bool = False) -> str | None:
        """The normalised value, or None after showing why it is not acceptable."""
        text = self.input.value
        if quiet_when_empty and not text.strip():
            self.set_error("")
            return None
        try:
            value = self._validate(text)
        except InputError as err:
            self.set_error(err.what)
            return None
        self.set_error("")
        return value
