"""How long the wizard takes to start, in a real account's mode and in sandbox mode.

Prints: import time of the app and welcome screen (fresh interpreter, median of 5), time until
the welcome screen is on a headless screen, and the sandbox's start time (moto + front).
Run: python tests/bench/startup.py
"""
from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time

IMPORT_PROBE = ("import time; t = time.perf_counter(); import screens.app; "
                "from screens.steps import screen_class; screen_class('welcome'); "
                "print(time.perf_counter() - t)")


def import_seconds(runs: int = 5) -> float:
    samples = [float(subprocess.run([sys.executable, "-c", IMPORT_PROBE], check=True,
                                    capture_output=True, text=True).stdout) for _ in range(runs)]
    return statistics.median(samples)


async def first_screen_seconds() -> float:
    from screens.app import WizardApp
    from wizard.context import WizardContext
    from wizard.sandbox.memory_keyring import MemoryKeyring
    from wizard.secret_store import SecretStore
    from wizard.state import StateStore, WizardState

    with tempfile.TemporaryDirectory() as folder:
        ctx = WizardContext(WizardState(), StateStore(__import__("pathlib").Path(folder) / "s.json"),
                            SecretStore(MemoryKeyring()))
        start = time.perf_counter()
        async with WizardApp(ctx).run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            return time.perf_counter() - start


def sandbox_seconds() -> float:
    probe = ("import time; t = time.perf_counter(); from wizard.sandbox.runtime import Sandbox; "
             "s = Sandbox().start(); print(time.perf_counter() - t); s.stop()")
    return float(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                                text=True).stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"import app + welcome screen (median of 5): {import_seconds() * 1000:.0f} ms")
    print(f"welcome screen on a headless terminal:     {asyncio.run(first_screen_seconds()) * 1000:.0f} ms")
    print(f"sandbox start (moto + front):              {sandbox_seconds() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
