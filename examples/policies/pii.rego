# Restricted PII may only be promoted into environments certified for it.
package sluicegate.pii

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := {msg |
	inp.experiment.data_classification == "restricted-pii"
	not inp.environment.name in data.config.compliant_environments
	msg := {
		"msg": sprintf("experiment %s handles restricted-pii; %s is not a compliant environment", [inp.experiment.key, inp.environment.name]),
		"policy": "pii",
	}
}
