# Mission-critical experiments need a completed, non-deviated chaos experiment whose declared
# blast radius stayed within 5 % of users before they reach canary or production.
package sluicegate.chaos

import rego.v1

deny contains msg if {
	some msg in violations(input)
}

violations(inp) := (missing_evidence(inp) | failed_run(inp)) | radius_too_large(inp)

requires_chaos(inp) if {
	inp.risk.level == "mission-critical"
	inp.target_stage in data.config.chaos_required_stages
}

missing_evidence(inp) := {msg |
	requires_chaos(inp)
	not inp.evidence.chaos
	msg := "mission-critical promotion requires a chaos experiment journal"
}

failed_run(inp) := {msg |
	requires_chaos(inp)
	chaos := inp.evidence.chaos
	not passing(chaos)
	msg := sprintf("chaos experiment %s (deviated=%v)", [chaos.status, chaos.deviated])
}

passing(chaos) if {
	chaos.status == "completed"
	chaos.deviated == false
}

radius_too_large(inp) := {msg |
	requires_chaos(inp)
	pct := inp.evidence.chaos.blast_radius.max_pct_users
	pct > 5
	msg := sprintf("chaos blast radius %v%% of users exceeds 5%%", [pct])
}
