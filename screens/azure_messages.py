"""Messages the Azure screens' workers post back to the UI thread."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class DeviceCodeShown(Message):
    prompt: Any  # wizard.azure.signin.DeviceCodePrompt


@dataclass
class SignedIn(Message):
    signed: Any  # wizard.azure.signin.SignedIn
    expiry: Any = None  # (key_id, datetime) of a typed secret, when Graph told us


@dataclass
class Loaded(Message):
    """A list (subscriptions, regions...) a screen asked for."""
    items: Any


@dataclass
class ProviderChanged(Message):
    state: Any  # wizard.azure.providers.ProviderState


@dataclass
class Checked(Message):
    check: Any


@dataclass
class ChecksDone(Message):
    pass


@dataclass
class RequestUpdate(Message):
    request: Any
