"""The Service Usage, Cloud Resource Manager and Compute Engine regions doubles, as the wizard sees
them: through GcpApi (google-auth signs the key's JWT, gets a token from the token double, and
sends it), with Google's wire shapes, errors and long-running operations."""
from __future__ import annotations

import time

import pytest
import requests

from wizard.gcp.session import GcpHttpError
from wizard.sandbox.gcp.compute_regions import REGIONS
from wizard.sandbox.gcp.usage import CATALOGUE
from wizard.sandbox.gcp.world import DEFAULT_APIS, PORTER_APIS

from .gcp_fixtures import api_for

COMPUTE = "compute.googleapis.com"


def _services(gcp) -> str:
    return f"/v1/projects/{gcp.project_id}/services"


def _error(call, *args, **kwargs) -> GcpHttpError:
    with pytest.raises(GcpHttpError) as caught:
        call(*args, **kwargs)
    return caught.value


def _follow(api, op: dict, seconds: float = 5.0) -> dict:
    deadline = time.monotonic() + seconds
    while not op.get("done"):
        assert time.monotonic() < deadline, f"operation {op['name']} never finished"
        time.sleep(0.05)
        op = api.get("serviceusage", "/v1/" + op["name"])
    return op


# -- Service Usage --------------------------------------------------------------------------------
def test_compute_answers_service_disabled_until_the_project_enables_it(gcp, gcp_api):
    err = _error(gcp_api.get, "compute", f"/compute/v1/projects/{gcp.project_id}/regions")
    assert (err.status, err.code, err.reason) == (403, "PERMISSION_DENIED", "SERVICE_DISABLED")
    assert err.metadata["service"] == COMPUTE
    assert f"Compute Engine API has not been used in project {gcp.project_number}" in err.message
    service = gcp_api.get("serviceusage", f"{_services(gcp)}/{COMPUTE}")
    assert service["name"] == f"projects/{gcp.project_number}/services/{COMPUTE}"
    assert service["parent"] == f"projects/{gcp.project_number}"
    assert service["config"]["title"] == "Compute Engine API" and service["state"] == "DISABLED"


def test_enabling_is_an_operation_and_the_api_is_on_only_when_it_is_done(gcp, gcp_api):
    gcp.set_operation_delay(0.2)
    started = time.monotonic()
    op = gcp_api.post("serviceusage", f"{_services(gcp)}/{COMPUTE}:enable")
    assert op["name"].startswith(f"operations/acf.p2-{gcp.project_number}-") and "done" not in op
    assert op["metadata"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}
    assert gcp_api.get("serviceusage", f"{_services(gcp)}/{COMPUTE}")["state"] == "DISABLED"
    done = _follow(gcp_api, op)
    assert time.monotonic() - started >= 0.2
    assert done["response"]["@type"] == "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse"
    assert done["response"]["service"]["state"] == "ENABLED"
    assert COMPUTE in gcp.world.enabled_services
    assert gcp_api.get("compute", f"/compute/v1/projects/{gcp.project_id}/regions")["kind"] == "compute#regionList"
    again = gcp_api.post("serviceusage", f"{_services(gcp)}/{COMPUTE}:enable")
    assert again["done"] is True and again["name"] == "operations/noop.DONE_OPERATION"
    assert gcp_api.get("serviceusage", "/v1/operations/noop.DONE_OPERATION")["done"] is True


def test_disabling_turns_the_api_off_again(gcp, gcp_api):
    gcp.enable_apis(COMPUTE)
    op = gcp_api.post("serviceusage", f"{_services(gcp)}/{COMPUTE}:disable")
    assert op["response"]["@type"].endswith("DisableServiceResponse") and COMPUTE not in gcp.world.enabled_services
    assert _error(gcp_api.get, "compute", f"/compute/v1/projects/{gcp.project_id}/regions").reason == "SERVICE_DISABLED"


def test_a_failed_enable_ends_with_googles_error_in_the_operation(gcp, gcp_api):
    gcp.usage.fail_enable("container.googleapis.com")
    op = gcp_api.post("serviceusage", f"{_services(gcp)}/container.googleapis.com:enable")
    assert op["done"] is True and "response" not in op
    assert op["error"]["code"] == 9  # google.rpc.Code FAILED_PRECONDITION, not an HTTP status
    assert "Billing must be enabled" in op["error"]["message"]
    assert "container.googleapis.com" not in gcp.world.enabled_services
    second = _follow(gcp_api, gcp_api.post("serviceusage", f"{_services(gcp)}/container.googleapis.com:enable"))
    assert second["response"]["service"]["state"] == "ENABLED"  # the failure was for one attempt


