"""The service-account key reaches the keyring and no file the wizard writes: pasted, refused
once (disabled: the error is shown and logged), then accepted."""
from __future__ import annotations

import json

from textual.widgets import TextArea

from screens.app import WizardApp
from wizard.logs import setup_logging
from wizard.paths import log_file
from wizard.secret_store import SERVICE

from .conftest import files_under
from .pilot_tools import press, settle, text_of
from .test_flow_gcp import SIZE, gcp_state, wait_for_step


def _secret_parts(key: dict) -> list[str]:
    """Lines from the middle of the private key: its PEM header is the same in every key."""
    body = [line for line in key["private_key"].splitlines() if line and "-----" not in line]
    return [body[1], body[len(body) // 2], body[-2]]


async def test_a_pasted_key_is_in_the_keyring_and_in_no_file(sandbox_gcp, make_ctx, keyring_backend, home):
    setup_logging(log_file(sandbox=False))
    disabled, good = sandbox_gcp.make_key(), sandbox_gcp.make_key()
    sandbox_gcp.set_key_state(disabled["private_key_id"], "disabled")
    ctx = make_ctx(gcp_state("gcp.key"))
    ctx.sandbox = False  # no suggested path: the key is pasted
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#key-paste", TextArea).text = json.dumps(disabled, indent=2)
        await press(pilot, "continue")
        await settle(pilot)
        assert pilot.app.screen.STEP == "gcp.key"
        assert "disabled or deleted" in text_of(pilot, "#error")
        pilot.app.screen.query_one("#key-paste", TextArea).text = json.dumps(good, indent=2)
        await press(pilot, "continue")
        await wait_for_step(pilot, "gcp.apis")  # pasted: no file to offer to delete
    stored = keyring_backend.get_password(SERVICE, ctx.state.gcp.secret_name)
    assert stored and json.loads(stored) == good
    written = files_under(home)
    assert {p.name for p in written} >= {"state.json", "wizard.log"}
    for path in written:
        data = path.read_bytes()
        for part in _secret_parts(good) + _secret_parts(disabled):
            assert part.encode() not in data, f"the private key leaked into {path}"
