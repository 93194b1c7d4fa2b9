"""The three resource types the ARM double builds, with what each provider checks on a PUT and
fills in that the caller did not send (api-versions of the installed SDKs: network 2026-03-01,
containerservice 2026-08-01, containerregistry 2025-11-01; bodies as their models serialise).

- Microsoft.Network/virtualNetworks: subnets inside the address space and not overlapping; a
  subnet that an AKS node pool uses cannot be deleted (400 InUseSubnetCannotBeDeleted, naming the
  node's ipConfiguration as Azure does) and shows that ipConfiguration on read.
- Microsoft.ContainerService/managedClusters: at least one System pool; a pool's subnet must exist
  and the caller needs subnets/join/action on it (403 LinkedAuthorizationFailed); AKS fills the
  version, fqdn, node resource group (made as a group managed by the cluster), OIDC issuer URL,
  system-assigned identity, kubelet identity and network defaults; a failed cluster carries its
  error in properties.status.provisioningError.
- Microsoft.ContainerRegistry/registries: names are 5-50 letters and digits and unique across
  the whole double (every subscription), as the DNS name <name>.azurecr.io is in Azure.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .arm_store import Resource, ResourceState
from .directory import iso, now_utc
from ..https.service import ServiceError

__all__ = ["KINDS", "Kind", "Put", "registry_name_status"]

DEFAULT_KUBERNETES = "1.33.5"  # what AKS picks when the caller names no version
NODE_IMAGE = "AKSUbuntu-2204gen2containerd-202509.01.0"


@dataclass
class Put:
    """One PUT as the generic handler has checked it: the kind's write() turns it into the body."""
    state: ResourceState
    sub: str
    group: str
    name: str
    rid: str
    location: str
    body: dict[str, Any]
    old: Resource | None
    tenant: str
    check_linked: Callable[[str, str], None]  # (scope, action): 403 LinkedAuthorizationFailed


@dataclass(frozen=True)
class Kind:
    key: str  # route names: "<key>.put", "<key>.get", "<key>.delete"
    type: str
    creating: str  # provisioningState while the first PUT runs
    write: Callable[[Put], dict[str, Any]]
    # Fills what a read shows now into `body`, a copy of the stored one (it is sent after the lock).
    view: Callable[[ResourceState, Resource, dict[str, Any], str], None]
    in_use: Callable[[ResourceState, Resource], str | None] = lambda state, res: None

    @property
    def namespace(self) -> str:
        return self.type.split("/")[0]


def _short_hash(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.lower().encode()).hexdigest()[:n]


def _bad(message: str, code: str = "InvalidParameter") -> ServiceError:
    return ServiceError(400, code, message)


# -- virtual networks ---------------------------------------------------------------------------
def _aks_users(state: ResourceState, subnet_id: str) -> list[str]:
    """The ipConfigurations AKS node pools hold in a subnet (one per pool: enough to block it)."""
    users = []
    for cluster in state.of_type("Microsoft.ContainerService/managedClusters"):
        props = cluster.body["properties"]
        for pool in props.get("agentPoolProfiles") or []:
            if (pool.get("vnetSubnetID") or "").lower() == subnet_id.lower():
                vmss = f"aks-{pool['name']}-{_short_hash(cluster.id)}-vmss"
                users.append(f"/subscriptions/{cluster.sub}/resourceGroups/{props['nodeResourceGroup'].upper()}"
                             f"/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/0"
                             f"/networkInterfaces/{vmss}/ipConfigurations/ipconfig1")
    return users


def _in_use_message(subnet_id: str, users: list[str]) -> str:
    return (f"Subnet {subnet_id.rsplit('/', 1)[-1]} is in use by {users[0]} and cannot be deleted. In order to "
            "delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")


