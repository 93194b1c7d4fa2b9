"""The monthly cost estimate shown before anything is created, from the dated table in assets/."""
from __future__ import annotations

import json
from dataclasses import dataclass

from assets import read_text

from .plan import ClusterPlan

PRICES_ASSET = "aws-prices.json"


@dataclass(frozen=True)
class CostLine:
    item: str
    detail: str
    monthly: float


@dataclass(frozen=True)
class CostEstimate:
    lines: list[CostLine]
    currency: str
    prices_date: str
    priced_region: str
    #: Said on screen when the region has no prices of its own in the table.
    caveat: str
    usage_note: str

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)


def estimate(plan: ClusterPlan) -> CostEstimate:
    table = json.loads(read_text(PRICES_ASSET))
    hours = table["hours_per_month"]
    priced = plan.region if plan.region in table["regions"] else table["fallback_region"]
    p = table["regions"][priced]
    caveat = "" if priced == plan.region else (
        f"The price table has no prices for {plan.region}; these are {priced}'s, which are "
        "usually within 10–20%.")
    node_hourly = p["instances"][plan.node_type]
    public_ips = 1 + plan.zones  # the NAT gateway's address and one per NLB zone
    lines = [
        CostLine("EKS control plane", f"1 cluster × ${p['eks_cluster']}/h", p["eks_cluster"] * hours),
        CostLine("Worker nodes", f"{plan.nodes_desired} × {plan.node_type} × ${node_hourly}/h",
                 plan.nodes_desired * node_hourly * hours),
        CostLine("Node volumes", f"{plan.nodes_desired} × {plan.node_disk_gb} GB gp3 × ${p['gp3_gb_month']}/GB-month",
                 plan.nodes_desired * plan.node_disk_gb * p["gp3_gb_month"]),
        CostLine("NAT gateway", f"1 × ${p['nat_gateway']}/h", p["nat_gateway"] * hours),
        CostLine("Network Load Balancer", f"1 × ${p['nlb']}/h + 1 LCU × ${p['nlb_lcu']}/h",
                 (p["nlb"] + p["nlb_lcu"]) * hours),
        CostLine("Public IPv4 addresses", f"{public_ips} × ${p['public_ipv4']}/h",
                 public_ips * p["public_ipv4"] * hours),
    ]
    lines = [CostLine(line.item, line.detail, round(line.monthly, 2)) for line in lines]
    usage_note = (f"Not included, because they depend on your traffic: data through the NAT gateway "
                  f"(${p['nat_per_gb']}/GB), load balancer capacity beyond 1 LCU, data transfer out, "
                  "and anything your workloads create. If the node group scales to its maximum "
                  f"({plan.nodes_max} nodes), worker nodes cost more.")
    return CostEstimate(lines, table["currency"], table["date"], priced, caveat, usage_note)
