"""The safety-critical modules (issue 18) and the tests that guard each: a mutant of the module
is run against these only (mutmut then narrows to the tests that reach the mutated function).
Keep each list to tests that finish in seconds: every mutant reruns them."""
from __future__ import annotations

_CONVERGES = ["tests/test_provision_converges.py::test_a_clean_run_then_a_rerun_changes_nothing",
              "tests/test_provision_converges.py::test_found_resources_get_their_tags_and_settings_back"]

TARGETS: dict[str, list[str]] = {
    # Secrets: where they are kept, and that none reaches a file we write.
    "wizard/redaction.py": ["tests/test_redaction.py"],
    "wizard/secret_store.py": ["tests/test_secret_store.py"],
    # Saved progress and its loading.
    "wizard/state.py": ["tests/test_state.py", "tests/test_state_files.py"],
    # The Google key: what is accepted, and where its token may be sent.
    # (the offline checks word for word, in milliseconds; test_gcp_key.py's Google round trips
    # and fuzzing take seconds per mutant and add nothing to them)
    "wizard/gcp/key.py": ["tests/test_gcp_key_offline.py"],
    # AWS: the role Porter assumes, provisioning, teardown and the sweep of leftovers.
    "wizard/aws/role_stack.py": ["tests/test_aws_role_stack.py", "tests/test_aws_role_stack_states.py"],
    "wizard/aws/teardown.py": [
        "tests/test_teardown_converges.py::test_a_clean_teardown_removes_ours_and_leaves_the_users_things_exactly",
        "tests/test_aws_provision.py", "tests/test_aws_teardown_words.py"],
    "wizard/aws/sweep.py": ["tests/test_aws_provision.py", "tests/test_aws_sweep_words.py"],
    "wizard/aws/quotas.py": ["tests/test_aws_quotas.py", "tests/test_aws_quotas_words.py"],
    "wizard/aws/provision.py": ["tests/test_aws_provision.py"],
    # (the kill sweeps take a minute each: their clean-run and repair tests stand in for them here)
    "wizard/aws/provision_network.py": ["tests/test_aws_provision.py", *_CONVERGES],
    "wizard/aws/provision_cluster.py": ["tests/test_aws_provision.py", *_CONVERGES],
    "wizard/aws/verify.py": ["tests/test_aws_verify.py", "tests/test_aws_verify_words.py"],
    "wizard/aws/trust.py": ["tests/test_aws_verify.py", "tests/test_aws_trust_words.py"],
    # Azure: access setup, rotation, teardown.
    "wizard/azure/access.py": ["tests/test_azure_access.py", "tests/test_azure_access_words.py"],
    # (as for AWS: the kill sweep's clean-run and repair tests stand in for the sweep itself)
    "wizard/azure/provision.py": [
        "tests/test_azure_provision.py", "tests/test_azure_provision_words.py",
        "tests/test_kill_sweep_azure.py::test_a_clean_run_then_a_rerun_changes_nothing",
        "tests/test_kill_sweep_azure.py::test_found_resources_get_their_tags_and_settings_back"],
    "wizard/azure/quotas.py": ["tests/test_azure_quotas.py", "tests/test_azure_quotas_words.py"],
    # (with the hand-off's: the old secret stays on the app until Porter has the new one)
    "wizard/azure/rotation.py": ["tests/test_azure_rotation.py", "tests/test_rotation_handoff.py",
                                 "tests/test_azure_rotation_words.py", "tests/test_azure_rotation_porter_words.py"],
    "wizard/azure/teardown.py": ["tests/test_kill_sweep_azure.py", "tests/test_azure_provision.py",
                                 "tests/test_azure_teardown_words.py"],
    # The screens' guards: Continue off until the cost is acknowledged and every check passed.
    "screens/cost_screen.py": ["tests/test_guards_cost.py"],
    # (with the screen's pictures: its texts and buttons are what a person acts on)
    "screens/aws_quotas.py": ["tests/test_guards_quotas.py", "tests/test_aws_quotas_screen.py",
                              "tests/test_snapshots.py::test_quotas_with_a_denied_increase",
                              "tests/test_snapshots.py::test_quotas_all_passing_after_an_approved_increase",
                              "tests/test_flow_cluster.py::test_denied_increase_keeps_provisioning_disabled_and_says_why",
                              "tests/test_flow_cluster.py::test_a_request_made_before_a_relaunch_is_followed_not_repeated"],
    "screens/azure_quotas.py": ["tests/test_guards_quotas.py", "tests/test_azure_quotas_screen.py"],
    "screens/gcp_checks.py": ["tests/test_guards_quotas.py"],
    # Google Cloud: the APIs, the checks, provisioning and teardown.
    "wizard/gcp/apis.py": ["tests/test_gcp_apis.py"],
    "wizard/gcp/checks.py": ["tests/test_gcp_checks.py"],
    "wizard/gcp/provision.py": ["tests/test_gcp_provision.py", "tests/test_gcp_provision_words.py",
                                "tests/test_kill_sweep_gcp.py"],
    "wizard/gcp/teardown.py": ["tests/test_gcp_teardown.py", "tests/test_gcp_teardown_words.py",
                               "tests/test_kill_sweep_gcp.py"],
}