def _vnet_write(put: Put) -> dict[str, Any]:
    props = put.body.get("properties") or {}
    spaces = [ipaddress.ip_network(p, strict=False)
              for p in (props.get("addressSpace") or {}).get("addressPrefixes") or []]
    if not spaces:
        raise _bad("Cannot parse the request: addressSpace.addressPrefixes is required.", "InvalidRequestFormat")
    old = {s["name"].lower(): s for s in (put.old.body["properties"]["subnets"] if put.old else [])}
    subnets, seen = [], []
    for sent in props.get("subnets") or []:
        name, sub_props = sent.get("name"), sent.get("properties") or {}
        prefix = sub_props.get("addressPrefix") or (sub_props.get("addressPrefixes") or [None])[0]
        if not name or not prefix:
            raise _bad("Cannot parse the request: every subnet needs a name and an addressPrefix.",
                       "InvalidRequestFormat")
        net = ipaddress.ip_network(prefix, strict=False)
        if not any(net.subnet_of(space) for space in spaces if space.version == net.version):
            raise _bad(f"Subnet '{name}' is not valid because its IP address range is outside the IP address "
                       f"range of virtual network '{put.name}'.", "NetcfgSubnetRangeOutsideVnet")
        if any(net.overlaps(other) for other in seen):
            raise _bad(f"Subnet '{name}' is not valid because its IP address range overlaps with that of an "
                       f"existing subnet in virtual network '{put.name}'.", "NetcfgSubnetRangesOverlap")
        seen.append(net)
        sid = f"{put.rid}/subnets/{name}"
        subnets.append({"name": name, "id": sid, "etag": f'W/"{uuid.uuid4()}"',
                        "type": "Microsoft.Network/virtualNetworks/subnets",
                        "properties": {"addressPrefix": prefix, "delegations": [],
                                       "privateEndpointNetworkPolicies": "Disabled",
                                       "privateLinkServiceNetworkPolicies": "Enabled"}})
        old.pop(name.lower(), None)
    for dropped in old.values():  # a PUT without a subnet deletes it: not while nodes use it
        if users := _aks_users(put.state, dropped["id"]):
            raise _bad(_in_use_message(dropped["id"], users), "InUseSubnetCannotBeDeleted")
    guid = put.old.body["properties"]["resourceGuid"] if put.old else str(uuid.uuid4())
    return {"location": put.location, "tags": put.body.get("tags") or {}, "etag": f'W/"{uuid.uuid4()}"',
            "properties": {"addressSpace": {"addressPrefixes": [str(s) for s in spaces]}, "subnets": subnets,
                           "resourceGuid": guid, "virtualNetworkPeerings": [], "enableDdosProtection": False}}


def _vnet_view(state: ResourceState, res: Resource, body: dict[str, Any], now_state: str) -> None:
    for subnet in body["properties"]["subnets"]:
        subnet["properties"]["provisioningState"] = now_state
        users = _aks_users(state, subnet["id"])
        if users:
            subnet["properties"]["ipConfigurations"] = [{"id": u} for u in users]


def _vnet_in_use(state: ResourceState, res: Resource) -> str | None:
    for subnet in res.body["properties"]["subnets"]:
        if users := _aks_users(state, subnet["id"]):
            return _in_use_message(subnet["id"], users)
    return None


# -- AKS ----------------------------------------------------------------------------------------
def _subnet_exists(state: ResourceState, subnet_id: str) -> bool:
    vnet_id, _, _ = subnet_id.lower().partition("/subnets/")
    vnet = state.items.get(vnet_id)
    return vnet is not None and any(s["id"].lower() == subnet_id.lower() for s in vnet.body["properties"]["subnets"])


