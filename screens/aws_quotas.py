"""Service quotas: is there room in the account for the cluster? If not, ask AWS for more.

Every check runs at once and each row fills in as its answer arrives. By default the wizard
requests the increases itself and follows each request; the manual route shows a console link per
quota. Continue stays disabled until every check passes, and the screen says why.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Static

from wizard.aws import quotas as q
from wizard.aws.connection import work_session
from wizard.aws.plan import plan_for
from wizard.errors import WizardError

from .plain import plain
from .base import WizardScreen
from .messages import QuotaChecked, QuotaChecksDone, QuotaRequestFailed, QuotaRequestUpdate
from .widgets.quota_row import QuotaHeader, QuotaRow
from .worker_tools import cancelled, interruptible_sleep


class AwsQuotasScreen(WizardScreen):
    STEP = "aws.quotas"
    #: How often open increase requests are asked about (AWS approves most in minutes).
    POLL_SECONDS = 15.0

    def __init__(self) -> None:
        super().__init__()
        self._checks: dict[str, q.QuotaCheck] = {}
        self._requests: dict[str, q.IncreaseRequest] = {}
        self._failed_requests: dict[str, WizardError] = {}

    @property
    def _plan(self):
        return plan_for(self.ctx.state.project, self.ctx.state.aws.region)

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        yield Static(plain(f"Check the account's limits in {aws.region}"), classes="title")
        yield Static(
            "AWS caps how much of each resource an account may have in a region. The wizard "
            "compares those service quotas with what the cluster needs plus what you already use.",
            classes="lead")
        yield Checkbox("Request the increases the cluster needs automatically (recommended)",
                       value=aws.quota_auto, id="auto")
        with Vertical(id="quota-table"):
            yield QuotaHeader()
            for need in q.needs(self._plan):
                yield QuotaRow(need.key, need.label, need.needed)
        yield Static("", id="manual-links", classes="field-hint")
        yield Static("Checking…", id="why")
        with Horizontal(classes="buttons"):
            yield Button("Check again", id="recheck")
            yield Button("Continue", id="continue", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#manual-links").display = False
        self._check()

    def _row(self, key: str) -> QuotaRow:
        return self.query_one(f"#quota-{key}", QuotaRow)

    def _session(self):
        return work_session(self.ctx.state.aws, self.ctx.secrets)

    @work(thread=True, exclusive=True, group="quota-checks")
    def _check(self) -> None:
        try:
            checks = q.check_all(self._session(), self._plan,
                                 on_result=lambda check: self.post_message(QuotaChecked(check)))
        except WizardError as err:  # no session could be had (credentials, network)
            checks = [q.QuotaCheck(need, error=err) for need in q.needs(self._plan)]
            for check in checks:
                self.post_message(QuotaChecked(check))
        self.post_message(QuotaChecksDone(checks))

    def on_quota_checked(self, message: QuotaChecked) -> None:
        check = message.check
        self._checks[check.need.key] = check
        row = self._row(check.need.key)
        request = self._requests.get(check.need.key)
        if request and not request.done and not check.ok:
            row.show_request(request)
        else:
            row.show_check(check)
        self._explain()

    def on_quota_checks_done(self, message: QuotaChecksDone) -> None:
        short = [c for c in message.checks if c.error is None and not c.ok]
        saved = self.ctx.state.aws.quota_requests
        resumable = {k: v for k, v in saved.items() if k in {c.need.key for c in short}}
        if resumable:
            self._follow(resumable)  # requests made before a relaunch: keep following them
        todo = [c for c in short if c.need.key not in saved and c.need.key not in self._failed_requests]
        if todo and self.ctx.state.aws.quota_auto:
            self._request(todo)
        self._explain()

    @work(thread=True, group="quota-requests")
    def _request(self, checks: list[q.QuotaCheck]) -> None:
        session = self._session()
        made = {}
        for check in checks:
            try:
                request = q.request_increase(session, check)
            except WizardError as err:
                self.post_message(QuotaRequestFailed(check.need.key, err))
                continue
            made[check.need.key] = request.request_id
            self.post_message(QuotaRequestUpdate(request))
        if made:
            self._follow(made)

    @work(thread=True, exclusive=True, group="quota-follow")
    def _follow(self, requests: dict[str, str]) -> None:
        session = self._session()
        # Exclusive: starting this cancels an earlier follower, so take over what it followed
        # (every open request the state records) as well as the new ones.
        open_requests = {**dict(self.ctx.state.aws.quota_requests), **requests}
        while open_requests and not cancelled():
            for key, request_id in list(open_requests.items()):
                try:
                    request = q.request_status(session, key, request_id)
                except WizardError as err:
                    self.post_message(QuotaRequestFailed(key, err))
                    open_requests.pop(key)
                    continue
                self.post_message(QuotaRequestUpdate(request))
                if request.done:
                    open_requests.pop(key)
                    if request.approved:
                        need = next(n for n in q.needs(self._plan) if n.key == key)
                        with ThreadPoolExecutor(2) as pool:
                            check = q.check_one(q.clients_for(session), need, pool)
                        self.post_message(QuotaChecked(check))
            if open_requests:
                interruptible_sleep(self.POLL_SECONDS)

    def on_quota_request_update(self, message: QuotaRequestUpdate) -> None:
        request = message.request
        self._requests[request.key] = request
        aws = self.ctx.state.aws
        if request.done:
            aws.quota_requests.pop(request.key, None)
        else:
            aws.quota_requests[request.key] = request.request_id
        self.wizard.save_progress()
        check = self._checks.get(request.key)
        if not (check and check.ok):
            self._row(request.key).show_request(request)
        self._explain()

    def on_quota_request_failed(self, message: QuotaRequestFailed) -> None:
        self._failed_requests[message.key] = message.error
        self.ctx.state.aws.quota_requests.pop(message.key, None)
        self.wizard.save_progress()
        self._explain()

    def _explain(self) -> None:
        """Say exactly why Continue is (still) disabled, or enable it."""
        needs = q.needs(self._plan)
        pending = [n for n in needs if n.key not in self._checks]
        problems = []
        for need in needs:
            check = self._checks.get(need.key)
            if check is None or check.ok:
                continue
            if check.error:
                problems.append(f"{need.label}: could not be checked ({check.error.what})")
                continue
            request = self._requests.get(need.key)
            failure = self._failed_requests.get(need.key)
            if failure:
                state = f"the increase request failed: {failure.what}"
            elif request and request.done and not request.approved:
                state = f"AWS {request.status.lower().replace('_', ' ')} the increase; open a case with AWS Support"
            elif request:
                state = f"increase requested ({request.status})"
            elif self.ctx.state.aws.quota_auto:
                state = "requesting an increase"
            else:
                state = "request an increase with the link below"
            problems.append(f"{need.label}: short by {check.short_by}, {state}")
        self._show_links()
        button, why = self.query_one("#continue", Button), self.query_one("#why", Static)
        button.disabled = bool(pending or problems)
        if pending:
            why.update(plain(f"Checking {len(pending)} more quota(s)…"))
        elif problems:
            why.update(plain("Provisioning waits until every quota has room:\n  • " + "\n  • ".join(problems)))
        else:
            why.update("✓ Every quota has room for the cluster.")
            button.focus()

    def _show_links(self) -> None:
        aws = self.ctx.state.aws
        partition = aws.partition
        # In the plan's order, as the reasons above list them (the checks answer in any order).
        checks = [self._checks[n.key] for n in q.needs(self._plan) if n.key in self._checks]
        short = [c for c in checks if c.error is None and not c.ok]
        show = bool(short) and (not aws.quota_auto or any(
            k in self._failed_requests or (k in self._requests and self._requests[k].done)
            for k in (c.need.key for c in short)))
        links = self.query_one("#manual-links", Static)
        links.display = show
        if show:
            lines = [f"{c.need.label} (ask for {c.desired}): {q.console_url(c.need, aws.region, partition)}"
                     for c in short]
            links.update(plain("Request these in the AWS console (Service Quotas), then press Check again:\n"
                         + "\n".join(lines)))
            self.wizard.exit_notes["quota-links"] = "Quota increases to request:\n" + "\n".join(lines)

    @on(Checkbox.Changed, "#auto")
    def _auto_changed(self, event: Checkbox.Changed) -> None:
        self.ctx.state.aws.quota_auto = event.value
        self.wizard.save_progress()
        self._recheck()

    @on(Button.Pressed, "#recheck")
    def _recheck(self) -> None:
        self._checks.clear()
        self._failed_requests.clear()
        for need in q.needs(self._plan):
            self._row(need.key).checking()
        self.query_one("#continue", Button).disabled = True
        self._check()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.exit_notes.pop("quota-links", None)
        self.wizard.goto("aws.cost")
