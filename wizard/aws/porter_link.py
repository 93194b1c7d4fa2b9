"""Porter's "Grant permissions" link, or the ExternalId it carries, as pasted by a person.

Porter's dashboard makes the ExternalId (a uuid4), tells Porter's API about it, and opens the AWS
console's CloudFormation page on its own template (porter-dev/porter-archive at ed607ee:
dashboard/src/components/CloudFormationForm.tsx and
dashboard/src/main/home/infrastructure-dashboard/forms/aws/GrantAWSPermissions.tsx):

    https://console.aws.amazon.com/cloudformation/home?#/stacks/create/review?templateURL=
    https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json&stackName=PorterRole
    &param_ExternalIdParameter=<uuid>&param_TrustArnParameter=arn:aws:iam::108458755588:role/CAPIManagement

(the newer form uses cloudformation-access-policy.json and leaves out param_ExternalIdParameter).
The wizard creates exactly that stack, so the link is checked as strictly as a person would hope:
a pasted link decides which template runs with administrator rights in their account.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from ..errors import InputError

#: The Porter platform identity the role must trust (the template's TrustArnParameter default).
PLATFORM_PRINCIPAL = "arn:aws:iam::108458755588:role/CAPIManagement"
EXTERNAL_ID_PARAM = "ExternalIdParameter"
TRUST_ARN_PARAM = "TrustArnParameter"
#: Where Porter publishes its templates (the bucket both forms of its link name).
PORTER_TEMPLATES = "https://porter-role.s3.us-east-2.amazonaws.com/"

_MAX_TEXT = 8192  # far above any real link; refuses pasted pages before regexes run on them
_WRAPPERS = {'"': '"', "'": "'", "`": "`", "<": ">", "“": "”", "‘": "’", "«": "»"}
# Console hosts of the three partitions, optionally region-prefixed (eu-west-1.console...).
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_CONSOLE_HOST = re.compile(
    rf"(?:(?P<region>{_REGION})\.)?console\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)")
_REGION_RE = re.compile(_REGION)
_CREATE_PAGES = ("/stacks/create/review", "/stacks/quickcreate")
# S3 hosts: virtual-hosted (bucket.s3[.-]region.amazonaws.com) and path-style (s3[.-]region...).
_S3_SUFFIX = r"amazonaws\.com(?:\.cn)?"
_BUCKET = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
_S3_VIRTUAL = re.compile(rf"{_BUCKET}\.s3(?:[.-]{_REGION})?\.{_S3_SUFFIX}")
_S3_PATH = re.compile(rf"s3(?:[.-]{_REGION})?\.{_S3_SUFFIX}")
_BUCKET_RE = re.compile(_BUCKET)
# AWS's own limits: CloudFormation stack names; sts:ExternalId (AssumeRole API reference:
# 2-1224 characters of [\w+=,.@:/-]); IAM role ARNs (names up to 64, optional path).
# All patterns are used with fullmatch: "$" would let a trailing newline through.
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_PARAM_NAME = re.compile(r"[A-Za-z0-9]{1,255}")
_ROLE_ARN = re.compile(r"arn:aws(?:-us-gov|-cn)?:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}",
                       re.ASCII)
# What a person may paste instead of the link: Porter's uuid4, or this wizard's older porter-<hex>.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_OUR_ID = re.compile(r"porter-[0-9a-f]{32}")

_WHERE = ("In Porter's dashboard: create a project, choose AWS, then Grant permissions; copy the "
          "link of the button that opens the AWS console, or the ExternalId Porter shows.")


@dataclass(frozen=True)
class PorterLink:
    template_url: str
    stack_name: str
    #: The link's param_* values by parameter name (ExternalIdParameter, TrustArnParameter...).
    parameters: dict[str, str] = field(default_factory=dict)
    region: str = ""
    #: From param_ExternalIdParameter; "" in the newer form, where Porter shows it separately.
    external_id: str = ""

    @property
    def porters_template(self) -> bool:
        """Whether the template is at Porter's own address. Any S3 address is accepted (a mirror, a
        self-hosted Porter), but one elsewhere is worth a second look before it runs as admin."""
        return self.template_url.startswith(PORTER_TEMPLATES)

    def with_external_id(self, external_id: str) -> PorterLink:
        check_external_id(external_id)
        # First, as in the older form of Porter's link (the console shows parameters in order).
        rest = {k: v for k, v in self.parameters.items() if k != EXTERNAL_ID_PARAM}
        return PorterLink(self.template_url, self.stack_name, {EXTERNAL_ID_PARAM: external_id, **rest},
                          self.region, external_id)

    def console_url(self, region: str, host: str = "console.aws.amazon.com") -> str:
        """The same create page, with the region the wizard watches for the stack in."""
        query = {"templateURL": self.template_url, "stackName": self.stack_name,
                 **{f"param_{k}": v for k, v in self.parameters.items()}}
        return (f"https://{host}/cloudformation/home?region={region}#/stacks/create/review?"
                + urllib.parse.urlencode(query, safe=":/"))


def check_external_id(text: str) -> str:
    if not _EXTERNAL_ID.fullmatch(text):
        raise InputError(
            f"An ExternalId is 2 to 1224 characters of letters, digits and +=,.@:/-_; this one "
            f"({len(text)} characters) is not.", _WHERE)
    return text


def _unwrap(text: str) -> str:
    text = text.strip()
    # Chat tools and e-mails wrap links in quotes or <...>; peel as many layers as there are.
    while len(text) >= 2 and _WRAPPERS.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def parse_external_id_or_link(text: str) -> PorterLink | str:
    """Porter's link, or a bare ExternalId (Porter's UUID, or this wizard's porter-<hex>)."""
    raw = _unwrap(text)
    if _UUID.fullmatch(raw) or _OUR_ID.fullmatch(raw):
        return raw
    if "://" not in raw and "." not in raw and raw:
        raise InputError("That is neither a link nor an ExternalId Porter makes (a UUID such as "
                         "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b).", _WHERE)
    return parse_porter_link(raw)