def _pools(put: Put, version: str, plugin: str, mode: str) -> list[dict[str, Any]]:
    props = put.body.get("properties") or {}
    pools = [dict(p) for p in props.get("agentPoolProfiles") or []]
    if not any(p.get("mode") == "System" for p in pools):
        raise _bad("Must define at least one system pool.", "MustDefineAtLeastOneSystemPool")
    for pool in pools:
        if not re.fullmatch(r"[a-z][a-z0-9]{0,11}", pool.get("name") or ""):
            raise _bad(f"The agent pool name '{pool.get('name')}' is invalid: lowercase letters and digits, "
                       "starting with a letter, at most 12 characters.", "InvalidAgentPoolName")
        low, high = pool.get("minCount"), pool.get("maxCount")
        if pool.get("enableAutoScaling") and (low is None or high is None or low > high):
            raise _bad(f"Agent pool '{pool['name']}' enables autoscaling but its minCount/maxCount are "
                       f"{low}/{high}; both are required and minCount must not exceed maxCount.")
        subnet = pool.get("vnetSubnetID")
        if subnet:
            if not _subnet_exists(put.state, subnet):
                raise _bad(f"The value of parameter agentPoolProfile.vnetSubnetID is invalid: subnet '{subnet}' "
                           "was not found.")
            put.check_linked(subnet, "Microsoft.Network/virtualNetworks/subnets/join/action")
        pool.setdefault("count", low if low is not None else 3)
        pool.setdefault("osType", "Linux")
        pool.setdefault("osSKU", "Ubuntu")
        pool.setdefault("type", "VirtualMachineScaleSets")
        pool.setdefault("maxPods", 250 if mode == "overlay" else 30 if plugin == "azure" else 110)
        pool.update(orchestratorVersion=version, currentOrchestratorVersion=version, nodeImageVersion=NODE_IMAGE,
                    osDiskType=pool.get("osDiskType") or "Managed", powerState={"code": "Running"})
    return pools


def _aks_write(put: Put) -> dict[str, Any]:
    body, old = put.body, put.old.body if put.old else {}
    props = dict(body.get("properties") or {})
    version = props.get("kubernetesVersion") or DEFAULT_KUBERNETES
    network = dict(props.get("networkProfile") or {})
    plugin = network.setdefault("networkPlugin", "azure")
    mode = network.get("networkPluginMode") or ""
    if plugin == "azure" and mode == "overlay":
        network.setdefault("podCidr", "10.244.0.0/16")
    network.setdefault("serviceCidr", "10.0.0.0/16")
    network.setdefault("dnsServiceIP", "10.0.0.10")
    network.setdefault("loadBalancerSku", "standard")
    network.setdefault("outboundType", "loadBalancer")
    pools = _pools(put, version, plugin, mode)
    sku = dict(body.get("sku") or {"name": "Base", "tier": "Free"})
    if sku.get("tier") not in ("Free", "Standard", "Premium"):
        raise _bad(f"The value '{sku.get('tier')}' of sku.tier is invalid; use Free, Standard or Premium.")
    prefix = props.get("dnsPrefix") or f"{put.name[:10]}-{put.group[:16]}-{put.sub[:6]}"
    node_group = props.get("nodeResourceGroup") or f"MC_{put.group}_{put.name}_{put.location}"
    old_props = old.get("properties") or {}
    oidc = dict(props.get("oidcIssuerProfile") or {"enabled": False})
    if oidc.get("enabled"):
        issuer = (old_props.get("oidcIssuerProfile") or {}).get("issuerURL")
        oidc["issuerURL"] = issuer or f"https://{put.location}.oic.prod-aks.azure.com/{put.tenant}/{uuid.uuid4()}/"
    identity = dict(body.get("identity") or {"type": "SystemAssigned"})
    if identity.get("type") == "SystemAssigned":
        kept = old.get("identity") or {}
        identity.update(principalId=kept.get("principalId") or str(uuid.uuid4()), tenantId=put.tenant)
    kubelet = (old_props.get("identityProfile") or {}).get("kubeletidentity") or {
        "resourceId": f"/subscriptions/{put.sub}/resourcegroups/{node_group}/providers/Microsoft.ManagedIdentity"
                      f"/userAssignedIdentities/{put.name}-agentpool",
        "clientId": str(uuid.uuid4()), "objectId": str(uuid.uuid4())}
    hcp = f"{prefix}-{_short_hash(put.rid)}"
    props.update(
        kubernetesVersion=version, currentKubernetesVersion=version, dnsPrefix=prefix,
        fqdn=f"{hcp}.hcp.{put.location}.azmk8s.io", azurePortalFQDN=f"{hcp}.portal.hcp.{put.location}.azmk8s.io",
        agentPoolProfiles=pools, nodeResourceGroup=node_group, networkProfile=network, oidcIssuerProfile=oidc,
        securityProfile=props.get("securityProfile") or {}, identityProfile={"kubeletidentity": kubelet},
        enableRBAC=props.get("enableRBAC", True), maxAgentPools=100, supportPlan="KubernetesOfficial",
        resourceUID=old_props.get("resourceUID") or uuid.uuid4().hex[:24])
    # AKS makes the node resource group at once, tagged like the cluster and managed by it.
    if put.state.group(put.sub, node_group) is None:
        put.state.add_group(put.sub, node_group, put.location, body.get("tags") or {}, managed_by=put.rid)
    return {"location": put.location, "tags": body.get("tags") or {}, "sku": sku, "identity": identity,
            "properties": props}


