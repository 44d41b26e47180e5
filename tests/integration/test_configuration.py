"""Configuration from the environment: database, risk matrix file, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sluicegate.bootstrap import Settings, build, default_risk_matrix_path, prepare
from sluicegate.domain.errors import InvalidRiskMatrix
from sluicegate.domain.proposal import RiskInput
from sluicegate.domain.risk import RiskFactors, RiskLevel


def test_settings_from_env(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "SLUICE_HOME": str(tmp_path),
            "SLUICE_PORT": "9999",
            "SLUICE_MAX_BODY_BYTES": "10",
            "SLUICE_AUDIT_CHECKPOINT_EVERY": "7",
        }
    )
    assert s.port == 9999
    assert s.max_body_bytes == 10
    assert s.checkpoint_every == 7
    assert s.url == f"sqlite:///{tmp_path / 'sluicegate.db'}"
    assert s.key_file == tmp_path / "audit-ed25519.pem"
    pg = Settings.from_env({"SLUICE_DATABASE_URL": "postgresql://u@h/db"})
    assert pg.url == "postgresql://u@h/db"


def test_custom_risk_matrix_file_is_used(tmp_path: Path) -> None:
    doc = yaml.safe_load(default_risk_matrix_path().read_text())
    doc["bands"] = [{"max": 64, "level": "high"}]
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(doc))
    env = {"SLUICE_HOME": str(tmp_path / "home"), "SLUICE_RISK_MATRIX": str(path)}
    c = prepare(Settings.from_env(env))
    try:
        factors: RiskFactors = RiskInput(
            data_classification="public",  # type: ignore[arg-type]
            user_impact="none",  # type: ignore[arg-type]
            system_criticality="low",  # type: ignore[arg-type]
        ).factors()
        assert c.deps.default_risk_matrix.assess(factors).level is RiskLevel.HIGH
    finally:
        c.close()


@pytest.mark.parametrize("content", ["bands: [unclosed", "factors: {}\n", ""])
def test_bad_risk_matrix_file_fails_with_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "matrix.yaml"
    path.write_text(content)
    settings = Settings(home=tmp_path / "home", risk_matrix_path=path)
    with pytest.raises(InvalidRiskMatrix):
        build(settings)


def test_missing_risk_matrix_file_names_the_path(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", risk_matrix_path=tmp_path / "nope.yaml")
    with pytest.raises(InvalidRiskMatrix, match=r"nope\.yaml"):
        build(settings)
