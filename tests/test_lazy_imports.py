"""Starting the wizard loads no cloud SDK: each is imported when its cloud is chosen."""
from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from screens.app import WizardApp
from screens.steps import screen_class
screen_class("welcome")
loaded = sorted({m.split(".")[0] for m in sys.modules})
screen_class("aws.account")
from wizard.aws.session import list_profiles
list_profiles()  # the account step's first call
after_aws = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps([loaded, after_aws]))
"""


def test_welcome_loads_no_cloud_sdk_and_aws_loads_only_aws():
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    at_welcome, after_aws = json.loads(out)
    for sdk in ("boto3", "botocore", "moto", "azure", "google", "msal"):
        assert sdk not in at_welcome, f"{sdk} is loaded before any cloud is chosen"
    assert "botocore" in after_aws
    for other in ("azure", "google", "msal", "moto"):
        assert other not in after_aws, f"choosing AWS loaded {other}"


GCP_PROBE = """
import json, sys
from screens.steps import FLOWS, screen_class
for step in FLOWS["gcp"] + ["gcp.teardown"]:
    screen_class(step)
at_screens = sorted({m.split(".")[0] for m in sys.modules})
from wizard.gcp import connection, cost, key, plan
from wizard.gcp.session import GcpApi
GcpApi({"type": "service_account"}).url("compute", "/")
print(json.dumps([at_screens, sorted({m.split(".")[0] for m in sys.modules})]))
"""


def test_google_cloud_screens_load_no_sdk_until_used_and_never_aws_or_azure():
    out = subprocess.run([sys.executable, "-c", GCP_PROBE], check=True, capture_output=True, text=True).stdout
    at_screens, after = json.loads(out)
    for sdk in ("google", "boto3", "botocore", "azure", "msal", "moto"):
        assert sdk not in at_screens, f"the Google Cloud screens load {sdk}"
    for other in ("boto3", "botocore", "azure", "msal", "moto"):
        assert other not in after, f"the Google Cloud services load {other}"
