"""How long Google Cloud's provision checks and API enabling take when every API call has
latency L. Run one after another, the checks would take 3 L (API states, permissions, region) and
the five APIs 10 L (read, then enable, each); concurrently the goal is about 1 L and 2 L. (The
double finishes an enable at once here, so no poll is counted.)

Runs the real run_checks and enable_apis (google-auth + REST against the local doubles) with L
injected into every route of every Google double except the token endpoint, whose token is
fetched once and reused, as in the wizard. Prints the total for several L and the ratio total / L.
Run: python tests/bench/gcp_checks.py
"""
from __future__ import annotations

import statistics
import time

from wizard.gcp.apis import enable_apis
from wizard.gcp.checks import run_checks
from wizard.gcp.endpoints import Endpoints
from wizard.gcp.plan import GkePlan
from wizard.gcp.session import GcpApi
from wizard.sandbox.gcp import GcpDoubles

RUNS = 3
API_DOUBLES = ("usage", "crm", "regions", "compute", "container", "artifacts")


def _api(doubles: GcpDoubles) -> GcpApi:
    api = GcpApi(doubles.make_key(), Endpoints(doubles.api_template, doubles.ca_path))
    api.refresh_token()
    return api


def _latency(doubles: GcpDoubles, seconds: float) -> None:
    for name in API_DOUBLES:
        getattr(doubles, name).latency("*", seconds)


def measure_checks(doubles: GcpDoubles, latency: float) -> float:
    doubles.clear()
    doubles.enable_apis()
    api = _api(doubles)
    plan = GkePlan("bench", doubles.project_id, "us-central1")
    _latency(doubles, latency)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        results = run_checks(api, plan)
        samples.append(time.perf_counter() - start)
        assert all(r.ok for r in results), [r for r in results if not r.ok]
    return statistics.median(samples)


def measure_enable(doubles: GcpDoubles, latency: float) -> float:
    samples = []
    for _ in range(RUNS):
        doubles.clear()
        api = _api(doubles)
        _latency(doubles, latency)
        start = time.perf_counter()
        rows = enable_apis(api, lambda row: None, poll_seconds=latency)
        samples.append(time.perf_counter() - start)
        assert all(r.status == "enabled" for r in rows), rows
    return statistics.median(samples)


def main() -> None:
    with GcpDoubles() as doubles:
        measure_checks(doubles, 0.0)  # warm-up: imports, TLS, connection pools
        print(f"median of {RUNS} runs; L injected into every Google API call")
        print(f"{'latency L':>10} {'checks':>8} {'/L':>6} {'5 APIs':>8} {'/L':>6}")
        for latency in (0.1, 0.25, 0.5):
            checks, enable = measure_checks(doubles, latency), measure_enable(doubles, latency)
            print(f"{latency:>9.2f}s {checks:>7.2f}s {checks / latency:>6.2f} {enable:>7.2f}s {enable / latency:>6.2f}")


if __name__ == "__main__":
    main()
