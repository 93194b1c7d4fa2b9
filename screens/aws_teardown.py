"""Tear down: delete the cluster's resources, then (confirmed separately) the PorterRole stack,
then sweep the account for anything still tagged with the cluster's name."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wizard.aws import role_stack as rs
from wizard.aws.connection import user_session, work_session
from wizard.aws.plan import TAG_KEY, plan_for
from wizard.aws.provision import Run
from wizard.aws.sweep import sweep
from wizard.aws.teardown import steps, teardown
from wizard.errors import Cancelled, CloudError, WizardError

from .plain import plain
from .base import WizardScreen
from .messages import RunFinished, RunStopped, StepChanged, SweepDone
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.step_list import StepList
from .worker_tools import cancelled, interruptible_sleep, run_and_report

ACTIONS = ("delete-cluster", "delete-stack", "delete-leftovers", "sweep", "done")
# The kinds teardown itself deletes (by tag or name); anything else found gets a console link.
DELETABLE = {"vpc", "subnet", "internet-gateway", "elastic-ip", "natgateway", "route-table",
             "loadbalancer", "cluster", "role"}
# RoleStack's advice on a DELETE_FAILED stack names the Grant step's event log and Retry button;
# this screen shows neither, and tries again with its own button.
STACK_RETRY = ("Delete what blocks it in the CloudFormation console (named above), then press "
               "Delete the PorterRole stack again.")


class AwsTeardownScreen(WizardScreen):
    STEP = "aws.teardown"
    POLL_SECONDS = 10.0

    def __init__(self) -> None:
        super().__init__()
        self._leftovers: list = []
        #: What is running: "cluster", "sweep" or "stack"; a stop offers to redo that one.
        self._phase = "cluster"

    def compose_body(self) -> ComposeResult:
        state, aws = self.ctx.state, self.ctx.state.aws
        yield Static(plain(f"Tear down {state.project} in {aws.region}"), classes="title")
        yield Static(
            plain("Deletes what the wizard provisioned, newest first (node group, cluster, load "
            "balancer, NAT gateway, network, IAM roles). Only resources tagged "
            f"{TAG_KEY}={state.project} are touched. The PorterRole stack is deleted only after, "
            "and only if you confirm that separately: Porter needs the role to delete anything."),
            classes="lead")
        yield StepList([(key, label) for key, label, _ in steps()], id="steps")
        yield Static("Nothing has been deleted yet.", id="teardown-status")
        yield Static("", id="leftovers", classes="facts")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button("Delete the cluster…", id="delete-cluster", variant="error")
            yield Button("Delete the PorterRole stack…", id="delete-stack", variant="error")
            yield Button("Delete these leftovers…", id="delete-leftovers", variant="error")
            yield Button("Look again", id="sweep")
            yield Button("Done", id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#leftovers").display = False
        status = self.ctx.state.aws.teardown_status
        if status == "done":
            self._said("The cluster's resources were deleted. Look again for leftovers, or delete "
                       "the PorterRole stack to revoke Porter's access.")
            self._offer("sweep", "delete-stack", "done")
        elif status == "running":
            self._said("A teardown was interrupted. Delete the cluster again to finish it: what is "
                       "already gone is skipped.")
            self._offer("delete-cluster")
        else:
            self._offer("delete-cluster")

    def _offer(self, *names: str) -> None:
        for name in ACTIONS:
            self.query_one(f"#{name}", Button).display = name in names
        if names:
            self.query_one(f"#{names[0]}", Button).focus()

    def _confirm(self, title: str, body: str, label: str, then) -> None:
        if self.ctx.force:
            then()
            return
        self.app.push_screen(ConfirmModal(title, body, label),
                             lambda yes: then() if yes else self._said("Nothing was deleted."))

    def _said(self, text: str) -> None:
        self.query_one("#teardown-status", Static).update(plain(text))

    def _run_obj(self) -> Run:
        state = self.ctx.state
        return Run(work_session(state.aws, self.ctx.secrets), plan_for(state.project, state.aws.region),
                   cancelled=cancelled, sleep=interruptible_sleep, poll_seconds=self.POLL_SECONDS)

    # -- the cluster --------------------------------------------------------------------------

    @on(Button.Pressed, "#delete-cluster")
    def _delete_cluster(self) -> None:
        state = self.ctx.state
        self._confirm("Delete the cluster?",
                      f"Every resource tagged {TAG_KEY}={state.project} in {state.aws.region} of "
                      f"account {state.aws.account_id} is deleted, with the workloads running on "
                      "the cluster. This cannot be undone.", "Delete the cluster", self._start)

    def _start(self) -> None:
        self._phase = "cluster"
        self.ctx.state.aws.teardown_status = "running"
        self.wizard.save_progress()
        self._offer()
        self.query_one(ErrorPanel).show_error(None)
        self._said("Deleting… (this can take 15 minutes; Esc stops waiting)")
        self._teardown()

    @work(thread=True, exclusive=True, group="teardown")
    def _teardown(self) -> None:
        def job() -> str:
            teardown(self._run_obj(), lambda step: self.post_message(StepChanged(step)))
            return "cluster"
        run_and_report(self, job)

    def on_step_changed(self, message: StepChanged) -> None:
        self.query_one(StepList).update_step(message.step)

    def on_run_stopped(self, message: RunStopped) -> None:
        self.query_one(ErrorPanel).show_error(message.error)
        if self._phase == "sweep":
            self._said("The look for leftovers did not finish.")
            self._offer("sweep", "delete-stack")
        elif self._phase == "stack":
            self._said("The PorterRole stack was not deleted.")
            self._offer("delete-stack", "done")
        else:
            self._said("Stopped. Press Delete again to continue; what is already gone is skipped.")
            self._offer("delete-cluster")

    def on_run_finished(self, message: RunFinished) -> None:
        aws = self.ctx.state.aws
        if message.result == "cluster":
            aws.teardown_status, aws.provision_status, aws.cluster_arn = "done", "", ""
            self.wizard.save_progress()
            self._said("✓ The cluster's resources are deleted. Looking for anything left behind…")
            self._sweep()
        else:  # the stack
            aws.stack_id = aws.role_arn = aws.assumed_arn = aws.verified_at = ""
            self.wizard.save_progress()
            self._said("✓ The PorterRole stack is deleted: Porter has no access to this account now.")
            self._offer("done")

    # -- leftovers ----------------------------------------------------------------------------

    def _sweep(self) -> None:
        self._phase = "sweep"
        self._run_sweep()

    @work(thread=True, exclusive=True, group="sweep")
    def _run_sweep(self) -> None:
        try:
            self.post_message(SweepDone(sweep(self._run_obj())))
        except WizardError as err:
            self.post_message(RunStopped(err))

    @on(Button.Pressed, "#sweep")
    def _sweep_again(self) -> None:
        self._said("Looking for anything left behind…")
        self._sweep()

    def on_sweep_done(self, message: SweepDone) -> None:
        self._leftovers = message.leftovers
        box = self.query_one("#leftovers", Static)
        aws = self.ctx.state.aws
        partition = aws.partition
        if not self._leftovers:
            box.display = False
            self._said("✓ Nothing tagged with the cluster's name is left in this region. "
                       "Delete the PorterRole stack too, to revoke Porter's access?")
            self._offer("delete-stack", "done")
            return
        lines = [f"{lo.kind:<18} {lo.ident}\n  {lo.console_url(partition)}" for lo in self._leftovers]
        box.update(plain("Still in the account:\n" + "\n".join(lines)))
        box.display = True
        self.wizard.exit_notes["leftovers"] = "Left in the account after teardown:\n" + "\n".join(lines)
        deletable = [lo for lo in self._leftovers if lo.kind in DELETABLE]
        manual = len(self._leftovers) - len(deletable)
        self._said(f"{len(self._leftovers)} resource(s) still carry the cluster's tag."
                   + (f" {manual} of them are of kinds the wizard does not make: delete those "
                      "through their console links." if manual else ""))
        self._offer(*(("delete-leftovers",) if deletable else ()), "sweep", "delete-stack")

    @on(Button.Pressed, "#delete-leftovers")
    def _delete_leftovers(self) -> None:
        names = ", ".join(lo.ident for lo in self._leftovers if lo.kind in DELETABLE)
        self._confirm("Delete what is left?", f"These will be deleted: {names}.", "Delete them", self._start)

    # -- the role -----------------------------------------------------------------------------

    @on(Button.Pressed, "#delete-stack")
    def _delete_stack(self) -> None:
        aws = self.ctx.state.aws
        self._confirm("Delete the PorterRole stack?",
                      f"The role Porter assumes in account {aws.account_id} is deleted: Porter "
                      "loses all access to this account, including to anything you provisioned in "
                      "other regions.", "Delete the stack", self._start_stack)

    def _start_stack(self) -> None:
        self._phase = "stack"
        self._offer()
        self._said("Deleting the PorterRole stack…")
        self._delete_role_stack()

    @work(thread=True, exclusive=True, group="teardown")
    def _delete_role_stack(self) -> None:
        aws = self.ctx.state.aws

        def job() -> str:
            stack = rs.RoleStack(user_session(aws, self.ctx.secrets), aws.home_region, aws.stack_name)
            try:
                if not stack.delete_and_wait(lambda event: None, cancelled=cancelled, sleep=interruptible_sleep):
                    raise Cancelled("deleting the stack")
            except CloudError as err:
                if err.code != "DELETE_FAILED":
                    raise
                raise CloudError(err.title, err.what, STACK_RETRY, code=err.code) from err
            return "stack"
        run_and_report(self, job)

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.exit()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group in ("teardown", "sweep") and w.is_running]
        for worker in running:
            worker.cancel()
        if not running:
            super().action_back()
