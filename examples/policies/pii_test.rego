package sluicegate.pii_test

import rego.v1

import data.sluicegate.pii

base := {
	"experiment": {"key": "checkout-v2", "data_classification": "restricted-pii"},
	"environment": {"name": "prod-eu-pci"},
}

test_restricted_pii_in_compliant_environment_passes if {
	count(pii.violations(base)) == 0
}

test_restricted_pii_in_plain_environment_denied if {
	inp := object.union(base, {"environment": {"name": "staging"}})
	some v in pii.violations(inp)
	v.msg == "experiment checkout-v2 handles restricted-pii; staging is not a compliant environment"
}

test_internal_data_anywhere_passes if {
	inp := object.union(base, {"experiment": {"key": "x", "data_classification": "internal"}, "environment": {"name": "staging"}})
	count(pii.violations(inp)) == 0
}
