# Load-test p99 latency (k6 or JMeter evidence) must stay within the per-stage budget from
# data.config.p99_ms_max.
package sluicegate.performance

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := {msg |
	budget := data.config.p99_ms_max[inp.target_stage]
	some tool in ["k6", "jmeter"]
	p99 := inp.evidence[tool].p99_ms
	is_number(p99)
	p99 > budget
	msg := sprintf("%s p99 latency %v ms exceeds the %v ms budget for %s", [tool, p99, budget, inp.target_stage])
}
