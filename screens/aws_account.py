"""AWS account: which credentials the wizard uses for setup, and which account to connect."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from wizard.aws import session as aws_session
from wizard.aws.account import normalise_account_id
from wizard.aws.keys import needs_session_token, validate_key_id, validate_secret
from wizard.errors import WizardError
from wizard.state import SecretRecord

from .plain import plain
from .base import WizardScreen
from .messages import IdentityFailed, IdentityFound, ProfilesLoaded
from .widgets.error_panel import ErrorPanel
from .widgets.field import Field

KEYS = "keys"
DEFAULT = "default"


def _optional(text: str) -> str:
    return text.strip()


class AwsAccountScreen(WizardScreen):
    STEP = "aws.account"

    def __init__(self) -> None:
        super().__init__()
        self._identity: IdentityFound | None = None
        self._source_key = ""

    def compose_body(self) -> ComposeResult:
        aws = self.ctx.state.aws
        yield Static("Which AWS account should Porter use?", classes="title")
        yield Static(
            "The wizard needs credentials that may create an IAM role (an administrator's, for "
            "setup only). They stay on this machine: Porter itself gets a role, never your keys.",
            classes="lead")
        yield Label("Credentials for setup", classes="field-label")
        yield OptionList(id="source")
        yield Static("", id="identity", classes="identity")
        with Vertical(id="keys"):
            problem = self.ctx.secrets.problem(cloud="aws")
            if problem:
                yield Static(plain(f"{problem.what}\n{problem.next_step}"), classes="warning", id="keyring-problem")
            yield Field("Access key ID", input_id="key-id", validate=validate_key_id,
                        placeholder="AKIA…")
            yield Field("Secret access key", input_id="secret", validate=validate_secret,
                        password=True, hint="Kept only in your OS keyring.")
            yield Field("Session token (temporary ASIA… keys only)", input_id="token",
                        validate=_optional, password=True)
            yield Button("Check these keys", id="check-keys", disabled=problem is not None)
        yield Field("AWS account ID", input_id="account-id", validate=normalise_account_id,
                    value=aws.account_id, placeholder="1234-5678-9012",
                    hint="12 digits, at the top right of the AWS console. Dashes and spaces are fine.")
        yield ErrorPanel(id="error")
        yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#keys").display = False
        self._load_profiles()

    # -- credential sources -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="profiles")
    def _load_profiles(self) -> None:
        self.post_message(ProfilesLoaded(aws_session.list_profiles()))

    def on_profiles_loaded(self, message: ProfilesLoaded) -> None:
        options = [Option(plain(f"Profile: {name}"), id=f"profile:{name}") for name in message.profiles]
        options.append(Option("Default credential chain (environment, SSO, instance role)", id=DEFAULT))
        options.append(Option("Type an access key…", id=KEYS))
        source = self.query_one("#source", OptionList)
        source.clear_options()
        source.add_options(options)
        saved = self._saved_source_key()
        ids = [o.id for o in options]
        source.highlighted = ids.index(saved) if saved in ids else 0
        source.focus()

    def _saved_source_key(self) -> str:
        aws = self.ctx.state.aws
        if aws.credential_source == "profile":
            return f"profile:{aws.profile}"
        return aws.credential_source or ""

    @on(OptionList.OptionHighlighted, "#source")
    def _source_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id or ""
        if key == self._source_key:
            return
        self._source_key, self._identity = key, None
        self.query_one("#keys").display = key == KEYS
        self.query_one(ErrorPanel).show_error(None)
        identity = self.query_one("#identity", Static)
        if key == KEYS:
            if self.ctx.state.aws.credential_source == KEYS and self.ctx.secrets.get(aws_session.KEY_ID_NAME):
                identity.update("Checking the access key stored in your keyring…")
                self._detect(key)
            else:
                identity.update("Type the key, then press “Check these keys”.")
            return
        identity.update("Checking who these credentials belong to…")
        self._detect(key)

    @on(OptionList.OptionSelected, "#source")
    def _source_chosen(self, event: OptionList.OptionSelected) -> None:
        # Enter on a source moves on to what that source needs next.
        self.query_one("#key-id" if event.option.id == KEYS else "#account-id").focus()

    @on(Input.Submitted, "#account-id")
    def _account_entered(self) -> None:
        self._continue()

    def _source(self, key: str) -> aws_session.CredentialSource:
        if key.startswith("profile:"):
            return aws_session.CredentialSource("profile", key.partition(":")[2])
        return aws_session.CredentialSource(key)

    @work(thread=True, exclusive=True, group="identity")
    def _detect(self, key: str, typed: tuple[str, str, str] | None = None) -> None:
        try:
            if typed:
                session = aws_session.session_from_keys(*typed)
            else:
                session = aws_session.make_session(self._source(key), self.ctx.secrets)
            who = aws_session.caller_identity(session)
        except WizardError as err:
            self.post_message(IdentityFailed(key, err))
            return
        self.post_message(IdentityFound(key, who.account, who.arn, session.region_name or ""))

    @on(Input.Changed, "#key-id, #secret, #token")
    def _keys_edited(self) -> None:
        # A check of the previous keys says nothing about the edited ones.
        if self._source_key == KEYS and self._identity is not None:
            self._identity = None
            self.query_one("#identity", Static).update("Keys changed: press “Check these keys”.")

    @on(Button.Pressed, "#check-keys")
    def _check_keys(self) -> None:
        typed = self._typed_keys()
        if typed:
            self.query_one("#identity", Static).update("Checking these keys with AWS…")
            self._detect(KEYS, typed)

    def _typed_keys(self) -> tuple[str, str, str] | None:
        key_id = self.query_one("#key-id-field", Field).check()
        secret = self.query_one("#secret-field", Field).check()
        token = self.query_one("#token-field", Field).check() or ""
        if key_id and needs_session_token(key_id) and not token:
            self.query_one("#token-field", Field).set_error(
                "Keys starting with ASIA are temporary: paste the session token issued with them.")
            return None
        return (key_id, secret, token) if key_id and secret else None

    def on_identity_found(self, message: IdentityFound) -> None:
        if message.source_key != self._source_key:
            return  # an answer for a source the user has since moved away from
        self._identity = message
        self.query_one("#identity", Static).update(
            plain(f"✓ Account {message.account}, as {message.arn}"))
        field = self.query_one("#account-id-field", Field)
        if not field.input.value.strip():
            field.input.value = message.account
        self._check_account()

    def on_identity_failed(self, message: IdentityFailed) -> None:
        if message.source_key != self._source_key:
            return
        self._identity = None
        self.query_one("#identity", Static).update("✗ These credentials could not be used.")
        self.query_one(ErrorPanel).show_error(message.error)

    # -- the account ID -----------------------------------------------------------------------

    @on(Input.Changed, "#account-id")
    def _account_typed(self) -> None:
        self._check_account(quiet_when_empty=True)

    def _check_account(self, quiet_when_empty: bool = False) -> str | None:
        field = self.query_one("#account-id-field", Field)
        account = field.check(quiet_when_empty=quiet_when_empty)
        if account and self._identity and self._identity.account != account:
            field.set_error(f"These credentials belong to account {self._identity.account}, not "
                            f"{account}. Choose credentials for {account}, or correct the ID.")
            return None
        return account

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        account = self._check_account()
        if account is None:
            self.query_one("#account-id").focus()
            return
        if self._identity is None:
            self.query_one(ErrorPanel).show_error(WizardError(
                "Credentials not checked yet",
                "The wizard has not yet confirmed which account the chosen credentials belong to.",
                "Choose a profile (or check your typed keys) and wait for the ✓ line."))
            return
        aws = self.ctx.state.aws
        source = self._source(self._source_key)
        if source.kind == KEYS and self._typed_keys_entered():
            typed = self._typed_keys()
            if typed is None:
                return
            try:
                aws_session.store_keys(self.ctx.secrets, *typed)
            except WizardError as err:
                self.query_one(ErrorPanel).show_error(err)
                return
            self.ctx.state.secrets[aws_session.SECRET_KEY_NAME] = SecretRecord(
                kind="aws-access-key", stored_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        if aws.account_id and aws.account_id != account:
            # Another account: the old stack and role belong to the old one.
            aws.stack_id = aws.role_arn = aws.assumed_arn = aws.verified_at = ""
        aws.credential_source, aws.profile = source.kind, source.profile
        aws.account_id, aws.detected_account_id = account, self._identity.account
        aws.caller_arn, aws.home_region = self._identity.arn, self._identity.region
        self.wizard.goto("aws.grant")

    def _typed_keys_entered(self) -> bool:
        return bool(self.query_one("#key-id", Input).value.strip())

