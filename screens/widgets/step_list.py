"""The live list of provisioning (or teardown) steps: state and elapsed time of each resource."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import LoadingIndicator, Static

from ..plain import plain

_STYLE = {"waiting": "dim", "working": "yellow", "found": "green", "created": "green",
          "updated": "green", "deleted": "green", "absent": "green", "kept": "cyan",
          "manual": "yellow", "ready": "green", "verified": "green", "stored": "green",
          "undone": "yellow", "failed": "red"}
_WORDS = {"waiting": "waiting", "working": "working", "found": "exists", "created": "created",
          "updated": "updated", "deleted": "deleted", "absent": "already gone", "kept": "kept",
          "manual": "needs you", "ready": "ready", "verified": "verified", "stored": "stored",
          "undone": "undone", "failed": "failed"}


class StepRow(Horizontal):
    DEFAULT_CLASSES = "step-row"

    def __init__(self, key: str, label: str) -> None:
        super().__init__(id=f"step-{key}")
        self._label = label

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()
        # Labels and details name resources and quote the cloud: plain text.
        yield Static(plain(self._label), classes="step-label")
        yield Static(Text("waiting", style="dim"), classes="step-state")
        yield Static("", classes="step-detail")

    def on_mount(self) -> None:
        self.query_one(LoadingIndicator).visible = False

    def show(self, status: str, elapsed: float, detail: str) -> None:
        self.query_one(LoadingIndicator).visible = status == "working"  # keeps columns aligned
        when = f" {int(elapsed) // 60}:{int(elapsed) % 60:02d}" if elapsed else ""
        self.query_one(".step-state", Static).update(plain(_WORDS.get(status, status) + when,
                                                           style=_STYLE.get(status, "")))
        self.query_one(".step-detail", Static).update(plain(detail))


class StepList(Vertical):
    def __init__(self, steps: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self._steps = steps
        self._live: dict[str, object] = {}
        self._timer = None

    def compose(self) -> ComposeResult:
        for key, label in self._steps:
            yield StepRow(key, label)

    def update_step(self, step) -> None:
        """Takes a wizard.stepwise.StepState; a working step's clock keeps ticking."""
        self.query_one(f"#step-{step.key}", StepRow).show(step.status, step.elapsed, step.detail)
        if step.status == "working":
            self._live[step.key] = step
            if self._timer is None:
                self._timer = self.set_interval(1.0, self._tick)
        else:
            self._live.pop(step.key, None)

    def _tick(self) -> None:
        for step in list(self._live.values()):
            self.query_one(f"#step-{step.key}", StepRow).show(step.status, step.elapsed, step.detail)
