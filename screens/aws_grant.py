"""Grant permissions: the PorterRole stack that creates the role the platform assumes.

The ExternalId comes first. When the user works with Porter's dashboard ("manual" mode), it is
Porter's: the screen asks for the dashboard's link (or the ExternalId alone) and creates exactly
the stack that link describes. Otherwise the wizard makes it, in the dashboard's shape (a uuid4).

Then it finds what the account already has, and offers only what makes sense for it: create (here
or in the console) when there is nothing, reuse or update-after-confirmation when there is a stack,
delete-and-retry (after confirmation) when a previous attempt failed.
"""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from wizard.aws import role_stack as rs
from wizard.aws.connection import user_session
from wizard.aws.console import console_host
from wizard.aws.porter_link import PorterLink
from wizard.browser import can_open_browser, open_page
from wizard.errors import WizardError
from wizard.logs import log

from .plain import plain, printable
from .base import WizardScreen
from .worker_tools import cancelled as _cancelled
from .worker_tools import interruptible_sleep as _sleep
from .messages import StackLooked, StackProgress, StackSettled, StepFailed
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.porter_link_ask import PorterLinkAsk
from .widgets.progress_log import ProgressLog

ACTIONS = ("create", "console", "reuse", "update", "delete-retry", "retry", "continue")
STANDALONE = ("No Porter project yet: the wizard made this ExternalId; give Porter the role ARN and "
              "this ExternalId when you create the project.")


