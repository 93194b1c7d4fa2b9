"""vCPU quotas: does the subscription have room in the region for the cluster's nodes? If not,
ask Azure for more (the docs recommend 40 of each), or show the portal page to ask there.

Both checks run at once. By default the wizard requests increases itself and follows them, also
across a relaunch; Continue stays disabled until both pass, and the screen says why.
"""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Static

from wizard.azure import quotas as q
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.azure.plan import plan_for
from wizard.errors import WizardError

from .plain import plain
from .azure_messages import Checked, ChecksDone, RequestUpdate
from .base import WizardScreen
from .widgets.quota_row import QuotaHeader, QuotaRow
from .worker_tools import cancelled, interruptible_sleep


class AzureQuotasScreen(WizardScreen):
    STEP = "azure.quotas"
    POLL_SECONDS = 15.0  # Azure approves most vCPU increases within minutes

    def __init__(self) -> None:
        super().__init__()
        self._checks: dict[str, q.VcpuCheck] = {}
        self._requests: dict[str, q.IncreaseRequest] = {}
        self._failures: dict[str, WizardError] = {}

    @property
    def _needs(self) -> list[q.VcpuNeed]:
        az = self.ctx.state.azure
        return q.needs(plan_for(self.ctx.state.project, az.region, az.tier))

    def compose_body(self) -> ComposeResult:
        az = self.ctx.state.azure
        yield Static(plain(f"Check the subscription's vCPU quotas in {az.region}"), classes="title")
        yield Static(
            plain("Azure caps how many vCPUs a subscription may run in a region, in total and per VM "
            f"family. The cluster's nodes need the numbers below; Porter recommends {q.RECOMMENDED} "
            "of each so the cluster can grow."), classes="lead")
        yield Checkbox(plain(f"Request increases to {q.RECOMMENDED} automatically (recommended)"),
                       value=az.quota_auto, id="auto")
        with Vertical(id="quota-table"):
            yield QuotaHeader()
            for need in self._needs:
                yield QuotaRow(need.key, need.label, need.needed)
        yield Static("", id="manual-links", classes="field-hint")
        yield Static("Checking…", id="why")
        with Horizontal(classes="buttons"):
            yield Button("Check again", id="recheck")
            yield Button("Continue", id="continue", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#manual-links").display = False
        self._check()

    def _client(self):
        az, cloud = self.ctx.state.azure, current_cloud()
        return q.client(cloud, porter_credential(az, self.ctx.secrets, cloud), az.subscription_id)

    @work(thread=True, exclusive=True, group="quota-checks")
    def _check(self) -> None:
        az = self.ctx.state.azure
        try:
            q.check_all(self._client(), az.subscription_id, az.region, self._needs,
                        on_check=lambda c: self.post_message(Checked(c)))
        except WizardError as err:  # no credential at all: every row says so
            for need in self._needs:
                self.post_message(Checked(q.VcpuCheck(need, error=err)))
        self.post_message(ChecksDone())

    def on_checked(self, message: Checked) -> None:
        check = message.check
        self._checks[check.need.key] = check
        self.query_one(f"#quota-{check.need.key}", QuotaRow).show_check(check)
        self._explain()

    def on_checks_done(self, _message: ChecksDone) -> None:
        az = self.ctx.state.azure
        short = [c for c in self._checks.values() if c.error is None and not c.ok]
        saved = {k: v for k, v in az.quota_requests.items() if k in {c.need.key for c in short}}
        # Not again for a request Azure already answered: a denial needs the user, not a loop.
        answered = {k for k, r in self._requests.items() if r.done}
        todo = [c for c in short if c.need.key not in set(saved) | set(self._failures) | answered]
        if saved or (todo and az.quota_auto):
            self._request_and_follow(todo if az.quota_auto else [], saved)
        self._explain()

    @work(thread=True, exclusive=True, group="quota-requests")
    def _request_and_follow(self, todo: list[q.VcpuCheck], following: dict[str, str]) -> None:
        az = self.ctx.state.azure
        client, open_requests = self._client(), dict(following)
        # Re-check only when Azure granted something: after a failure or a denial nothing changed,
        # and a re-check would wipe the reasons the user has to read (and retry on its own).
        granted = False
        for check in todo:
            try:
                request = q.request_increase(client, az.subscription_id, az.region, check)
            except WizardError as err:
                self.post_message(RequestUpdate((check.need.key, err)))
                continue
            self.post_message(RequestUpdate(request))
            granted |= request.approved
            if not request.done:
                open_requests[request.key] = request.request_id
        while open_requests and not cancelled():
            interruptible_sleep(self.POLL_SECONDS)
            for key, request_id in list(open_requests.items()):
                try:
                    request = q.request_status(client, az.subscription_id, az.region, key, request_id)
                except WizardError as err:
                    self.post_message(RequestUpdate((key, err)))
                    open_requests.pop(key)
                    continue
                self.post_message(RequestUpdate(request))
                granted |= request.approved
                if request.done:
                    open_requests.pop(key)
        if granted and not cancelled():
            self.app.call_from_thread(self._recheck_quietly)

    def on_request_update(self, message: RequestUpdate) -> None:
        az = self.ctx.state.azure
        if isinstance(message.request, tuple):
            key, error = message.request
            self._failures[key] = error
            az.quota_requests.pop(key, None)
        else:
            request = message.request
            self._requests[request.key] = request
            if request.done:
                az.quota_requests.pop(request.key, None)
            else:
                az.quota_requests[request.key] = request.request_id
            self._show_request(request)
        self.wizard.save_progress()
        self._explain()

    def _show_request(self, request: q.IncreaseRequest) -> None:
        check = self._checks.get(request.key)
        if check and check.ok:
            return
        row = self.query_one(f"#quota-{request.key}", QuotaRow)
        if request.approved:
            row._result(Text("✓ increase approved; re-checking", style="green"), busy=True)
        elif request.done:
            row._result(plain(f"✗ increase {request.state.lower()}", style="red"))
        else:
            row._result(plain(f"… increase requested: {request.state}", style="yellow"), busy=True)

    def _explain(self) -> None:
        az, problems = self.ctx.state.azure, []
        pending = [n for n in self._needs if n.key not in self._checks]
        for need in self._needs:
            check = self._checks.get(need.key)
            if check is None or check.ok:
                continue
            if check.error:
                problems.append(f"{need.label}: could not be checked. {check.error.what} {check.error.next_step}")
                continue
            request, failure = self._requests.get(need.key), self._failures.get(need.key)
            if failure:
                state = f"the increase request failed: {failure.what}"
            elif request and request.done and not request.approved:
                state = f"Azure did not approve the increase ({request.message or request.state})"
            elif request and not request.done:
                state = f"increase requested ({request.state})"
            elif request and request.approved:
                state = "increase approved, re-checking"
            elif az.quota_auto:
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
            why.update(plain("Provisioning waits until both quotas have room:\n  • " + "\n  • ".join(problems)))
        else:
            why.update("✓ Both quotas have room for the cluster.")
            button.focus()

    def _show_links(self) -> None:
        az = self.ctx.state.azure
        # In the plan's order, as the reasons above list them (the checks answer in any order).
        checks = [self._checks[n.key] for n in self._needs if n.key in self._checks]
        short = [c for c in checks if c.error is None and not c.ok]
        show = bool(short) and (not az.quota_auto or any(
            k in self._failures or (k in self._requests and self._requests[k].done and not self._requests[k].approved)
            for k in (c.need.key for c in short)))
        links = self.query_one("#manual-links", Static)
        links.display = show
        if show:
            url = q.portal_url(az.subscription_id, az.region, short[0].need.key)
            lines = [f"{c.need.label}: ask for {c.desired}" for c in short]
            links.update(plain("Request these in the Azure portal (Subscription → Usage + quotas, filter "
                         f"Compute and {az.region}), then press Check again:\n" + "\n".join(lines)
                         + f"\n{url}"))
            self.wizard.exit_notes["quota-links"] = "Quota increases to request:\n" + "\n".join(lines) + f"\n{url}"

    @on(Checkbox.Changed, "#auto")
    def _auto_changed(self, event: Checkbox.Changed) -> None:
        self.ctx.state.azure.quota_auto = event.value
        self.wizard.save_progress()
        self._recheck()

    def _recheck_quietly(self) -> None:
        self._checks.clear()
        for need in self._needs:
            self.query_one(f"#quota-{need.key}", QuotaRow).checking()
        self.query_one("#continue", Button).disabled = True
        self._check()

    @on(Button.Pressed, "#recheck")
    def _recheck(self) -> None:
        self._failures.clear()
        self._requests.clear()
        self._recheck_quietly()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.exit_notes.pop("quota-links", None)
        self.wizard.goto("azure.cost")
