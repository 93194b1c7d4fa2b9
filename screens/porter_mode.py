"""Connect to Porter: how the credentials this setup makes will reach Porter.

Connected means Porter has them. With Porter's CLI logged in (or PORTER_TOKEN and PORTER_PROJECT
set), the wizard sends them through Porter's API and the secret never appears on screen; without
it, the wizard shows them on a card for the dashboard; with no Porter project yet, it says what to
give Porter later. Shared by the three clouds: the first step of each flow.
"""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.errors import WizardError

from .plain import plain, printable
from .base import WizardScreen
from .messages import PorterFound, PorterChecked, StepFailed
from .steps import next_step
from .widgets.error_panel import ErrorPanel

MODES = {
    "api": ("Send them to Porter through its API",
            "with your Porter login; the secret never shows on screen"),
    "manual": ("I'll give them to Porter's dashboard myself",
               "each value shown with a copy key, to paste in the dashboard"),
    "standalone": ("No Porter project yet (standalone)",
                   "the wizard builds the cluster itself; Porter gets them later"),
}
NO_LOGIN = ("No Porter login found on this machine. To use the API, run `porter auth login` (or set "
            "PORTER_TOKEN and PORTER_PROJECT), then come back to this step.")


class PorterModeScreen(WizardScreen):
    def __init__(self) -> None:
        super().__init__()
        self._login = None

    @property
    def STEP(self) -> str:  # type: ignore[override]  # one screen for the three clouds' flows
        return f"{self.ctx.state.cloud}.porter"

    def compose_body(self) -> ComposeResult:
        yield Static("How will Porter get access?", classes="title")
        yield Static(
            "Porter manages your cluster with what this setup makes: the role it assumes (AWS), "
            "the service principal's secret (Azure) or the service account's key (Google Cloud). "
            "They are useful only once Porter has them.", classes="lead")
        yield Static("Looking for a Porter login…", id="login")
        yield OptionList(*[Option(plain(self._label(key)), id=key) for key in MODES], id="modes")
        yield ErrorPanel(id="error")

    @staticmethod
    def _label(key: str) -> Text:
        title, about = MODES[key]
        text = Text(title)
        text.append(f"\n  {about}", style="dim")
        return text

    def on_mount(self) -> None:
        modes = self.query_one("#modes", OptionList)
        modes.disable_option("api")
        keys = list(MODES)
        chosen = self.ctx.state.porter_mode
        modes.highlighted = keys.index(chosen) if chosen in keys and chosen != "api" else 1
        modes.focus()
        self._find_login()

    @work(thread=True, exclusive=True, group="porter")
    def _find_login(self) -> None:
        from wizard.porter.login import find_login

        self.post_message(PorterFound(find_login()))

    def on_porter_found(self, message: PorterFound) -> None:
        self._login = message.login
        label = self.query_one("#login", Static)
        if message.login is None:
            label.update(plain(NO_LOGIN))
            return
        login = message.login
        label.update(plain(f"Porter login found ({login.source}): project {login.project} at "
                          f"{login.host}."))
        modes = self.query_one("#modes", OptionList)
        modes.enable_option("api")
        if self.ctx.state.porter_mode in ("", "api"):
            modes.highlighted = 0

    @on(OptionList.OptionSelected, "#modes")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        mode = event.option.id or ""
        self.query_one(ErrorPanel).show_error(None)
        if mode == "api":
            self.query_one("#login", Static).update(plain(
                f"Checking the login with Porter ({self._login.host})…"))
            self._check(self._login)
            return
        self._record(mode)

    @work(thread=True, exclusive=True, group="porter")
    def _check(self, login) -> None:
        from wizard.porter.client import PorterClient

        try:
            name = PorterClient(login).project_name()
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(PorterChecked(name))

    def on_porter_checked(self, message: PorterChecked) -> None:
        state = self.ctx.state
        state.porter_host, state.porter_project = self._login.host, self._login.project
        self.notify(printable(f"Porter project {self._login.project} ({message.name}) is reachable."),
                    title="Connected to Porter", markup=False)  # the name is Porter's, not markup
        self._record("api")

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#login", Static).update(
            "Porter's API did not accept the login. Choose “I'll give them to Porter's dashboard "
            "myself”, or fix the login and choose the API again.")
        self.query_one(ErrorPanel).show_error(message.error)

    def _record(self, mode: str) -> None:
        state = self.ctx.state
        if mode != "api":
            state.porter_host = state.porter_project = ""
        state.porter_mode = mode
        self.wizard.goto(next_step(self.STEP) or "welcome")