class AwsGrantScreen(WizardScreen):
    STEP = "aws.grant"

    def __init__(self) -> None:
        super().__init__()
        self._found: StackLooked | None = None
        #: The link pasted from Porter's dashboard (manual mode): its template and parameters.
        self._link: PorterLink | None = None

    @property
    def _manual(self) -> bool:
        return self.ctx.state.porter_mode == "manual"

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        if not aws.external_id and not self._manual:
            aws.external_id = rs.new_external_id()
            self.wizard.save_progress()
        yield Static("Grant Porter access to your account", classes="title")
        yield Static(
            plain("Porter manages your cluster by assuming an IAM role in your account; no access keys "
            f"leave it. The CloudFormation stack {aws.stack_name} creates that role. It trusts "
            f"Porter's AWS identity ({rs.PLATFORM_PRINCIPAL}) alone, and only when it presents "
            "this project's ExternalId."), classes="lead")
        if self._manual:
            yield PorterLinkAsk(aws.external_id, sandbox=self.ctx.sandbox, id="porter-ask")
        elif self.ctx.state.porter_mode == "standalone":
            yield Static(plain(STANDALONE), id="standalone-note", classes="lead")
        yield Static(plain(self._facts()), id="facts", classes="facts")
        yield Static("Looking for an existing stack…", id="status")
        with Horizontal(id="actions", classes="buttons"):
            yield Button("Create the stack now", id="create", variant="primary")
            yield Button("Create it in the AWS console", id="console")
            yield Button("Reuse it", id="reuse", variant="primary")
            yield Button("Update it…", id="update", variant="warning")
            yield Button("Delete it and try again…", id="delete-retry", variant="error")
            yield Button("Retry", id="retry")
            yield Button("Continue", id="continue", variant="primary")
        with Vertical(id="console-panel"):
            yield Static(
                plain("Open this link while signed in to the AWS console as account "
                f"{aws.account_id}. At the bottom of the page, tick “I acknowledge that AWS "
                "CloudFormation might create IAM resources with custom names” and press Create "
                "stack. The wizard watches for the stack and says when it is ready."))
            yield Input(id="link", classes="link")
            with Horizontal(classes="buttons"):
                yield Button("Copy link", id="copy")
                yield Button("Open in browser", id="open")
        yield ProgressLog(id="progress")
        yield ErrorPanel(id="error")

    def _facts(self) -> str:
        aws = self.ctx.state.aws
        facts = (f"Account     {aws.account_id}\nRegion      {aws.home_region}\n"
                 f"Stack       {aws.stack_name}\nExternalId  {aws.external_id}")
        if self._link:
            where = ("Porter's" if self._link.porters_template
                     else "NOT Porter's usual address: go on only if you trust the link's source")
            facts += f"\nTemplate    {self._link.template_url} ({where})"
        return facts

    def _say(self, text: str) -> None:
        # Stack reasons and pasted values are the cloud's and the user's words: never markup.
        self.query_one("#status", Static).update(plain(text))

    def on_mount(self) -> None:
        self.query_one("#console-panel").display = False
        self._offer()
        if self._manual:
            self.query_one("#facts").display = False
            self._say("Paste what Porter's dashboard gave you first.")
            self.query_one(PorterLinkAsk).focus_field()
            return
        self._look()

    def on_porter_link_ask_accepted(self, message: PorterLinkAsk.Accepted) -> None:
        aws = self.ctx.state.aws
        self._link = message.link
        aws.external_id = message.external_id
        if message.link:
            aws.stack_name = message.link.stack_name
            aws.home_region = message.link.region or aws.home_region  # where its stack will be
        self.wizard.save_progress()
        self.query_one("#porter-ask").display = False
        facts = self.query_one("#facts", Static)
        facts.update(plain(self._facts()))
        facts.display = True
        self._say("Looking for an existing stack…")
        self._look()

    def _offer(self, *actions: str) -> None:
        for name in ACTIONS:
            self.query_one(f"#{name}", Button).display = name in actions
        if actions:
            self._focus(f"#{actions[0]}")

    def _focus(self, selector: str) -> None:
        button = self.query_one(selector, Button)
        button.focus()
        # Shown just now, its place is known only after the next layout; at 80x24 it may be below.
        self.call_after_refresh(button.scroll_visible, animate=False)

    def _stack(self) -> rs.RoleStack:
        aws = self.ctx.state.aws
        session = user_session(aws, self.ctx.secrets)
        return rs.RoleStack(session, aws.home_region or session.region_name, aws.stack_name)

    # -- what is there ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="stack")
    def _look(self) -> None:
        try:
            stack = self._stack()
            info = stack.describe()
            matches = bool(info and info.usable and stack.template_matches())
            failure = rs.failure_reason(stack.events(info.stack_id)) if info and info.dead else ""
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(StackLooked(info, matches, failure))

    def on_stack_looked(self, message: StackLooked) -> None:
        self._found = message
        info, aws = message.info, self.ctx.state.aws
        if info is None:
            self._say(f"There is no {aws.stack_name} stack in {aws.home_region} yet. Create it "
                      "from here with your credentials, or in the AWS console.")
            self._offer("create", "console")
        elif info.in_progress:
            self._say(f"{aws.stack_name} is changing ({info.status}); watching it.")
            self._offer()
            self._watch(wait_for_stack=False)
        elif info.dead:
            self._say(f"{aws.stack_name} is left from a failed attempt ({info.status}).\n"
                      f"Cause: {message.failure or info.reason or 'not recorded'}")
            self._offer("delete-retry")
        else:
            theirs, differences = info.external_id, []
            if theirs != aws.external_id:
                whose = "the one Porter gave" if self._manual else "this project's"
                differences.append(f"its ExternalId ({theirs or 'none'}) is not {whose}")
            if not message.template_matches:
                differences.append("its template differs from the one this wizard ships")
            # With Porter's dashboard, Porter holds its own ExternalId: adopting the stack's would
            # leave Porter unable to assume the role.
            reusable = info.role_arn and not (self._manual and theirs != aws.external_id)
            if not differences:
                self._say(f"{aws.stack_name} already exists and matches; it will be reused.")
                self._offer("reuse")
            else:
                self._say(f"{aws.stack_name} already exists, but " + " and ".join(differences)
                          + (". Reuse it as it is, or update it (after you confirm)." if reusable
                             else ". Update it (after you confirm)."))
                self._offer(*(("reuse", "update") if reusable else ("update",)))

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one(ProgressLog).stop("Stopped.")
        self.query_one(ErrorPanel).show_error(message.error)
        self._say("Something went wrong; see below.")
        self._offer("retry")

    # -- the actions --------------------------------------------------------------------------

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.query_one(ErrorPanel).show_error(None)
        self._say("Looking for an existing stack…")
        self._offer()
        self._look()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        self.ctx.state.aws.grant_path = "create"
        self.wizard.save_progress()
        self._change("create")

    @on(Button.Pressed, "#reuse")
    def _reuse(self) -> None:
        info = self._found.info if self._found else None
        if info is None:
            return
        # Reusing means taking the stack's ExternalId: the one its role's trust policy requires.
        theirs = info.external_id
        if theirs:
            self.ctx.state.aws.external_id = theirs
        self._settled(info)

    @on(Button.Pressed, "#update")
    def _update(self) -> None:
        aws = self.ctx.state.aws
        body = (f"This changes the existing {aws.stack_name} stack in account {aws.account_id}: its "
                f"role will require the ExternalId {aws.external_id} and follow this wizard's "
                "template. Anything else using the old ExternalId (another Porter project, say) "
                "will lose access.")
        self._confirm_then("Update the PorterRole stack?", body, "Update the stack", "update")

    @on(Button.Pressed, "#delete-retry")
    def _delete_retry(self) -> None:
        aws = self.ctx.state.aws
        body = (f"The failed {aws.stack_name} stack will be deleted from account {aws.account_id} "
                "(it created no working role), then created again.")
        self._confirm_then("Delete the failed stack?", body, "Delete and retry", "delete-retry")

    def _confirm_then(self, title: str, body: str, label: str, action: str) -> None:
        if self.ctx.force:
            self._change(action)
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._change(action)
            else:
                self._say("Nothing was changed.")

        self.app.push_screen(ConfirmModal(title, body, label), decided)

    def _change(self, action: str) -> None:
        self._offer()
        self.query_one(ErrorPanel).show_error(None)
        verb = {"create": "Creating", "update": "Updating", "delete-retry": "Deleting"}[action]
        self._say(f"{verb} {self.ctx.state.aws.stack_name}…")
        self.query_one(ProgressLog).start(f"{verb} the stack")
        self._run(action)

    @work(thread=True, exclusive=True, group="stack")
    def _run(self, action: str) -> None:
        external_id = self.ctx.state.aws.external_id
        try:
            stack = self._stack()
            if action == "delete-retry":
                if not stack.delete_and_wait(self._event, cancelled=_cancelled, sleep=_sleep):
                    self.post_message(StackSettled(None, ""))
                    return
                action = "create"
            if action == "create":
                stack.create(external_id, self._link)
            else:
                stack.update(external_id, self._link)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self._follow(stack, wait_for_stack=False)

    def _event(self, event: rs.StackEvent) -> None:
        self.post_message(StackProgress(event))

    def _follow(self, stack: rs.RoleStack, *, wait_for_stack: bool) -> None:
        try:
            info = stack.watch(self._event, cancelled=_cancelled, wait_for_stack=wait_for_stack,
                               sleep=_sleep)
            failure = rs.failure_reason(stack.events(info.stack_id)) if info and not info.usable else ""
            if info and info.status == "UPDATE_ROLLBACK_COMPLETE":
                failure = rs.failure_reason(stack.events(info.stack_id))
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(StackSettled(info, failure))

    @work(thread=True, exclusive=True, group="stack")
    def _watch(self, wait_for_stack: bool) -> None:
        try:
            stack = self._stack()
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self._follow(stack, wait_for_stack=wait_for_stack)

    def on_stack_progress(self, message: StackProgress) -> None:
        event = message.event
        when = event.timestamp.strftime("%H:%M:%S") if event.timestamp else ""
        self.query_one(ProgressLog).add(when, event.logical_id, event.status, event.reason)

    def on_stack_settled(self, message: StackSettled) -> None:
        info, progress = message.info, self.query_one(ProgressLog)
        if info is None:
            progress.stop("Stopped watching.")
            self._say(
                "Stopped watching. Anything already started keeps going in AWS; come back to this "
                "step (or relaunch) to pick it up.")
            self._offer("retry")
            return
        if info.usable and info.role_arn:
            progress.stop(f"{info.status}.")
            if message.failure:  # UPDATE_ROLLBACK_COMPLETE: the old role is still there
                self.notify(printable(f"The update was rolled back: {message.failure}"), severity="warning",
                            title="Update did not apply", timeout=12, markup=False)
            self._record(info)
            self.query_one("#console-panel").display = False
            self._say(
                f"✓ {self.ctx.state.aws.stack_name} is ready ({info.status}). Role: {info.role_arn}")
            self._offer("continue")
            return
        progress.stop(f"{info.status}.")
        self._say(f"The stack ended in {info.status}.\n"
                  f"Cause: {message.failure or info.reason or 'not recorded'}")
        self._found = StackLooked(info, False, message.failure)
        self._offer("delete-retry" if info.dead else "retry")

    def _record(self, info: rs.StackInfo) -> None:
        aws = self.ctx.state.aws
        aws.stack_id, aws.role_arn = info.stack_id, info.role_arn
        changed = info.last_changed or datetime.now(timezone.utc)
        aws.stack_changed_at = changed.isoformat()
        self.wizard.save_progress()
        self.wizard.exit_notes.pop("quick-create", None)  # the link is done with

    def _settled(self, info: rs.StackInfo) -> None:
        self._record(info)
        self.wizard.goto("aws.verify")

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("aws.verify")

    # -- the console path ---------------------------------------------------------------------

    @on(Button.Pressed, "#console")
    def _console(self) -> None:
        aws = self.ctx.state.aws
        aws.grant_path = "console"
        self.wizard.save_progress()
        if self._link:  # Porter's own link, with the region the wizard watches
            url = self._link.console_url(aws.home_region, console_host(aws.partition))
        else:
            url = rs.quick_create_url(aws.home_region, aws.partition, aws.external_id)
        self.query_one("#link", Input).value = url
        log.info("quick-create link: %s", url)
        self.wizard.exit_notes["quick-create"] = (
            f"Create the {aws.stack_name} stack in the AWS console (account {aws.account_id}):\n{url}")
        self.query_one("#console-panel").display = True
        self.query_one("#open", Button).display = can_open_browser()
        self._offer()
        self._focus("#copy")
        self._say(f"Waiting for {aws.stack_name} to appear…")
        self.query_one(ProgressLog).start("Waiting for the stack")
        self._watch(wait_for_stack=True)

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        self.app.copy_to_clipboard(self.query_one("#link", Input).value)
        self.notify("Link copied (if your terminal allows clipboard access; otherwise select it).")

    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        if not open_page(self.query_one("#link", Input).value):
            self.notify("No local browser to open; copy the link instead.", severity="warning")

    def action_back(self) -> None:
        # Esc first stops a watch in progress; only a second Esc leaves the step.
        running = [w for w in self.workers if w.group == "stack" and w.is_running]
        if running:
            for worker in running:
                worker.cancel()
            return
        super().action_back()
