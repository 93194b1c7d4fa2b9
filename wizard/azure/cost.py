"""The monthly cost of the Azure cluster, itemised, from the dated table in assets/ (the same
shape as the AWS estimate, so the screens read alike)."""
from __future__ import annotations

import json

from assets import read_text

from ..aws.cost import CostEstimate, CostLine
from .plan import AksPlan

PRICES_ASSET = "azure-prices.json"
TIER_ADVICE = {
    "Free": "for non-production workloads: no uptime SLA on the Kubernetes API, no charge for it.",
    "Standard": "for production: a financially backed uptime SLA on the Kubernetes API and more "
                "capacity for large clusters, for a fixed hourly fee per cluster.",
}


def estimate(plan: AksPlan) -> CostEstimate:
    table = json.loads(read_text(PRICES_ASSET))
    hours = table["hours_per_month"]
    priced = plan.region if plan.region in table["regions"] else table["fallback_region"]
    p = table["regions"][priced]
    caveat = "" if priced == plan.region else (
        f"The price table has no prices for {plan.region}; these are {priced}'s, which are "
        "usually within 10–20%.")
    vm = p["vms"][plan.node_size]
    control = p["aks_standard_tier"] if plan.tier == "Standard" else 0.0
    lines = [
        CostLine("AKS control plane", f"{plan.tier} tier" + (f" × ${control}/h" if control else ": free"),
                 control * hours),
        CostLine("Nodes", f"{plan.nodes_min} × {plan.node_size} × ${vm}/h", plan.nodes_min * vm * hours),
        CostLine("Node OS disks", f"{plan.nodes_min} × Premium SSD P6 ({plan.node_disk_gb} GiB) × "
                 f"${p['disk_p6_month']}/month", plan.nodes_min * p["disk_p6_month"]),
        CostLine("Standard Load Balancer", f"1 × ${p['load_balancer']}/h (first 5 rules)",
                 p["load_balancer"] * hours),
        CostLine("Public IP address", f"1 × ${p['public_ip']}/h", p["public_ip"] * hours),
        CostLine("Container registry", f"Basic × ${p['acr_basic_day']}/day", p["acr_basic_day"] * hours / 24),
    ]
    lines = [CostLine(line.item, line.detail, round(line.monthly, 2)) for line in lines]
    usage_note = ("Not included, because they depend on your traffic: data transfer out, load "
                  "balancer data processed, registry storage beyond 10 GiB, and anything your "
                  f"workloads create. If the node pool scales to its maximum ({plan.nodes_max} "
                  "nodes), nodes cost more.")
    return CostEstimate(lines, table["currency"], table["date"], priced, caveat, usage_note)
