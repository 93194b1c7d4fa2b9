"""Provision checks against the doubles: the five APIs, the service account's permissions
(testIamPermissions) and the region's quotas, all at once; every failure says how to fix it, and
a check that cannot run is a failed check, never an exception."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from wizard.gcp.checks import CheckResult, all_passed, run_checks
from wizard.gcp.plan import PERMISSIONS, GkePlan

from .gcp_fixtures import api_for

CRM = "cloudresourcemanager.googleapis.com"
QUOTA_KEYS = ["quota.CPUS", "quota.IN_USE_ADDRESSES", "quota.SSD_TOTAL_GB", "quota.INSTANCE_GROUPS",
              "quota.INSTANCE_GROUP_MANAGERS"]


def _plan(gcp, region: str = "us-central1") -> GkePlan:
    return GkePlan("demo", gcp.project_id, region)


def _by_key(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.key: result for result in results}


def test_all_pass_for_an_owner_once_the_apis_are_on(gcp, gcp_api):
    gcp.enable_apis()
    heard: list[CheckResult] = []
    results = run_checks(gcp_api, _plan(gcp), heard.append)
    assert all_passed(results), [r for r in results if not r.ok]
    assert [r.key for r in results] == ["apis", "permissions", *QUOTA_KEYS]  # a fixed order
    assert sorted(r.key for r in heard) == sorted(r.key for r in results)  # each one heard as it came
    assert _by_key(results)["quota.CPUS"].detail == "needs 8, 24 free (limit 24, 0 in use)."
    assert not all_passed([])


def test_before_the_apis_every_group_fails_with_a_way_forward(gcp, gcp_api):
    results = _by_key(run_checks(gcp_api, _plan(gcp)))
    apis = results["apis"]
    assert not apis.ok and "Kubernetes Engine API" in apis.detail and "Artifact Registry API" in apis.detail
    assert "gcloud services enable compute.googleapis.com container.googleapis.com" in apis.fix
    assert f"--project={gcp.project_id}" in apis.fix
    assert "Cloud Resource Manager API is not enabled" in results["permissions"].detail
    assert "Compute Engine API is not enabled" in results["quota"].detail
    assert "APIs step" in results["quota"].fix


def test_the_crm_api_off_fails_only_what_needs_it(gcp, gcp_api):
    gcp.enable_apis(*(s for s in ("compute.googleapis.com", "container.googleapis.com",
                                  "containerregistry.googleapis.com", "artifactregistry.googleapis.com")))
    results = _by_key(run_checks(gcp_api, _plan(gcp)))
    assert not results["apis"].ok and results["apis"].detail == "Not enabled: Cloud Resource Manager API."
    permissions = results["permissions"]
    assert not permissions.ok and permissions.detail.startswith("The Cloud Resource Manager API is not enabled.")
    assert "is off on this project" in permissions.detail and "APIs & Services → Library" in permissions.fix
    assert all(results[key].ok for key in QUOTA_KEYS)


def test_a_missing_permission_is_named_with_the_command_and_the_roles(gcp):
    gcp.enable_apis()
    missing = {"iam.serviceAccounts.actAs", "compute.firewalls.create"}
    email = gcp.add_service_account("narrow", set(PERMISSIONS) - missing)
    api = api_for(gcp, gcp.make_key(email))
    results = _by_key(run_checks(api, _plan(gcp)))
    check = results["permissions"]
    assert not check.ok
    assert check.detail == f"Missing 2 of {len(PERMISSIONS)}: compute.firewalls.create, iam.serviceAccounts.actAs."
    assert (f"gcloud projects add-iam-policy-binding {gcp.project_id} --member=serviceAccount:{email} "
            "--role=roles/owner") in check.fix
    assert "IAM & Admin → IAM" in check.fix
    assert "Service Account User (roles/iam.serviceAccountUser)" in check.fix
    assert "Compute Security Admin (roles/compute.securityAdmin)" in check.fix
    assert "Kubernetes Engine Admin" not in check.fix  # only the roles that grant what is missing
    # The permissions checked are the ones the other checks use: those pass for this account.
    assert results["apis"].ok and all(results[key].ok for key in QUOTA_KEYS)


def test_a_low_quota_fails_with_the_metric_the_numbers_and_the_page(gcp, gcp_api):
    gcp.enable_apis()
    gcp.regions.set_quota("us-central1", "CPUS", 24, usage=20)
    gcp.regions.set_quota("us-central1", "SSD_TOTAL_GB", 250)
    results = _by_key(run_checks(gcp_api, _plan(gcp)))
    cpus = results["quota.CPUS"]
    assert not cpus.ok and cpus.label == "CPUs in us-central1"
    assert cpus.detail == "needs 8, 4 free (limit 24, 20 in use): short by 4."
    assert f"https://console.cloud.google.com/iam-admin/quotas?project={gcp.project_id}" in cpus.fix
    assert "CPUS" in cpus.fix and "at least 28" in cpus.fix
    ssd = results["quota.SSD_TOTAL_GB"]
    assert not ssd.ok and "needs 400, 250 free" in ssd.detail and "Persistent Disk SSD (GB)" in ssd.fix
    assert results["quota.IN_USE_ADDRESSES"].ok and results["permissions"].ok


def test_an_unknown_region_is_one_failed_quota_check(gcp, gcp_api):
    gcp.enable_apis()
    results = _by_key(run_checks(gcp_api, _plan(gcp, "mars-north1")))
    assert not results["quota"].ok and "was not found" in results["quota"].detail
    assert results["apis"].ok and results["permissions"].ok


def test_throttling_after_retries_is_a_failed_check(gcp, gcp_api):
    gcp.enable_apis()
    gcp.crm.inject("test_iam_permissions", status=429, code="RATE_LIMIT_EXCEEDED",
                   message="Quota exceeded for quota metric 'Read requests'", times=None)
    results = _by_key(run_checks(gcp_api, _plan(gcp)))
    assert not results["permissions"].ok and "throttling" in results["permissions"].detail
    assert "Retry" in results["permissions"].fix
    assert gcp.crm.requests.count("test_iam_permissions") == 4
    assert results["apis"].ok and results["quota.CPUS"].ok


def test_the_three_groups_run_at_once(gcp, gcp_api):
    gcp.enable_apis()
    for service, route in ((gcp.usage, "get_service"), (gcp.crm, "test_iam_permissions"),
                           (gcp.regions, "get_region")):
        service.latency(route, 0.3)
    calls_at_first_result: list[tuple[list[str], list[str], list[str]]] = []
    threads: set[int] = set()

    def heard(result: CheckResult) -> None:
        threads.add(threading.get_ident())
        if not calls_at_first_result:
            calls_at_first_result.append((gcp.usage.requests, gcp.crm.requests, gcp.regions.requests))

    results = run_checks(gcp_api, _plan(gcp), heard)
    assert all_passed(results)
    # When the first answer was in, each group had already asked its question (one after the
    # other, the second would not start until the first one's slow answer came back).
    usage, crm, regions = calls_at_first_result[0]
    assert usage.count("get_service") == 5 and crm == ["test_iam_permissions"] and regions == ["get_region"]
    assert len(threads) == 3


# -- word for word: each result as the checks screen shows it ------------------------------------

FIVE = ("compute.googleapis.com", "container.googleapis.com", "cloudresourcemanager.googleapis.com",
        "containerregistry.googleapis.com", "artifactregistry.googleapis.com")
APIS_LABEL = "The five APIs are enabled"
PERMISSIONS_LABEL = "The service account's permissions"
REFUSED_FIX = ("Grant it the Owner role on the project (IAM & Admin → IAM → Grant access), or the roles the "
               "provision checks list, then press Retry.")


def _owner_fix(project: str, email: str, roles: str) -> str:
    return ("Grant the service account the Owner role on the project, as the platform's docs do: in the console, "
            f"IAM & Admin → IAM → Grant access, principal {email}, role Basic → Owner; or run:\n"
            f"gcloud projects add-iam-policy-binding {project} --member=serviceAccount:{email} --role=roles/owner\n"
            f"Instead of Owner, these roles are enough: {roles}.\n"
            "A new role can take a minute or two to apply; then Check again.")


def test_passing_results_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    gcp.regions.set_quota("us-central1", "CPUS", 24, usage=16)  # exactly the 8 needed are free: enough
    results = run_checks(gcp_api, _plan(gcp))
    assert results[:3] == [
        CheckResult("apis", APIS_LABEL, True, "All five are on."),
        CheckResult("permissions", PERMISSIONS_LABEL, True, "All 22 that provisioning uses."),
        CheckResult("quota.CPUS", "CPUs in us-central1", True, "needs 8, 8 free (limit 24, 16 in use)."),
    ]
    assert [(r.label, r.ok, r.fix) for r in results[3:]] == [
        ("In-use IP addresses in us-central1", True, ""), ("Persistent Disk SSD (GB) in us-central1", True, ""),
        ("Instance groups in us-central1", True, ""), ("Instance group managers in us-central1", True, "")]


def test_the_apis_off_say_which_and_the_command(gcp, gcp_api):
    results = _by_key(run_checks(gcp_api, _plan(gcp)))
    assert results["apis"] == CheckResult(
        "apis", APIS_LABEL, False,
        "Not enabled: Compute Engine API, Kubernetes Engine API, Cloud Resource Manager API, Container Registry API, "
        "Artifact Registry API.",
        "Go back to the APIs step (it enables them and waits until Google is done), or run:\n"
        f"gcloud services enable {' '.join(FIVE)} --project={gcp.project_id}")


def test_checks_that_cannot_run_say_why_and_the_missing_permissions_their_roles(gcp):
    gcp.enable_apis()
    missing = {"serviceusage.services.get", "iam.serviceAccounts.actAs"}
    email = gcp.add_service_account("no-reads", set(PERMISSIONS) - missing)
    results = _by_key(run_checks(api_for(gcp, gcp.make_key(email)), _plan(gcp)))
    assert results["apis"] == CheckResult(
        "apis", APIS_LABEL, False,
        "Google Cloud denied access. The service account may not read whether the Compute Engine API is enabled. "
        f"Google said: Permission 'serviceusage.services.get' denied on resource 'projects/{gcp.project_id}' "
        "(or it may not exist).", REFUSED_FIX)
    assert results["permissions"] == CheckResult(
        "permissions", PERMISSIONS_LABEL, False,
        "Missing 2 of 22: iam.serviceAccounts.actAs, serviceusage.services.get.",
        _owner_fix(gcp.project_id, email, "Service Account User (roles/iam.serviceAccountUser), "
                                          "Service Usage Admin (roles/serviceusage.serviceUsageAdmin)"))


def test_a_throttled_permissions_check_says_what_it_was_doing(gcp, gcp_api):
    gcp.enable_apis()
    gcp.crm.inject("test_iam_permissions", status=429, code="RATE_LIMIT_EXCEEDED",
                   message="Quota exceeded for quota metric 'Read requests'", times=None)
    assert _by_key(run_checks(gcp_api, _plan(gcp)))["permissions"] == CheckResult(
        "permissions", PERMISSIONS_LABEL, False,
        "Google Cloud is throttling requests. Too many requests, so Google would not test the service account's "
        "permissions (retried already).", "Wait a minute, then press Retry.")


def test_an_unknown_region_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    assert _by_key(run_checks(gcp_api, _plan(gcp, "mars-north1")))["quota"] == CheckResult(
        "quota", "Quotas in mars-north1", False,
        "Google Cloud could not read region mars-north1 and its quotas. NOT_FOUND: The resource "
        f"'projects/{gcp.project_id}/regions/mars-north1' was not found",
        "Fix what Google names above and press Retry.")


def test_a_short_quota_word_for_word_with_fractions(gcp, gcp_api):
    gcp.enable_apis()
    gcp.regions.set_quota("us-central1", "CPUS", 24.5, usage=20)
    assert _by_key(run_checks(gcp_api, _plan(gcp)))["quota.CPUS"] == CheckResult(
        "quota.CPUS", "CPUs in us-central1", False, "needs 8, 4.5 free (limit 24.5, 20 in use): short by 3.5.",
        "Request at least 28 for CPUs (CPUS) in us-central1: open "
        f"https://console.cloud.google.com/iam-admin/quotas?project={gcp.project_id} , filter for \"CPUs\" and "
        "region us-central1, tick it, Edit quotas, and ask for 28 or more. Google usually answers within minutes "
        "(a free-trial account must upgrade first). Or choose a smaller cluster or another region, then Check again.")


@dataclass(frozen=True)
class _GpuPlan(GkePlan):
    @property
    def quota_needs(self) -> dict[str, int]:
        return {**super().quota_needs, "NVIDIA_T4_GPUS": 1}


def test_a_quota_google_does_not_report_passes_under_its_metric_name(gcp, gcp_api):
    gcp.enable_apis()
    results = run_checks(gcp_api, _GpuPlan("demo", gcp.project_id, "us-central1"))
    assert results[-1] == CheckResult("quota.NVIDIA_T4_GPUS", "NVIDIA_T4_GPUS in us-central1", True,
                                      "needs 1; Google sets no NVIDIA_T4_GPUS limit here.")


def test_a_plan_without_a_project_checks_the_keys_project(gcp, gcp_api):
    gcp.enable_apis(*FIVE[:4])
    results = _by_key(run_checks(gcp_api, GkePlan("demo", "", "us-central1")))
    assert results["apis"].fix.endswith(f"gcloud services enable artifactregistry.googleapis.com "
                                        f"--project={gcp.project_id}")
    assert results["permissions"].ok and all(results[key].ok for key in QUOTA_KEYS)


def test_the_plans_project_is_the_one_checked(gcp, gcp_api):
    gcp.enable_apis()
    results = _by_key(run_checks(gcp_api, GkePlan("demo", "someone-elses", "us-central1")))
    assert results["quota"] == CheckResult(
        "quota", "Quotas in us-central1", False,
        "Google Cloud denied access. The service account may not read region us-central1 and its quotas. "
        "Google said: Permission denied on resource project someone-elses (or it may not exist).", REFUSED_FIX)
    assert not results["permissions"].ok and "someone-elses" in results["permissions"].detail


def test_one_session_serves_the_three_groups(gcp, gcp_api, credentials_made):
    gcp.enable_apis()
    assert all_passed(run_checks(gcp_api, _plan(gcp)))
    assert credentials_made == [gcp.account_email]
