"""Start-up failures, the last-resort crash report, and answers that are not the cloud's: each is
a message and a documented exit code (README, "Everywhere"), never a traceback."""
from __future__ import annotations

import http.server
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from screens.app import WizardApp
from screens.messages import StepFailed
from wizard.errors import CloudError, StateFileError
from wizard.paths import ConfigDirError, ensure_private_dir
from wizard.redaction import register_secret
from wizard.state import StateStore

from .pilot_tools import settle

CLI = [sys.executable, "-c", "import sys; from screens.cli import main; sys.exit(main(sys.argv[1:]))"]
PLANTED = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
REGISTERED = "s3cr3t-registered-value-0123"


def run_cli(*args: str, env_home: Path, tty: bool = False, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, code: list[str] | None = None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; with tty=True its stdin and stdout are a pseudo-terminal (drained
    in a thread) and its stdout is not captured."""
    env = {**os.environ, "PORTER_WIZARD_HOME": str(env_home)}
    command = code or CLI
    if not tty:
        return subprocess.run([*command, *args], stdin=stdin, stdout=stdout, capture_output=False,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    master, slave = pty.openpty()
    drained = threading.Thread(target=_drain, args=(master,), daemon=True)
    drained.start()
    try:
        return subprocess.run([*command, *args], stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                              text=True, env={**env, "TERM": "xterm-256color"}, timeout=60)
    finally:
        os.close(slave)
        drained.join(timeout=5)
        os.close(master)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def assert_clean(result: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr


# -- the config folder -------------------------------------------------------------------------

def test_a_config_folder_that_cannot_be_created_exits_2(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")  # like a read-only home, also for root
    result = run_cli(env_home=blocker / "porter-wizard", tty=True)
    assert_clean(result, 2, "Can't use the wizard's folder", "PORTER_WIZARD_HOME")


def test_a_read_only_home_is_a_message_not_a_mkdir_traceback(tmp_path, monkeypatch):
    # A read-only file system answers mkdir with EROFS, even for root (who passes every mode
    # check), so the refusal is simulated here, at the call the wizard makes.
    import errno

    def read_only(path, mode=0o777):
        raise OSError(errno.EROFS, "Read-only file system", str(path))
    monkeypatch.setattr(os, "mkdir", read_only)
    with pytest.raises(ConfigDirError) as raised:
        ensure_private_dir(tmp_path / "home" / "porter-wizard")
    assert "read-only" in raised.value.what and "PORTER_WIZARD_HOME" in raised.value.next_step


def test_a_folder_owned_by_another_user_is_a_message_not_a_chmod_traceback(tmp_path, monkeypatch):
    # After `sudo porter-wizard` the folder is root's: chmod says EPERM (root itself can't be
    # refused, so the refusal is simulated here).
    folder = tmp_path / "porter-wizard"
    folder.mkdir()

    def refused(path, mode):
        raise PermissionError(1, "Operation not permitted", str(path))
    monkeypatch.setattr(os, "chmod", refused)
    with pytest.raises(ConfigDirError) as raised:
        ensure_private_dir(folder)
    assert str(folder) in raised.value.what and "PORTER_WIZARD_HOME" in raised.value.next_step


# -- the progress file -------------------------------------------------------------------------

def _status(home: Path) -> subprocess.CompletedProcess:
    return run_cli("status", env_home=home)


def test_deeply_nested_progress_is_damaged(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "state.json").write_text("[" * 200_000 + "]" * 200_000)
    assert_clean(_status(home), 2, "Saved progress is damaged",
                 "What to do: Run porter-wizard and press Start over", "porter-wizard --reset")


@pytest.mark.parametrize("command", [("handoff", "azure"), ("rotate", "azure")])
def test_the_other_commands_say_what_to_do_with_damaged_progress(tmp_path, command):
    """No Start over button on a command line: they name the command that starts over."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "state.json").write_text('{"step": ')
    result = run_cli(*command, env_home=home)
    assert_clean(result, 1, "Saved progress is damaged", "porter-wizard --reset")


def test_a_fifo_at_the_progress_path_is_refused_without_hanging(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.mkfifo(home / "state.json")
    assert_clean(_status(home), 2, "Saved progress can't be read", "FIFO", "What to do: Fix the file's permissions")


def test_dev_zero_as_the_progress_file_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "state.json").symlink_to("/dev/zero")
    assert_clean(_status(home), 2, "Saved progress can't be read", "device")


def test_a_huge_progress_file_is_refused_before_reading(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with open(home / "state.json", "wb") as handle:
        handle.truncate(50_000_000)  # sparse: refused by its size, never read
    assert_clean(_status(home), 2, "Saved progress is damaged", "bytes")


def test_load_raises_only_state_file_errors(tmp_path):
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(StateFileError, match="folder"):
        StateStore(tmp_path / "folder.json").load()


# -- no terminal -------------------------------------------------------------------------------

def test_without_a_terminal_it_says_so_instead_of_writing_escape_codes(tmp_path):
    out = tmp_path / "out.txt"
    with open(out, "w") as handle:
        result = run_cli("--sandbox", env_home=tmp_path / "home", stdout=handle)
    assert_clean(result, 2, "needs a terminal", "porter-wizard status")
    assert "\x1b[" not in out.read_text()


def test_status_still_works_without_a_terminal(tmp_path):
    assert_clean(run_cli("status", env_home=tmp_path / "home"), 0)


# -- the last resort ---------------------------------------------------------------------------

class Exploding(Screen):
    def compose(self) -> ComposeResult:
        yield Static("about to fail")

    def on_mount(self) -> None:
        private_key = PLANTED  # a local Textual's traceback would have printed  # noqa: F841
        raise KeyError(f"missing {REGISTERED}")


def _report_of(home: Path) -> Path:
    reports = sorted((home / "sandbox").glob("crash-*.txt"))
    assert len(reports) == 1, reports
    return reports[0]


def _assert_clean_report(report: Path) -> None:
    text = report.read_text()
    assert "KeyError" in text and "on_mount" in text  # what failed, and where
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in text and "BEGIN PRIVATE KEY" not in text
    assert REGISTERED not in text and "[redacted]" in text
    assert "private_key =" not in text.replace("private_key = PLANTED", "")  # no locals dump
    assert "locals" not in text.lower()
    assert report.stat().st_mode & 0o077 == 0


async def test_an_unexpected_exception_writes_a_redacted_report_without_locals(make_ctx, home):
    register_secret(REGISTERED)
    app = WizardApp(make_ctx())
    with pytest.raises(KeyError):  # Pilot re-raises it for the test; a user sees the report
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await app.push_screen(Exploding())
            await settle(pilot)
    assert app.crashed and app.return_code == 1
    assert app.crash_report == _report_of(home)
    _assert_clean_report(app.crash_report)


def test_a_crash_exits_1_and_prints_where_the_report_is(tmp_path):
    code = [sys.executable, "-c", f"""
import sys
from screens.app import WizardApp
from tests.test_startup_failures import Exploding
WizardApp.on_mount = lambda self: self.push_screen(Exploding())
from wizard.redaction import register_secret
register_secret({REGISTERED!r})
from screens.cli import main
sys.exit(main(sys.argv[1:]))
"""]
    home = tmp_path / "home"
    result = run_cli(env_home=home, tty=True, code=code)
    assert_clean(result, 1, "Something unexpected went wrong", "crash report")
    report = sorted(home.glob("crash-*.txt"))
    assert len(report) == 1 and str(report[0]) in result.stderr
    text = report[0].read_text()
    assert "BEGIN PRIVATE KEY" not in text and "locals" not in text.lower()


class FailingWorker(Screen):
    failures: list = []

    def compose(self) -> ComposeResult:
        yield Static("working")

    def on_mount(self) -> None:
        self.run_job()

    @work(thread=True)
    def run_job(self) -> None:
        response = {"ResponseMetadata": {}}
        response["GetCallerIdentityResult"]  # a parser's KeyError, say  # noqa: B018

    def on_step_failed(self, message: StepFailed) -> None:
        self.failures.append(message.error)


async def test_a_failing_worker_shows_an_error_and_the_app_keeps_going(make_ctx, home):
    app = WizardApp(make_ctx())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = FailingWorker()
        await app.push_screen(screen)
        for _ in range(50):
            await pilot.pause(0.05)
            if screen.failures:
                break
        assert app.is_running and not app.crashed
        [error] = screen.failures
        report = _report_of(home)
        assert error.title == "Something unexpected went wrong"
        assert str(report) in error.what and "Esc" in error.next_step
    assert app.return_code in (0, None)


# -- answers that are not the cloud's ----------------------------------------------------------

class NotTheCloud(http.server.BaseHTTPRequestHandler):
    """A proxy's or a wrong endpoint's answers: HTML, or nothing."""
    answers = {"/html": (200, b"<html><body>Sign in to the proxy</body></html>"),
               "/empty404": (404, b""), "/html404": (404, b"<html><h1>Not Found</h1></html>")}

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self) -> None:
        status, body = self.answers.get(self.path.split("?")[0], self.answers[self.server.mode])
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def not_the_cloud():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotTheCloud)
    server.mode = "/html"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["/html", "/empty404", "/html404"])
