"""Messages the Google Cloud screens' workers post back to the UI thread."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class KeyAccepted(Message):
    key: Any  # wizard.gcp.key.ServiceAccountKey


@dataclass
class ApiChanged(Message):
    row: Any  # wizard.gcp.apis.ApiRow


@dataclass
class ApisDone(Message):
    rows: list[Any]


@dataclass
class CheckDone(Message):
    result: Any  # wizard.gcp.checks.CheckResult


@dataclass
class ChecksFinished(Message):
    results: list[Any]
