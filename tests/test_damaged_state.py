"""A damaged progress file gets an explanation and a way to start over, never a traceback."""
from __future__ import annotations

import subprocess
import sys

from screens.app import WizardApp
from wizard.errors import StateFileError
from wizard.state import WizardState

from .pilot_tools import settle


async def test_start_over_keeps_the_damaged_file_aside(make_ctx, home):
    ctx = make_ctx()
    home.mkdir(parents=True)
    ctx.store.path.write_text('{"version": 1, "step": "aws.gr')  # truncated mid-write by a crash
    try:
        ctx.store.load()
    except StateFileError as err:
        error = err
    async with WizardApp(ctx, startup_error=error).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "DamagedStateScreen"
        await pilot.press("enter")  # Start over has the focus: keyboard only, nothing to find
        await settle(pilot)
        assert pilot.app.screen.STEP == "welcome"
    kept = [p.name for p in home.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1
    assert ctx.store.load() == WizardState(step="welcome")


def test_reset_without_a_terminal_refuses_unless_forced(home):
    home.mkdir(parents=True)
    (home / "state.json").write_text(WizardState(step="aws.grant").to_json())
    cli = [sys.executable, "-c", "import sys; from screens.cli import main; sys.exit(main(sys.argv[1:]))"]
    refused = subprocess.run([*cli, "--reset"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert refused.returncode == 1 and "add --force" in refused.stderr
    assert (home / "state.json").exists()
    assert "Traceback" not in refused.stderr
