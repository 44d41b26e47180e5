# High and critical static-analysis findings (GitHub security-severity) block every promotion.
package sluicegate.sarif

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := {msg |
	some severity in ["critical", "high"]
	n := inp.evidence.sarif.by_security_severity[severity]
	n > 0
	msg := {"msg": sprintf("%d %s-severity SARIF finding(s) must be fixed", [n, severity]), "policy": "sarif", "severity": severity}
}
