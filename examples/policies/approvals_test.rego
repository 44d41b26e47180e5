package sluicegate.approvals_test

import rego.v1

import data.sluicegate.approvals

owner := {"by": "alice", "role": "service-owner"}

peer := {"by": "bob", "role": "engineer"}

test_two_approvals_with_owner_pass if {
	count(approvals.violations({"target_stage": "production", "approvals": [owner, peer]})) == 0
}

test_same_person_twice_counts_once if {
	inp := {"target_stage": "production", "approvals": [owner, owner]}
	approvals.violations(inp) == {"production needs 2 distinct approvers, got 1"}
}

test_missing_owner_denied if {
	inp := {"target_stage": "production", "approvals": [peer, {"by": "carol", "role": "engineer"}]}
	approvals.violations(inp) == {"production needs an approval from the service owner"}
}

test_staging_needs_no_approvals if {
	count(approvals.violations({"target_stage": "staging", "approvals": []})) == 0
}