def test_listing_filters_by_state_and_pages(gcp, gcp_api):
    enabled = gcp_api.get("serviceusage", _services(gcp), {"filter": "state:ENABLED"})["services"]
    names = {s["config"]["name"] for s in enabled}
    assert names == set(DEFAULT_APIS) and not names & set(PORTER_APIS)
    seen, token = [], ""
    while True:
        page = gcp_api.get("serviceusage", _services(gcp), {"pageSize": 3, **({"pageToken": token} if token else {})})
        assert len(page["services"]) <= 3
        seen += [s["config"]["name"] for s in page["services"]]
        token = page.get("nextPageToken", "")
        if not token:
            break
    assert sorted(seen) == sorted(CATALOGUE)
    assert _error(gcp_api.get, "serviceusage", _services(gcp), {"filter": "name:compute"}).status == 400


def test_unknown_names_get_googles_answers(gcp, gcp_api):
    err = _error(gcp_api.post, "serviceusage", f"{_services(gcp)}/nonsense.googleapis.com:enable")
    assert err.status == 403
    assert err.message == "Not found or permission denied for service(s): nonsense.googleapis.com."
    assert _error(gcp_api.get, "serviceusage", "/v1/operations/acf.p2-1-nothing").status == 404


def test_a_service_account_without_the_permission_cannot_enable(gcp):
    email = gcp.add_service_account("reader", {"serviceusage.services.get"})
    api = api_for(gcp, gcp.make_key(email))
    assert api.get("serviceusage", f"{_services(gcp)}/{COMPUTE}")["state"] == "DISABLED"
    err = _error(api.post, "serviceusage", f"{_services(gcp)}/{COMPUTE}:enable")
    assert err.status == 403 and err.reason == "IAM_PERMISSION_DENIED" and "serviceusage.services.enable" in err.message


# -- Cloud Resource Manager -----------------------------------------------------------------------
def test_the_project_in_v1_and_v3_shapes(gcp, gcp_api):
    path = f"/v1/projects/{gcp.project_id}"
    assert _error(gcp_api.get, "cloudresourcemanager", path).reason == "SERVICE_DISABLED"
    gcp.enable_apis("cloudresourcemanager.googleapis.com")
    v1 = gcp_api.get("cloudresourcemanager", path)
    assert (v1["projectId"], v1["projectNumber"]) == (gcp.project_id, gcp.project_number)
    assert v1["lifecycleState"] == "ACTIVE"
    assert v1["createTime"].endswith("Z") and v1["labels"] == {}
    v3 = gcp_api.get("cloudresourcemanager", f"/v3/projects/{gcp.project_number}")
    assert v3["name"] == f"projects/{gcp.project_number}" and v3["state"] == "ACTIVE"
    assert v3["projectId"] == gcp.project_id and "parent" not in v3


def test_test_iam_permissions_answers_the_subset_held(gcp, gcp_api):
    gcp.enable_apis()
    path = f"/v1/projects/{gcp.project_id}:testIamPermissions"
    asked = ["compute.regions.list", "container.clusters.create", "iam.serviceAccounts.actAs"]
    assert gcp_api.post("cloudresourcemanager", path, {"permissions": asked}) == {"permissions": asked}  # Owner
    limited = api_for(gcp, gcp.make_key(gcp.add_service_account("limited", {"compute.regions.list"})))
    held = limited.post("cloudresourcemanager", path, {"permissions": asked})
    assert held == {"permissions": ["compute.regions.list"]}
    assert limited.post("cloudresourcemanager", path, {"permissions": asked[1:]}) == {}  # none held: no 403
    assert _error(limited.get, "cloudresourcemanager", f"/v1/projects/{gcp.project_id}").status == 403
    assert _error(limited.post, "cloudresourcemanager", path, {"permissions": ["compute.*"]}).status == 400


