"""Provision checks against the doubles: the five APIs, the service account's permissions
(testIamPermissions) and the region's quotas, all at once; every failure says how to fix it, and
a check that cannot run is a failed check, never an exception."""
from __future__ import annotations

import threading

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
