"""Role and service principal: what the platform signs in as.

Signed in as an admin, the wizard makes (or finds) each piece itself: the custom role, the app
registration and its service principal, the role assignment, a client secret (into the keyring),
and the Microsoft Graph permissions with admin consent. With a service principal typed in, it
checks that one instead. An existing role that differs from the platform's is changed only after
the user agrees.
"""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Static

from wizard.azure import access, role, signin
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.errors import KeyringUnavailable, WizardError
from wizard.secret_store import THIS_RUN_BUTTON

from .plain import plain
from .azure_messages import Loaded
from .job_screen import JobScreen
from .messages import RunStopped, StepFailed
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .worker_tools import cancelled, interruptible_sleep


class AzureAccessScreen(JobScreen):
    STEP = "azure.access"
    NEXT_STEP = "azure.handoff"
    START_LABEL = "Set up"
    STOP_TITLE = "Stop the setup?"
    STOP_BODY = ("The wizard stops after the current step. What was made stays; Resume finds it "
                 "and carries on.")

    def __init__(self) -> None:
        super().__init__()
        self._status = ""
        self._role_check: role.RoleCheck | None = None

    @property
    def _admin_path(self) -> bool:
        return self.ctx.state.azure.signin_method == "device"

    def step_rows(self) -> list[tuple[str, str]]:
        todo = access.steps() if self._admin_path else access.verify_steps()
        return [(key, label) for key, label, _ in todo]

    def intro(self) -> ComposeResult:
        az = self.ctx.state.azure
        yield Static("Role and service principal", classes="title")
        if self._admin_path:
            yield Static(
                plain(f"Porter manages the cluster as a service principal, {access.APP_NAME}, holding the "
                f"custom role {role.ROLE_NAME} (everything except elevating access, blueprint "
                "assignments and sharing galleries) on this subscription, and seven Microsoft Graph "
                "permissions it needs for workload identities. The wizard creates what is missing "
                "and reuses what exists. Its client secret goes to your OS keyring; Azure expires it "
                "after 365 days and the wizard reminds you."), classes="lead")
            if self.START_LABEL and self.ctx.state.azure.setup_done_at:
                yield Static("Done earlier; running it again only checks each piece.", classes="field-hint")
        else:
            yield Static(
                plain(f"Checking the service principal {az.client_id}: its role on the subscription, and "
                "which Microsoft Graph permissions it was granted."), classes="lead")

    def status_text(self) -> str:
        return "" if self.ctx.state.azure.setup_done_at else "Nothing has been changed yet."

    def progress_status(self) -> str:
        return "done" if self.ctx.state.azure.setup_done_at else self._status

    def set_progress_status(self, status: str) -> None:
        self._status = status
        if status != "done":
            self.ctx.state.azure.setup_done_at = ""

    def extra_buttons(self) -> ComposeResult:
        yield Button(THIS_RUN_BUTTON, id="this-run")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#this-run").display = False
        if not self.ctx.state.azure.setup_done_at and not self._admin_path:
            self.start()  # checking changes nothing: no need to ask first

    # -- an existing role that differs needs a yes first ---------------------------------------------
    def start(self) -> None:
        problem = self.ctx.secrets.problem(cloud="azure") if self._admin_path else None
        if problem:
            # Before the first cloud call: nothing is made that would wait for a secret we
            # could not keep.
            self._offer_this_run(problem)
            return
        if not self._admin_path or self._role_check is not None:
            super().start()
            return
        self.query_one("#start").disabled = True
        self.query_one("#job-status", Static).update(plain(f"Looking for {role.ROLE_NAME}…"))
        self._look_up_role()

    @work(thread=True, exclusive=True, group="role")
    def _look_up_role(self) -> None:
        az = self.ctx.state.azure
        try:
            check = access.look_up_role(current_cloud(), signin.setup_credential(az, self.ctx.secrets),
                                        az.subscription_id)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(Loaded(check))

    def on_loaded(self, message: Loaded) -> None:
        self.query_one("#start").disabled = False
        check = message.items
        if not (check.exists and check.differences) or self.ctx.force:
            self._role_check = check
            self.start()
            return

        def decided(update: bool | None) -> None:
            if update:
                self._role_check = check
                self.start()
            else:
                self.query_one("#job-status", Static).update(
                    plain(f"Nothing changed. Porter needs {role.ROLE_NAME} as its docs define it; fix it in "
                    "the portal (Subscriptions → Access control (IAM) → Roles) or press Set up again."))
        self.app.push_screen(ConfirmModal(
            f"Change the existing {role.ROLE_NAME} role?",
            "A role with this name exists in the subscription but differs from what Porter needs:\n  • "
            + "\n  • ".join(check.differences) + "\n\nUpdating it changes what everyone holding it may "
            "do.", "Update the role", dangerous=True), decided)

    # -- no keyring: keep the secret for this run only, if the user says so -----------------------
    def _offer_this_run(self, problem: WizardError) -> None:
        if not self.ctx.state.azure.setup_done_at and not self._status:
            self.query_one("#job-status", Static).update(plain("Nothing has been changed."))
        self.query_one(ErrorPanel).show_error(problem)
        button = self.query_one("#this-run", Button)
        button.display = True
        button.focus()

    def on_run_stopped(self, message: RunStopped) -> None:
        # JobScreen's handler runs after this one (Textual calls each class's): offer after it.
        if isinstance(message.error, KeyringUnavailable) and not self.ctx.secrets.session_only:
            self.call_later(self._offer_this_run, message.error)

    @on(Button.Pressed, "#this-run")
    def _this_run_only(self) -> None:
        self.ctx.secrets.keep_for_this_run()
        self.query_one("#this-run").display = False
        self.query_one(ErrorPanel).show_error(None)
        self.notify("The client secret is kept in memory for this run only: a relaunch will ask for it again.")
        self.start()

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#start").disabled = False
        self.query_one("#job-status", Static).update("")
        self.query_one(ErrorPanel).show_error(message.error)

    # -- the job -------------------------------------------------------------------------------------
    def job(self) -> None:
        az, cloud = self.ctx.state.azure, current_cloud()
        credential = (signin.setup_credential(az, self.ctx.secrets) if self._admin_path
                      else porter_credential(az, self.ctx.secrets, cloud))
        run = access.AccessRun(cloud, credential, self.ctx.state, self.ctx.secrets,
                               save=self.wizard.save_progress_from_thread, role_check=self._role_check,
                               cancelled=cancelled, sleep=interruptible_sleep)
        if self._admin_path:
            access.set_up(run, self.report_step)
        else:
            access.verify(run, self.report_step)

    def finished(self, result) -> str:
        if self.ctx.state.azure.consent == "manual":
            kept = (" The client secret is kept for this run only: a relaunch will need it again."
                    if self.ctx.secrets.session_only else "")
            return ("✓ Set up, except admin consent: an administrator must grant it in the portal "
                    f"({access.CONSENT_PORTAL_PATH}). Porter's workload identities need it; the "
                    "cluster can be provisioned meanwhile." + kept)
        if self.ctx.secrets.session_only:
            return ("✓ The service principal is ready. Its client secret is kept in memory for this run "
                    "only (no keyring here): a relaunch will need it again (type it at Sign in, or run "
                    "this setup again).")
        return "✓ The service principal is ready."
