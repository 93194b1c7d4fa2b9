"""Wizard states at a given step, with fixed values, for tests that start part-way through."""
from __future__ import annotations

from wizard.state import WizardState

EXTERNAL_ID = "porter-0123456789abcdef0123456789abcdef"


def state_at(step: str) -> WizardState:
    state = WizardState(step=step, project="acme-prod", cloud="aws")
    aws = state.aws
    aws.credential_source, aws.profile, aws.home_region = "profile", "default", "us-east-1"
    aws.account_id = aws.detected_account_id = "123456789012"
    aws.caller_arn = "arn:aws:iam::123456789012:user/moto"
    aws.external_id = EXTERNAL_ID
    return state


def connected_state(step: str) -> WizardState:
    state = state_at(step)
    aws = state.aws
    aws.role_arn = "arn:aws:iam::123456789012:role/porter-manager"
    aws.stack_changed_at = "2026-01-01T00:00:00+00:00"
    aws.verified_at = "2026-11-23T10:00:00+00:00"
    return state


AFTER_COST = ("aws.provision", "aws.cluster", "aws.teardown")


def cluster_state(step: str, region: str = "eu-west-1") -> WizardState:
    """Verified, with a region chosen: the state the cluster steps start from; past the cost
    review, its acknowledgement recorded as the flow leaves it."""
    state = connected_state(step)
    state.aws.region = region
    if step in AFTER_COST:
        state.aws.cost_acknowledged_at, state.aws.cost_monthly = "2026-11-23T10:00:00+00:00", "281.30"
    return state
