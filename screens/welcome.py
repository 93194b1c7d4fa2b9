"""Welcome: name the project and choose the cloud."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from wizard.project import validate_project_name
from wizard.reminders import due

from .plain import plain, styled
from .base import WizardScreen
from .steps import FLOWS
from .widgets.field import Field

# Only clouds whose whole flow works are offered; the others join as they are finished.
CLOUDS = [("aws", "Amazon Web Services (AWS)",
           "Porter assumes an IAM role you create with one CloudFormation stack. No keys leave "
           "your account."),
          ("azure", "Microsoft Azure",
           "Sign in once as an administrator; the wizard creates the role and service principal "
           "Porter uses, and reminds you before its secret expires."),
          ("gcp", "Google Cloud",
           "Give a service account's JSON key (kept only in your keyring); the wizard enables the "
           "APIs and checks permissions and quotas.")]


class WelcomeScreen(WizardScreen):
    STEP = "welcome"

    def compose_body(self) -> ComposeResult:
        yield Static("Connect your cloud account to Porter", classes="title")
        yield Static(
            "This wizard sets up the access Porter needs to create and run a Kubernetes cluster in "
            "your own cloud account, checking each step as it goes. Nothing is created until you "
            "say so, and you can quit at any time: the next launch resumes where you left off.",
            classes="lead")
        reminders = due(self.ctx.state)
        if reminders or self._rotation_waiting():
            yield Static(plain(self._reminder_text()), id="reminders", classes="warning")
            if self.ctx.state.azure.client_id and (self._rotation_waiting() or any(
                    r.kind == "azure-client-secret" for r in reminders)):
                yield Button("Rotate the Azure secret…", id="rotate-azure")
        yield Field("Project name", input_id="project", validate=validate_project_name,
                    value=self.ctx.state.project, placeholder="e.g. acme-prod",
                    hint="Lowercase letters, digits and hyphens. It names your cluster's resources.")
        yield Label("Cloud provider", classes="field-label")
        options = [Option(styled(f"{label}\n  ", (about, "dim")), id=key) for key, label, about in CLOUDS]
        yield OptionList(*options, id="cloud")
        yield Static("", classes="field-error", id="cloud-error")
        yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        clouds = self.query_one("#cloud", OptionList)
        keys = [key for key, _, _ in CLOUDS]
        clouds.highlighted = keys.index(self.ctx.state.cloud) if self.ctx.state.cloud in keys else 0
        self.query_one("#cloud-error").display = False
        self.query_one("#project").focus()

    @on(Button.Pressed, "#rotate-azure")
    def _rotate_azure(self) -> None:
        from .azure_rotate import open_rotation  # Azure's code loads only when asked for

        open_rotation(self.wizard, then=self._rotated)

    def _rotation_waiting(self) -> bool:
        """A rotation made a new secret that Porter has not confirmed: the old one is still on the
        app, and the rotate screen finishes the hand-off."""
        return bool(self.ctx.state.azure.old_secret_key_id)

    def _reminder_text(self) -> str:
        lines = [f"  • {r.describe()}" for r in due(self.ctx.state)]
        if self._rotation_waiting():
            lines.append("  • Azure: the new client secret is waiting for Porter (both stay valid "
                         "until Porter has it)")
        return "Credentials to rotate soon:\n" + "\n".join(lines)

    def _rotated(self) -> None:
        """Back from the rotation: the reminder shows what is due now."""
        left = due(self.ctx.state)
        self.query_one("#reminders", Static).update(plain(self._reminder_text()))
        self.query_one("#reminders").display = bool(left) or self._rotation_waiting()
        self.query_one("#rotate-azure").display = self._rotation_waiting() or any(
            r.kind == "azure-client-secret" for r in left)

    @on(Input.Changed, "#project")
    def _project_typed(self) -> None:
        # Say what is wrong while typing, but don't scold an empty field before Continue.
        self.query_one("#project-field", Field).check(quiet_when_empty=True)

    @on(Input.Submitted, "#project")
    def _project_entered(self) -> None:
        self.query_one("#cloud", OptionList).focus()

    @on(OptionList.OptionSelected, "#cloud")
    def _cloud_chosen(self) -> None:
        self._continue()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        name = self.query_one("#project-field", Field).check()
        option = self.query_one("#cloud", OptionList).highlighted_option
        if name is None:
            self.query_one("#project").focus()
            return
        if option is None:
            error = self.query_one("#cloud-error", Static)
            error.update("Choose the cloud your cluster will run in.")
            error.display = True
            return
        state = self.ctx.state
        if state.project and state.project != name and state.aws.external_id:
            # A new project gets its own ExternalId; the old one belonged to the old name.
            state.aws.external_id = ""
        state.project, state.cloud = name, option.id or ""
        self.wizard.goto(FLOWS[state.cloud][0])