# -- Compute Engine regions -----------------------------------------------------------------------
def test_regions_with_zones_and_quotas(gcp, gcp_api):
    gcp.enable_apis(COMPUTE)
    base = f"/compute/v1/projects/{gcp.project_id}/regions"
    listing = gcp_api.get("compute", base)
    assert listing["kind"] == "compute#regionList" and len(listing["items"]) == len(REGIONS) >= 30
    region = gcp_api.get("compute", f"{base}/us-central1")
    assert (region["kind"], region["name"], region["status"], region["supportsPzs"]) == \
        ("compute#region", "us-central1", "UP", False)
    assert [z.rsplit("/", 1)[-1] for z in region["zones"]] == [f"us-central1-{z}" for z in "abcf"]
    assert region["selfLink"].endswith(f"/compute/v1/projects/{gcp.project_id}/regions/us-central1")
    quotas = {q["metric"]: (q["limit"], q["usage"]) for q in region["quotas"]}
    assert quotas["CPUS"] == (24.0, 0.0) and quotas["IN_USE_ADDRESSES"] == (8.0, 0.0)
    assert quotas["SSD_TOTAL_GB"] == (500.0, 0.0) and quotas["INSTANCE_GROUP_MANAGERS"] == (50.0, 0.0)
    err = _error(gcp_api.get, "compute", f"{base}/mars-north1")
    assert err.status == 404
    assert err.message == f"The resource 'projects/{gcp.project_id}/regions/mars-north1' was not found"


def test_regions_page_and_quotas_can_be_set(gcp, gcp_api):
    gcp.enable_apis(COMPUTE)
    base = f"/compute/v1/projects/{gcp.project_id}/regions"
    first = gcp_api.get("compute", base, {"maxResults": 10})
    second = gcp_api.get("compute", base, {"maxResults": 10, "pageToken": first["nextPageToken"]})
    assert len(first["items"]) == 10 and first["items"][0]["name"] != second["items"][0]["name"]
    gcp.regions.set_quota("europe-west1", "CPUS", 8, usage=6)
    region = gcp_api.get("compute", f"{base}/europe-west1")
    assert {"metric": "CPUS", "limit": 8.0, "usage": 6.0} in region["quotas"]
    with pytest.raises(KeyError):
        gcp.regions.set_quota("europe-west1", "NOT_A_METRIC", 1)
    with pytest.raises(KeyError):
        gcp.regions.set_quota("mars-north1", "CPUS", 1)
    gcp.regions.clear()
    assert gcp.regions.quota("europe-west1", "CPUS") == (24.0, 0.0)


def test_a_region_read_needs_its_permission(gcp):
    gcp.enable_apis(COMPUTE)
    api = api_for(gcp, gcp.make_key(gcp.add_service_account("lister", {"compute.regions.list"})))
    assert api.get("compute", f"/compute/v1/projects/{gcp.project_id}/regions")["items"]
    err = _error(api.get, "compute", f"/compute/v1/projects/{gcp.project_id}/regions/us-east1")
    assert err.status == 403 and "Required 'compute.regions.get' permission" in err.message


# -- what every one of them checks ----------------------------------------------------------------
def test_another_project_is_403_in_every_double(gcp, gcp_api):
    gcp.enable_apis()
    for service, path in (("serviceusage", f"/v1/projects/someone-else/services/{COMPUTE}"),
                          ("cloudresourcemanager", "/v1/projects/someone-else"),
                          ("compute", "/compute/v1/projects/someone-else/regions/us-central1")):
        err = _error(gcp_api.get, service, path)
        assert err.status == 403 and "someone-else" in err.message, service


def test_a_bad_token_is_401_and_google_auth_refreshes_past_it(gcp, gcp_api):
    url = gcp_api.url("serviceusage", f"{_services(gcp)}/{COMPUTE}")
    answer = requests.get(url, headers={"Authorization": "Bearer ya29.not-a-token"}, verify=gcp.ca_path, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"]["status"] == "UNAUTHENTICATED"
    gcp_api.get("serviceusage", f"{_services(gcp)}/{COMPUTE}")  # signs in
    gcp_api.session.credentials.token = "ya29.revoked"  # still "valid" to google-auth: it sends it
    assert gcp_api.get("serviceusage", f"{_services(gcp)}/{COMPUTE}")["state"] == "DISABLED"
    assert gcp.usage.requests.count("get_service") == 4  # 401 (raw), ok, 401, then ok after the refresh
