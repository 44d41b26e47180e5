# Production promotions on Fridays are allowed but flagged: the on-call weekend starts soon.
# ``input.now.weekday`` is computed by the gate in the environment's own timezone.
package sluicegate.freeze

import rego.v1

warn contains msg if {
	some msg in warnings(input)
}

warnings(inp) := {msg |
	inp.environment.name in {"production", "prod-eu-pci", "prod-us-hipaa"}
	inp.now.weekday == "Friday"
	msg := sprintf("promoting to %s on a Friday (%s); make sure on-call is aware", [inp.environment.name, inp.now.local])
}
