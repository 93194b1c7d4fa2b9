"""Provisioning: the steps that build the cluster, in order, each one idempotent.

Every step first looks for the resource it would create (by the cluster's tag, or by its unique
name) and only creates what is missing, so a crash, Ctrl-C or lost network followed by a relaunch
continues where it stopped without making anything twice.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import CloudError
from ..stepwise import StepState, poll_until
from ..stepwise import run_steps as generic_run_steps
from .errors import aws_call
from .plan import ClusterPlan
from .session import client_config

if TYPE_CHECKING:
    import boto3


@dataclass
class Run:
    """What the steps share: clients, the plan, the IDs found or made so far."""
    session: boto3.Session
    plan: ClusterPlan
    cancelled: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = 10.0
    ids: dict[str, str] = field(default_factory=dict)

    def client(self, name: str):
        return self.session.client(name, region_name=self.plan.region, config=client_config())

    def wait_until(self, what: str, probe: Callable[[], str | None], ready: set[str],
                   failed: set[str] = frozenset(), timeout_s: float = 3600) -> str:
        """Poll until probe() returns a ready state; raise on a failed one or on cancel."""
        def failure(subject: str, state: str) -> CloudError:
            return CloudError(f"{subject} failed", f"AWS reports {what} as {state}.",
                              "Open it in the AWS console to see why, fix that, then resume.",
                              code=state or "FAILED")
        return poll_until(self, what, probe, ready, failed, timeout_s, failure)


Step = tuple[str, str, Callable[[Run], tuple[str, str]]]


def steps() -> list[Step]:
    from . import provision_cluster as cluster
    from . import provision_network as network

    return [
        ("vpc", "VPC", network.vpc),
        ("subnets", "Subnets (public and private, 2 zones)", network.subnets),
        ("igw", "Internet gateway", network.internet_gateway),
        ("eip", "Elastic IP for the NAT gateway", network.elastic_ip),
        ("nat", "NAT gateway", network.nat_gateway),
        ("routes", "Route tables", network.routes),
        ("iam", "IAM roles for EKS", cluster.iam_roles),
        ("nlb", "Network Load Balancer", cluster.load_balancer),
        ("eks", "EKS cluster", cluster.eks_cluster),
        ("nodes", "Node group", cluster.node_group),
    ]


def run_steps(run: Run, todo: list[Step], on_step: Callable[[StepState], None], verb: str) -> None:
    generic_run_steps(run, todo, on_step, verb, aws_call)


def provision(run: Run, on_step: Callable[[StepState], None]) -> dict[str, str]:
    run_steps(run, steps(), on_step, "provision")
    return dict(run.ids)
