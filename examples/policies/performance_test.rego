package sluicegate.performance_test

import rego.v1

import data.sluicegate.performance

test_slow_production_denied if {
	inp := {"target_stage": "production", "evidence": {"k6": {"p99_ms": 420}}}
	performance.violations(inp) == {"k6 p99 latency 420 ms exceeds the 300 ms budget for production"}
}

test_jmeter_evidence_is_checked_too if {
	inp := {"target_stage": "production", "evidence": {"jmeter": {"p99_ms": 301}}}
	performance.violations(inp) == {"jmeter p99 latency 301 ms exceeds the 300 ms budget for production"}
}

test_fast_production_passes if {
	inp := {"target_stage": "production", "evidence": {"k6": {"p99_ms": 300}}}
	count(performance.violations(inp)) == 0
}

test_staging_has_looser_budget if {
	inp := {"target_stage": "staging", "evidence": {"k6": {"p99_ms": 420}}}
	count(performance.violations(inp)) == 0
}

test_unreported_p99_is_not_a_violation if {
	inp := {"target_stage": "production", "evidence": {"k6": {"p99_ms": null}}}
	count(performance.violations(inp)) == 0
}