@pytest.mark.parametrize("service", ["sts", "iam", "eks"])
def test_aws_answers_that_are_not_aws_become_unexpected_answer(not_the_cloud, mode, service):
    import boto3
    from botocore.config import Config

    from wizard.aws.errors import aws_call

    not_the_cloud.mode = mode
    host = f"127.0.0.1:{not_the_cloud.server_port}"
    client = boto3.client(service, endpoint_url=f"http://{host}", region_name="us-east-1",
                          aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="example",
                          config=Config(retries={"max_attempts": 1}))
    calls = {"sts": client.get_caller_identity if service == "sts" else None,
             "iam": (lambda: client.get_role(RoleName="PorterRole")) if service == "iam" else None,
             "eks": (lambda: client.describe_cluster(name="porter")) if service == "eks" else None}
    if service == "eks" and mode == "/html":
        # botocore takes an HTML 200 from a JSON API as an empty answer: nothing to translate.
        with aws_call("describe the cluster"):
            assert "cluster" not in calls[service]()
        return
    with pytest.raises(CloudError) as raised:
        with aws_call("check the credentials"):
            calls[service]()
    error = raised.value
    assert error.code == "UnexpectedAnswer" and error.retryable
    assert error.title == f"Unexpected answer from {host}"
    assert "AWS_ENDPOINT_URL" in error.next_step and "Retry" in error.next_step


