"""The cost estimate: itemised, dated, and honest about regions the table lacks."""
from __future__ import annotations

import json

import pytest

from assets import read_text
from wizard.aws.cost import PRICES_ASSET, estimate
from wizard.aws.plan import plan_for


def test_every_item_the_cluster_has_is_priced_and_summed():
    cost = estimate(plan_for("acme", "us-east-1"))
    assert [line.item for line in cost.lines] == ["EKS control plane", "Worker nodes", "Node volumes",
                                                   "NAT gateway", "Network Load Balancer", "Public IPv4 addresses"]
    assert cost.lines[0].monthly == 73.0  # $0.10/h × 730 h
    assert cost.lines[1].monthly == pytest.approx(2 * 0.0832 * 730, abs=0.01)
    assert cost.total == pytest.approx(sum(line.monthly for line in cost.lines), abs=0.01)
    assert cost.prices_date == json.loads(read_text(PRICES_ASSET))["date"]
    assert cost.caveat == ""


def test_a_region_without_prices_says_which_prices_it_shows():
    cost = estimate(plan_for("acme", "sa-east-1"))
    assert cost.priced_region == "us-east-1"
    assert "no prices for sa-east-1" in cost.caveat


def test_prices_differ_by_region():
    assert estimate(plan_for("acme", "eu-central-1")).total > estimate(plan_for("acme", "us-east-1")).total
