package sluicegate.sarif_test

import rego.v1

import data.sluicegate.sarif

findings(counts) := {"evidence": {"sarif": {"by_security_severity": counts}}}

test_high_finding_blocks if {
	msgs := {v.msg | some v in sarif.violations(findings({"critical": 0, "high": 2, "medium": 4}))}
	msgs == {"2 high-severity SARIF finding(s) must be fixed"}
}

test_critical_and_high_both_reported if {
	count(sarif.violations(findings({"critical": 1, "high": 1}))) == 2
}

test_medium_findings_pass if {
	count(sarif.violations(findings({"critical": 0, "high": 0, "medium": 7}))) == 0
}
