"""How long the quota checks take when every AWS call has latency L (goal: about 1.5 L or less).

Runs the real check_all (boto3 against the sandbox: moto behind the front, and the Service Quotas
double), with L injected into every call on both, after a warm-up that pays moto's one-time
start-up cost. Prints the total for several L and the ratio total / L.
Run: python tests/bench/quota_checks.py
"""
from __future__ import annotations

import statistics
import time

import boto3

from wizard.aws import quotas
from wizard.aws.plan import plan_for
from wizard.sandbox.runtime import Sandbox

REGION = "eu-west-1"
RUNS = 3


def measure(box: Sandbox, latency: float) -> float:
    box.front.clear()
    box.quotas.clear()
    box.front.latency("*", "*", latency)
    box.quotas.latency("*", latency)
    session = boto3.Session(region_name=REGION)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        checks = quotas.check_all(session, plan_for("bench", REGION))
        samples.append(time.perf_counter() - start)
        assert all(c.error is None for c in checks), [c.error for c in checks if c.error]
    return statistics.median(samples)


def main() -> None:
    box = Sandbox(demo_pacing=False).start()
    try:
        quotas.check_all(boto3.Session(region_name=REGION), plan_for("bench", REGION))  # warm-up
        count = len(quotas.needs(plan_for("bench", REGION)))
        print(f"{count} quota checks, each one quota read and one usage read; median of {RUNS} runs")
        print(f"{'latency L':>10} {'total':>8} {'total/L':>8}")
        for latency in (0.1, 0.25, 0.5, 1.0):
            total = measure(box, latency)
            print(f"{latency:>9.2f}s {total:>7.2f}s {total / latency:>8.2f}")
    finally:
        box.stop()


if __name__ == "__main__":
    main()
