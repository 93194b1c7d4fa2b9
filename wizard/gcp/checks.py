"""Provision checks: what would make provisioning fail half-way, checked before anything is made.

Three groups run at once: the five APIs are on, the service account holds the permissions
provisioning uses (Cloud Resource Manager's testIamPermissions answers which it holds, without
failing for the others), and the chosen region's quotas leave room for the cluster. Each result
says how to fix a failure: for someone who has never seen the console, the console path and the
one gcloud command. A check that cannot run (an API off, a denied call, throttling, no network)
is a failed result in the same words as any other error, never an exception.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import WizardError
from .apis import PORTER_APIS, api_states
from .errors import gcp_call
from .plan import PERMISSIONS, GkePlan
from .regions import get_region
from .session import GcpApi

#: Roles that grant what provisioning needs without Owner, by permission prefix (first match).
#: Compute Network Admin excludes firewall rules, hence Compute Security Admin for those.
ROLES: tuple[tuple[str, str, str], ...] = (
    ("compute.firewalls.", "Compute Security Admin", "roles/compute.securityAdmin"),
    ("compute.", "Compute Network Admin", "roles/compute.networkAdmin"),
    ("container.", "Kubernetes Engine Admin", "roles/container.admin"),
    ("artifactregistry.", "Artifact Registry Administrator", "roles/artifactregistry.admin"),
    ("iam.serviceAccounts.actAs", "Service Account User", "roles/iam.serviceAccountUser"),
    ("serviceusage.", "Service Usage Admin", "roles/serviceusage.serviceUsageAdmin"),
    ("resourcemanager.projects.get", "Browser", "roles/browser"),
)
#: Regional quotas as the console's Quotas page names them.
QUOTA_LABELS: dict[str, str] = {
    "CPUS": "CPUs", "IN_USE_ADDRESSES": "In-use IP addresses", "SSD_TOTAL_GB": "Persistent Disk SSD (GB)",
    "DISKS_TOTAL_GB": "Persistent Disk Standard (GB)", "INSTANCE_GROUPS": "Instance groups",
    "INSTANCE_GROUP_MANAGERS": "Instance group managers", "STATIC_ADDRESSES": "Static IP addresses",
}


@dataclass(frozen=True)
class CheckResult:
    key: str  # "apis", "permissions", "quota.CPUS" ("quota" when the region could not be read)
    label: str
    ok: bool
    detail: str
    fix: str = ""


def all_passed(results: list[CheckResult]) -> bool:
    return bool(results) and all(result.ok for result in results)


def run_checks(api: GcpApi, plan: GkePlan, on_result: Callable[[CheckResult], None] | None = None
               ) -> list[CheckResult]:
    """All checks at once; ``on_result`` hears each result as it is known (from worker threads).
    Returns them in a fixed order: APIs, permissions, then each quota in the plan's order."""
    report = on_result or (lambda result: None)
    _ = api.session  # made once here: the threads below would each make (and sign in) their own
    groups = (_apis_check, _permissions_check, _quota_checks)
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        futures = [pool.submit(_reporting, group, api, plan, report) for group in groups]
        return [result for future in futures for result in future.result()]


def _reporting(group: Callable[[GcpApi, GkePlan], list[CheckResult]], api: GcpApi, plan: GkePlan,
               report: Callable[[CheckResult], None]) -> list[CheckResult]:
    results = group(api, plan)
    for result in results:
        report(result)
    return results


def _failed(key: str, label: str, err: WizardError) -> CheckResult:
    """A check that could not run: the error's own words, so the fix is the error's next step."""
    return CheckResult(key, label, False, f"{err.title}. {err.what}", err.next_step)


def _project(api: GcpApi, plan: GkePlan) -> str:
    return plan.gcp_project or api.project_id


# -- the APIs -------------------------------------------------------------------------------------
def _apis_check(api: GcpApi, plan: GkePlan) -> list[CheckResult]:
    label = "The five APIs are enabled"
    try:
        states = api_states(api)
    except WizardError as err:
        return [_failed("apis", label, err)]
    off = [service for service, state in states.items() if state != "ENABLED"]
    if not off:
        return [CheckResult("apis", label, True, "All five are on.")]
    names = ", ".join(PORTER_APIS[service] for service in off)
    fix = ("Go back to the APIs step (it enables them and waits until Google is done), or run:\n"
           f"gcloud services enable {' '.join(off)} --project={_project(api, plan)}")
    return [CheckResult("apis", label, False, f"Not enabled: {names}.", fix)]


