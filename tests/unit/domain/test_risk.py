from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sluicegate.bootstrap import default_risk_matrix_path
from sluicegate.domain.access.identity import ReviewerDomain
from sluicegate.domain.errors import InvalidRiskMatrix
from sluicegate.domain.risk import (
    DataClassification,
    RiskFactors,
    RiskLevel,
    RiskMatrix,
    SystemCriticality,
    UserImpact,
)


@pytest.fixture(scope="module")
def default_doc() -> dict[str, object]:
    doc = yaml.safe_load(Path(default_risk_matrix_path()).read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def matrix(default_doc: dict[str, object]) -> RiskMatrix:
    return RiskMatrix.from_dict(default_doc)


def f(d: str, u: str, s: str) -> RiskFactors:
    return RiskFactors(DataClassification(d), UserImpact(u), SystemCriticality(s))


def test_band_decides_and_explains(matrix: RiskMatrix) -> None:
    a = matrix.assess(f("internal", "segment", "high"))
    assert a.level is RiskLevel.MEDIUM
    assert a.score == 18
    assert a.decided_by == "band:medium"
    assert "user_impact=segment (3)" in a.explanation
    assert a.required_signoffs == (ReviewerDomain.PRODUCT, ReviewerDomain.OPERATIONS)
    assert a.escalations_applied == ()


def test_escalation_raises_level_and_names_rule(matrix: RiskMatrix) -> None:
    # public-ish product: 4 x 4 x 1 = 16 would be medium by band alone.
    a = matrix.assess(f("restricted-pii", "all", "low"))
    assert a.base_level is RiskLevel.MEDIUM
    assert a.level is RiskLevel.HIGH
    assert a.decided_by == "escalation:pii-to-everyone"
    assert "pii-to-everyone" in a.explanation
    assert ReviewerDomain.SECURITY in a.required_signoffs
    assert "sandbox" in a.allowed_environments


def test_highest_result_wins_among_escalations(matrix: RiskMatrix) -> None:
    a = matrix.assess(f("restricted-pii", "none", "mission-critical"))
    assert set(a.escalations_applied) >= {"pii-on-mission-critical", "mission-critical-floor"}
    assert a.level is RiskLevel.CRITICAL
    assert a.decided_by == "escalation:pii-on-mission-critical"
    assert "chaos" in a.required_evidence


def test_escalation_never_lowers(matrix: RiskMatrix) -> None:
    a = matrix.assess(f("confidential", "all", "mission-critical"))
    assert a.level is RiskLevel.CRITICAL
    assert a.decided_by == "band:critical"


@given(
    st.sampled_from(list(DataClassification)),
    st.sampled_from(list(UserImpact)),
    st.sampled_from(list(SystemCriticality)),
)
def test_level_is_monotone_in_every_factor(
    d: DataClassification, u: UserImpact, s: SystemCriticality
) -> None:
    m = RiskMatrix.from_dict(yaml.safe_load(Path(default_risk_matrix_path()).read_text()))
    base = m.assess(RiskFactors(d, u, s)).level.rank
    for bigger in list(DataClassification)[list(DataClassification).index(d) :]:
        assert m.assess(RiskFactors(bigger, u, s)).level.rank >= base
    for bigger_u in list(UserImpact)[list(UserImpact).index(u) :]:
        assert m.assess(RiskFactors(d, bigger_u, s)).level.rank >= base


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["factors"]["user_impact"].pop("all"), "factors.user_impact.all"),
        (lambda d: d["factors"]["user_impact"].update(everyone=3), "factors.user_impact.everyone"),
        (lambda d: d["bands"].__setitem__(0, {"max": 6, "level": "tiny"}), "bands[0].level"),
        (lambda d: d["bands"].pop(), "bands"),
        (lambda d: d["levels"]["high"].update(signoffs=["legal"]), "levels.high.signoffs[0]"),
        (lambda d: d["levels"].pop("critical"), "levels.critical"),
        (
            lambda d: d["escalations"][0].update(when={"colour": ["red"]}),
            "escalations[0].when.colour",
        ),
        (lambda d: d["escalations"][0].update(at_least="severe"), "escalations[0].at_least"),
    ],
)
def test_invalid_matrix_names_the_field(
    default_doc: dict[str, object], mutate: object, field: str
) -> None:
    doc = copy.deepcopy(default_doc)
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(InvalidRiskMatrix) as info:
        RiskMatrix.from_dict(doc)
    assert field in [e.field for e in info.value.errors]


def test_non_mapping_matrix_is_refused() -> None:
    with pytest.raises(InvalidRiskMatrix):
        RiskMatrix.from_dict(["not", "a", "matrix"])