def test_gcp_answers_that_are_not_google_become_unexpected_answer(not_the_cloud):
    import requests

    from wizard.gcp.errors import gcp_call
    from wizard.gcp.session import GcpHttpError

    url = f"http://127.0.0.1:{not_the_cloud.server_port}"
    with pytest.raises(CloudError) as raised:
        with gcp_call("list the regions"):
            requests.get(f"{url}/html", timeout=10).json()
    assert raised.value.code == "UnexpectedAnswer"
    with pytest.raises(CloudError) as raised:
        with gcp_call("list the regions"):
            response = requests.get(f"{url}/html404", timeout=10)
            raise GcpHttpError(response.status_code, response.text, response.headers, response.url)
    assert raised.value.code == "UnexpectedAnswer"
    assert raised.value.title == f"Unexpected answer from 127.0.0.1:{not_the_cloud.server_port}"


def test_azure_answers_that_are_not_azure_become_unexpected_answer(not_the_cloud):
    from azure.core import PipelineClient
    from azure.core.rest import HttpRequest

    from wizard.azure.errors import azure_call

    base = f"http://127.0.0.1:{not_the_cloud.server_port}"
    client = PipelineClient(base)
    with pytest.raises(CloudError) as raised:
        with azure_call("list the subscriptions"):
            client.send_request(HttpRequest("GET", f"{base}/html")).json()
    assert raised.value.code == "UnexpectedAnswer"
    with pytest.raises(CloudError) as raised:
        with azure_call("list the subscriptions"):
            client.send_request(HttpRequest("GET", f"{base}/html404")).raise_for_status()
    assert raised.value.code == "UnexpectedAnswer"
    assert raised.value.title == f"Unexpected answer from 127.0.0.1:{not_the_cloud.server_port}"