# -- the permissions ------------------------------------------------------------------------------
def _permissions_check(api: GcpApi, plan: GkePlan) -> list[CheckResult]:
    label = "The service account's permissions"
    project = _project(api, plan)
    try:
        with gcp_call("test the service account's permissions"):
            answer = api.post("cloudresourcemanager", f"/v1/projects/{project}:testIamPermissions",
                              {"permissions": list(PERMISSIONS)})
    except WizardError as err:
        return [_failed("permissions", label, err)]
    granted = set(answer.get("permissions") or [])
    missing = [permission for permission in PERMISSIONS if permission not in granted]
    if not missing:
        return [CheckResult("permissions", label, True, f"All {len(PERMISSIONS)} that provisioning uses.")]
    detail = f"Missing {len(missing)} of {len(PERMISSIONS)}: {', '.join(missing)}."
    return [CheckResult("permissions", label, False, detail, permissions_fix(project, api.email, missing))]


def roles_for(missing: list[str]) -> list[tuple[str, str]]:
    """(title, role) pairs that grant the missing permissions, each once, in ROLES order."""
    wanted = {next((title, role) for prefix, title, role in ROLES if permission.startswith(prefix))
              for permission in missing if any(permission.startswith(p) for p, _, _ in ROLES)}
    return [(title, role) for _, title, role in ROLES if (title, role) in wanted]


def permissions_fix(project: str, email: str, missing: list[str]) -> str:
    roles = ", ".join(f"{title} ({role})" for title, role in roles_for(missing))
    text = ("Grant the service account the Owner role on the project, as the platform's docs do: in the console, "
            f"IAM & Admin → IAM → Grant access, principal {email}, role Basic → Owner; or run:\n"
            f"gcloud projects add-iam-policy-binding {project} --member=serviceAccount:{email} --role=roles/owner")
    if roles:
        text += f"\nInstead of Owner, these roles are enough: {roles}."
    return text + "\nA new role can take a minute or two to apply; then Check again."


# -- the quotas -----------------------------------------------------------------------------------
def _quota_checks(api: GcpApi, plan: GkePlan) -> list[CheckResult]:
    project = _project(api, plan)
    try:
        region = get_region(api, plan.region, project)
    except WizardError as err:
        return [_failed("quota", f"Quotas in {plan.region}", err)]
    return [_quota_check(project, plan.region, metric, need, region.quotas.get(metric))
            for metric, need in plan.quota_needs.items()]


def _quota_check(project: str, region: str, metric: str, need: int,
                 found: tuple[float, float] | None) -> CheckResult:
    name = QUOTA_LABELS.get(metric, metric)
    label = f"{name} in {region}"
    key = f"quota.{metric}"
    if found is None:  # Google reports no such limit for this region: nothing to run out of
        return CheckResult(key, label, True, f"needs {need}; Google sets no {metric} limit here.")
    limit, usage = found
    free = limit - usage
    numbers = f"needs {need}, {_n(free)} free (limit {_n(limit)}, {_n(usage)} in use)"
    if free >= need:
        return CheckResult(key, label, True, numbers + ".")
    fix = (f"Request at least {_n(usage + need)} for {name} ({metric}) in {region}: open "
           f"https://console.cloud.google.com/iam-admin/quotas?project={project} , filter for \"{name}\" and "
           f"region {region}, tick it, Edit quotas, and ask for {_n(usage + need)} or more. Google usually answers "
           "within minutes (a free-trial account must upgrade first). Or choose a smaller cluster or another "
           "region, then Check again.")
    return CheckResult(key, label, False, f"{numbers}: short by {_n(need - free)}.", fix)


def _n(value: float) -> str:
    """24.0 → "24": quotas are whole numbers that Google sends as floats."""
    return str(int(value)) if value == int(value) else f"{value:.1f}"
