"""The monthly cost of the GKE cluster, itemised, from the dated table in assets/ (the same shape
as the AWS and Azure estimates, so the screens read alike)."""
from __future__ import annotations

import json

from assets import read_text

from ..aws.cost import CostEstimate, CostLine
from .plan import GkePlan

PRICES_ASSET = "gcp-prices.json"


def estimate(plan: GkePlan) -> CostEstimate:
    table = json.loads(read_text(PRICES_ASSET))
    hours = table["hours_per_month"]
    priced = plan.region if plan.region in table["regions"] else table["fallback_region"]
    p = table["regions"][priced]
    caveat = "" if priced == plan.region else (
        f"The price table has no prices for {plan.region}; these are {priced}'s, which are usually "
        "within 10–30%.")
    machine = p["machines"][plan.machine_type]
    fee = table["gke_cluster_fee"]
    lines = [
        # GKE's free tier credit covers one zonal cluster per billing account, not a regional one.
        CostLine("GKE cluster management", f"1 regional cluster × ${fee:.2f}/h", fee * hours),
        CostLine("Nodes", f"{plan.nodes} × {plan.machine_type} ({plan.zones} zones × {plan.nodes_per_zone}) × "
                 f"${machine}/h", plan.nodes * machine * hours),
        CostLine("Node boot disks", f"{plan.nodes} × {plan.node_disk_gb} GB {plan.disk_type} × "
                 f"${p['pd_balanced_gb_month']:.2f}/GB-month", plan.nodes * plan.node_disk_gb * p["pd_balanced_gb_month"]),
        CostLine("Load balancer", f"1 forwarding rule × ${p['forwarding_rule']}/h", p["forwarding_rule"] * hours),
        CostLine("Node external IPs", f"{plan.nodes} × ${p['external_ip']}/h", plan.nodes * p["external_ip"] * hours),
        CostLine("Artifact Registry", "first 0.5 GB stored free", 0.0),
    ]
    lines = [CostLine(line.item, line.detail, round(line.monthly, 2)) for line in lines]
    usage_note = ("Not included, because they depend on your traffic: network egress, load balancer "
                  "data processed, image storage beyond 0.5 GB ($0.10/GB-month), and anything your "
                  "workloads create. If the node pool scales up (to 3 nodes per zone), nodes cost more.")
    return CostEstimate(lines, table["currency"], table["date"], priced, caveat, usage_note)
