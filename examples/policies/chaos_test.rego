package sluicegate.chaos_test

import rego.v1

import data.sluicegate.chaos

good_chaos := {"status": "completed", "deviated": false, "blast_radius": {"max_pct_users": 5}}

promotion(evidence) := {
	"risk": {"level": "mission-critical"},
	"target_stage": "production",
	"evidence": evidence,
}

test_passing_chaos_allows_mission_critical if {
	count(chaos.violations(promotion({"chaos": good_chaos}))) == 0
}

test_missing_chaos_denied if {
	chaos.violations(promotion({})) == {"mission-critical promotion requires a chaos experiment journal"}
}

test_deviated_chaos_denied if {
	run := object.union(good_chaos, {"status": "failed", "deviated": true})
	chaos.violations(promotion({"chaos": run})) == {"chaos experiment failed (deviated=true)"}
}

test_large_blast_radius_denied if {
	run := object.union(good_chaos, {"blast_radius": {"max_pct_users": 20}})
	chaos.violations(promotion({"chaos": run})) == {"chaos blast radius 20% of users exceeds 5%"}
}

test_low_risk_needs_no_chaos if {
	inp := object.union(promotion({}), {"risk": {"level": "low"}})
	count(chaos.violations(inp)) == 0
}

test_staging_needs_no_chaos if {
	inp := object.union(promotion({}), {"target_stage": "staging"})
	count(chaos.violations(inp)) == 0
}
