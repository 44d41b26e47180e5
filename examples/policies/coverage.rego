# Line coverage must reach the per-stage minimum (80 % for staging, 85 % for production).
package sluicegate.coverage

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := missing(inp) | too_low(inp)

missing(inp) := {msg |
	data.config.coverage_min[inp.target_stage]
	not inp.evidence.coverage
	msg := sprintf("coverage evidence is required for %s", [inp.target_stage])
}

too_low(inp) := {msg |
	minimum := data.config.coverage_min[inp.target_stage]
	rate := inp.evidence.coverage.line_rate
	rate < minimum
	msg := sprintf("line coverage %.1f%% is below the %.0f%% required for %s", [rate * 100, minimum * 100, inp.target_stage])
}
