package sluicegate.coverage_test

import rego.v1

import data.sluicegate.coverage

test_low_coverage_blocks_staging if {
	inp := {"target_stage": "staging", "evidence": {"coverage": {"line_rate": 0.72}}}
	coverage.violations(inp) == {"line coverage 72.0% is below the 80% required for staging"}
}

test_enough_coverage_passes_staging if {
	inp := {"target_stage": "staging", "evidence": {"coverage": {"line_rate": 0.8}}}
	count(coverage.violations(inp)) == 0
}

test_missing_coverage_blocks if {
	coverage.violations({"target_stage": "production", "evidence": {}}) == {"coverage evidence is required for production"}
}

test_dev_stage_has_no_minimum if {
	count(coverage.violations({"target_stage": "dev", "evidence": {}})) == 0
}
