package sluicegate.freeze_test

import rego.v1

import data.sluicegate.freeze

friday := {"weekday": "Friday", "local": "2026-11-20T15:00:00+01:00"}

test_friday_production_warns if {
	inp := {"environment": {"name": "production"}, "now": friday}
	freeze.warnings(inp) == {"promoting to production on a Friday (2026-11-20T15:00:00+01:00); make sure on-call is aware"}
}

test_friday_staging_is_quiet if {
	count(freeze.warnings({"environment": {"name": "staging"}, "now": friday})) == 0
}

test_tuesday_production_is_quiet if {
	inp := {"environment": {"name": "production"}, "now": {"weekday": "Tuesday", "local": "x"}}
	count(freeze.warnings(inp)) == 0
}
