# Production needs two approvals by distinct people, one of them the service owner.
package sluicegate.approvals

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := too_few(inp) | no_owner(inp)

approvers(inp) := {a.by | some a in inp.approvals}

too_few(inp) := {msg |
	inp.target_stage == "production"
	n := count(approvers(inp))
	n < 2
	msg := sprintf("production needs 2 distinct approvers, got %d", [n])
}

no_owner(inp) := {msg |
	inp.target_stage == "production"
	not has_owner_approval(inp)
	msg := "production needs an approval from the service owner"
}

has_owner_approval(inp) if {
	some a in inp.approvals
	a.role == "service-owner"
}
