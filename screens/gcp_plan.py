"""The GKE plan for the wizard's current progress: the same cluster on every Google Cloud screen."""
from __future__ import annotations

from wizard.gcp.plan import GkePlan
from wizard.state import WizardState


def current_plan(state: WizardState) -> GkePlan:
    return GkePlan(project=state.project, gcp_project=state.gcp.project_id, region=state.gcp.region)
