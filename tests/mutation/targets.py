"""The safety-critical modules (issue 18) and the tests that guard each: a mutant of the module
is run against these only (mutmut then narrows to the tests that reach the mutated function).
Keep each list to tests that finish in seconds: every mutant reruns them."""
from __future__ import annotations

TARGETS: dict[str, list[str]] = {
    # Secrets: where they are kept, and that none reaches a file we write.
    "wizard/redaction.py": ["tests/test_redaction.py"],
    "wizard/secret_store.py": ["tests/test_secret_store.py"],
    # Saved progress and its loading.
    "wizard/state.py": ["tests/test_state.py"],
    # The Google key: what is accepted, and where its token may be sent.
    "wizard/gcp/key.py": ["tests/test_gcp_key.py"],
    # AWS: the role Porter assumes, provisioning, teardown and the sweep of leftovers.
    "wizard/aws/role_stack.py": ["tests/test_aws_role_stack.py"],
    "wizard/aws/teardown.py": ["tests/test_teardown_converges.py", "tests/test_aws_provision.py"],
    "wizard/aws/sweep.py": ["tests/test_aws_provision.py"],
    "wizard/aws/quotas.py": ["tests/test_aws_quotas.py"],
    # Azure: access setup, rotation, teardown.
    "wizard/azure/access.py": ["tests/test_azure_access.py"],
    "wizard/azure/rotation.py": ["tests/test_azure_rotation.py"],
    "wizard/azure/teardown.py": ["tests/test_kill_sweep_azure.py", "tests/test_azure_provision.py"],
    # Google Cloud: teardown.
    "wizard/gcp/teardown.py": ["tests/test_gcp_teardown.py", "tests/test_kill_sweep_gcp.py"],
}
