"""Write-time findings: which problems a flag set write refuses (issue #11)."""

from __future__ import annotations

import pytest

from sluicegate.domain.errors import InvalidInput
from sluicegate.domain.flags import (
    FindingsMode,
    findings_mode,
    new_findings,
    parse_policy,
    refused_findings,
)
from sluicegate.flags import Finding

OLD = Finding("/flags/a/targeting/if/1", "unknown variant 'x'", "GENERAL when this is returned")
NEW = Finding("/flags/b/targeting/regex", "unknown operator 'regex'", "PARSE_ERROR when evaluated")


@pytest.mark.parametrize(
    ("environment", "policy", "mode"),
    [
        ("production", {}, FindingsMode.REFUSE),
        ("staging", {}, FindingsMode.WARN),
        ("development", {}, FindingsMode.WARN),
        ("production", {"findings": "warn"}, FindingsMode.WARN),
        ("staging", {"findings": "refuse"}, FindingsMode.REFUSE),
        ("staging", {"require_approval": True}, FindingsMode.WARN),
    ],
)
def test_default_refuses_in_production_and_warns_elsewhere(
    environment: str, policy: dict[str, object], mode: FindingsMode
) -> None:
    assert findings_mode(environment, policy) is mode


def test_only_problems_the_current_revision_lacks_are_new() -> None:
    assert new_findings([OLD, NEW], [OLD]) == (NEW,)
    moved = Finding("/flags/c/targeting/if/1", OLD.reason, OLD.effect)
    assert new_findings([moved], [OLD]) == (moved,)


def test_refused_findings_follow_the_mode() -> None:
    assert refused_findings("production", {}, [OLD, NEW], [OLD]) == (NEW,)
    assert refused_findings("production", {}, [OLD], [OLD]) == ()
    assert refused_findings("staging", {}, [OLD, NEW], []) == ()


@pytest.mark.parametrize("value", ["never", True, 1, None])
def test_policy_findings_must_be_refuse_or_warn(value: object) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_policy({"findings": value})
    assert info.value.errors[0].field == "policy.findings"


def test_policy_accepts_both_modes() -> None:
    assert parse_policy({"findings": "warn", "require_approval": True}) == {
        "findings": "warn",
        "require_approval": True,
    }
