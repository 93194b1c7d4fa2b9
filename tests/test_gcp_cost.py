"""The GKE cost estimate: itemised from the dated table, the plan's numbers, a fallback region said."""
from __future__ import annotations

from wizard.gcp.cost import estimate
from wizard.gcp.plan import GkePlan


def test_the_estimate_follows_the_plan_and_the_table():
    cost = estimate(GkePlan("demo", "acme-4821", "europe-west1"))
    by_item = {line.item: line for line in cost.lines}
    assert by_item["Nodes"].monthly == round(3 * 0.073756 * 730, 2)
    assert by_item["Node boot disks"].monthly == round(3 * 100 * 0.11, 2)
    assert by_item["GKE cluster management"].monthly == 73.0
    assert cost.total == round(sum(line.monthly for line in cost.lines), 2) and not cost.caveat
    bigger = estimate(GkePlan("demo", "acme-4821", "europe-west1", machine_type="e2-standard-4"))
    assert bigger.total > cost.total


def test_a_region_without_prices_borrows_another_and_says_so():
    cost = estimate(GkePlan("demo", "acme-4821", "me-west1"))
    assert cost.priced_region == "us-central1" and "me-west1" in cost.caveat