def _aks_view(state: ResourceState, res: Resource, body: dict[str, Any], now_state: str) -> None:
    props = body["properties"]
    props["powerState"] = {"code": "Running"}
    for pool in props["agentPoolProfiles"]:
        pool["provisioningState"] = now_state
    if now_state == "Failed" and res.op.error:
        props["status"] = {"provisioningError": dict(res.op.error)}


# -- container registries -----------------------------------------------------------------------
def registry_name_status(state: ResourceState, name: str, rid: str = "") -> dict[str, Any]:
    """checkNameAvailability's answer; `rid` is a registry that may keep its own name."""
    if not re.fullmatch(r"[a-zA-Z0-9]{5,50}", name or ""):
        return {"nameAvailable": False, "reason": "Invalid",
                "message": "The specified resource name is invalid. Registry names may contain only alpha numeric "
                           "characters and must be between 5 and 50 characters."}
    for other in state.of_type("Microsoft.ContainerRegistry/registries"):
        if other.name.lower() == name.lower() and other.id.lower() != rid.lower():
            return {"nameAvailable": False, "reason": "AlreadyExists",
                    "message": f"The registry DNS name {name.lower()}.azurecr.io is already in use. You can check if "
                               "the name is already claimed using following API: https://docs.microsoft.com/en-us/"
                               "rest/api/containerregistry/registries/checknameavailability"}
    return {"nameAvailable": True}


def _acr_write(put: Put) -> dict[str, Any]:
    status = registry_name_status(put.state, put.name, put.rid)
    if not status["nameAvailable"]:
        raise ServiceError(409 if status["reason"] == "AlreadyExists" else 400,
                           "AlreadyInUse" if status["reason"] == "AlreadyExists" else "InvalidResourceName",
                           status["message"])
    sku = (put.body.get("sku") or {}).get("name")
    if sku not in ("Basic", "Standard", "Premium"):
        raise _bad(f"The SKU '{sku}' is invalid; use Basic, Standard or Premium.", "InvalidSku")
    props, old = put.body.get("properties") or {}, (put.old.body["properties"] if put.old else {})
    return {"location": put.location, "tags": put.body.get("tags") or {}, "sku": {"name": sku, "tier": sku},
            "properties": {
                "loginServer": f"{put.name.lower()}.azurecr.io",
                "creationDate": old.get("creationDate") or iso(now_utc()),
                "adminUserEnabled": bool(props.get("adminUserEnabled", False)),
                "publicNetworkAccess": props.get("publicNetworkAccess", "Enabled"),
                "networkRuleBypassOptions": "AzureServices", "zoneRedundancy": "Disabled",
                "anonymousPullEnabled": False, "dataEndpointEnabled": False, "dataEndpointHostNames": [],
                "encryption": {"status": "disabled"}, "privateEndpointConnections": [],
                "policies": {"quarantinePolicy": {"status": "disabled"},
                             "retentionPolicy": {"days": 7, "status": "disabled"},
                             "exportPolicy": {"status": "enabled"}}}}


def _no_view(state: ResourceState, res: Resource, body: dict[str, Any], now_state: str) -> None:
    pass


KINDS = (
    # The network provider says "Updating" even while it creates.
    Kind("vnet", "Microsoft.Network/virtualNetworks", "Updating", _vnet_write, _vnet_view, _vnet_in_use),
    Kind("aks", "Microsoft.ContainerService/managedClusters", "Creating", _aks_write, _aks_view),
    Kind("acr", "Microsoft.ContainerRegistry/registries", "Creating", _acr_write, _no_view),
)
