"""Policy engine adapters (embedded Rego via regopy)."""

from __future__ import annotations

from sluicegate.adapters.policy.rego import RegoPolicyEngine, run_policy_tests

__all__ = ["RegoPolicyEngine", "run_policy_tests"]