def parse_porter_link(text: str) -> PorterLink:
    raw = _unwrap(text)
    if not raw:
        raise InputError("Paste the link or the ExternalId from Porter's dashboard.", _WHERE)
    if len(raw) > _MAX_TEXT:
        raise InputError(f"That is {len(raw)} characters: far longer than Porter's link.", _WHERE)
    try:
        parts = urllib.parse.urlsplit(raw)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        raise InputError("That is not a link that can be read.", _WHERE) from None
    if parts.scheme.lower() == "http" and parts.netloc:
        raise InputError("That link is plain http: Porter's (and the AWS console's) is https.", _WHERE)
    if parts.scheme.lower() != "https" or not parts.netloc:
        raise InputError("That is not a link: Porter's starts with https://console.aws.amazon.com/.",
                         _WHERE)
    console = _CONSOLE_HOST.fullmatch(host)
    if "@" in parts.netloc or port is not None or not console:
        raise InputError(f"That link goes to {parts.netloc}, not to the AWS console "
                         "(console.aws.amazon.com). Only a link to AWS's own console is used.", _WHERE)
    page, _, fragment_query = parts.fragment.partition("?")
    if parts.path.rstrip("/") != "/cloudformation/home" or page.rstrip("/") not in _CREATE_PAGES:
        raise InputError("That AWS console link is not CloudFormation's create-stack page "
                         "(…/cloudformation/home#/stacks/create/review?…).", _WHERE)
    query = _single_values(fragment_query)
    region = _single_values(parts.query).get("region", "") or console.group("region") or ""
    if region and not _REGION_RE.fullmatch(region):
        raise InputError("The link's region is not an AWS region name.", _WHERE)
    template_url = _template_url(query.get("templateURL", ""))
    stack_name = query.get("stackName", "PorterRole")
    if not _STACK_NAME.fullmatch(stack_name):
        raise InputError("The link's stackName is not a CloudFormation stack name.", _WHERE)
    parameters = {}
    for key, value in query.items():
        if key.startswith("param_"):
            name = key[len("param_"):]
            if not _PARAM_NAME.fullmatch(name):
                raise InputError("The link has a parameter whose name is not CloudFormation's.", _WHERE)
            parameters[name] = value
    _check_trust(parameters.get(TRUST_ARN_PARAM))
    external_id = parameters.get(EXTERNAL_ID_PARAM, "")
    if EXTERNAL_ID_PARAM in parameters:
        check_external_id(external_id)
    return PorterLink(template_url, stack_name, parameters, region, external_id)


def _single_values(query: str) -> dict[str, str]:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    names = [k for k, _ in pairs]
    twice = sorted({k for k in names if names.count(k) > 1})
    if twice:
        # Which of two values the console would take is not documented: refuse rather than guess.
        raise InputError(f"The link gives {twice[0]} more than once.", _WHERE)
    return dict(pairs)


def _template_url(url: str) -> str:
    if not url:
        raise InputError("The link has no templateURL: it does not say which template to use.", _WHERE)
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        raise InputError("The link's templateURL cannot be read.", _WHERE) from None
    bucket_in_path = parts.path.lstrip("/").split("/", 1)
    ok = (parts.scheme.lower() == "https" and "@" not in parts.netloc and port is None
          and not parts.query and not parts.fragment)
    if ok and _S3_VIRTUAL.fullmatch(host):
        ok = bool(parts.path.strip("/"))
    elif ok and _S3_PATH.fullmatch(host):
        ok = (len(bucket_in_path) == 2 and bool(_BUCKET_RE.fullmatch(bucket_in_path[0]))
              and bool(bucket_in_path[1]))
    else:
        ok = False
    if not ok:
        raise InputError(f"The link's template is at {url[:120]}, which is not an https address on "
                         "Amazon S3 (Porter publishes it at porter-role.s3.us-east-2.amazonaws.com).",
                         _WHERE)
    return url


def _check_trust(arn: str | None) -> None:
    if arn is None:
        return  # the template's own default applies: Porter's platform identity
    if not _ROLE_ARN.fullmatch(arn):
        raise InputError("The link's TrustArnParameter is not an IAM role ARN "
                         "(arn:aws:iam::<12 digits>:role/<name>).", _WHERE)
    if arn != PLATFORM_PRINCIPAL:
        # The role gets AdministratorAccess: trusting anyone but Porter would hand them the account.
        raise InputError(f"The link makes the role trust {arn}, not Porter ({PLATFORM_PRINCIPAL}). "
                         "Use the link from Porter's own dashboard.", _WHERE)
