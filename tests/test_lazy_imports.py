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
