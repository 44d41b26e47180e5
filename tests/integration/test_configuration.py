"""Configuration from the environment: database, risk matrix file, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sluicegate.bootstrap import Settings, build, default_risk_matrix_path, prepare
from sluicegate.domain.errors import InvalidRiskMatrix
from sluicegate.domain.experiments.proposal import RiskInput
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


def test_settings_defaults_match_the_documented_ones() -> None:
    s = Settings.from_env({})
    assert (s.home, s.database_url, s.host, s.port) == (Path(".sluicegate"), "", "127.0.0.1", 8080)
    assert (s.checkpoint_every, s.max_body_bytes, s.expiry_interval_seconds) == (1000, 1 << 20, 60)
    assert (s.risk_matrix_path, s.audit_key_file, s.policy_dir) == (None, None, None)
    assert (s.max_override_days, s.jit_max_hours, s.breaker_cooldown_seconds) == (7, 8, 300)
    assert Settings.from_env({}) == Settings()
    blank = Settings.from_env({"SLUICE_POLICY_DIR": "", "SLUICE_PROMETHEUS_TOKEN": ""})
    assert (blank.policy_dir, blank.prometheus_bearer_token) == (None, None)


def test_keyword_construction_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_PORT", "1234")
    assert Settings().port == 8080
    assert Settings.from_env().port == 1234


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLUICE_PORT", "eighty"),
        ("SLUICE_AUDIT_CHECKPOINT_EVERY", "1.5"),
        ("SLUICE_JIT_MAX_HOURS", "a day"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_reason(variable: str, value: str) -> None:
    from sluicegate.bootstrap import InvalidSettings

    with pytest.raises(InvalidSettings) as caught:
        Settings.from_env({variable: value})
    assert variable in str(caught.value)
    assert repr(value) in str(caught.value)
    assert caught.value.code == "invalid-settings"
    assert [e.field for e in caught.value.errors] == [variable]


def test_the_cli_reports_a_bad_setting_with_the_usage_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sluicegate.cli.main import app

    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLUICE_PORT", "eighty")
    for args in (["config", "show"], ["init", "--admin", "root"], ["serve"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "SLUICE_PORT" in result.stderr
        assert "valid integer" in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "home").exists()


def test_config_show_prints_values_sources_and_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from sluicegate.cli.main import app

    for name in [n for n in __import__("os").environ if n.startswith("SLUICE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path))
    monkeypatch.setenv("SLUICE_DATABASE_URL", "postgresql://app:hunter2@db/sluice?sslpassword=x")
    monkeypatch.setenv("SLUICE_PROMETHEUS_URL", "http://ops:pr0m@prometheus:9090")
    monkeypatch.setenv("SLUICE_PROMETHEUS_TOKEN", "s3cret-token")
    monkeypatch.setenv("SLUICE_PROMETHEUS_PASSWORD", "pr0m")
    monkeypatch.setenv("SLUICE_TOKEN", "sg_abcdef")
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    for secret in ("hunter2", "pr0m", "s3cret-token", "sg_abcdef", "sslpassword=x"):
        assert secret not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["SLUICE_DATABASE_URL"] == {
        "value": "postgresql://app:****@db/sluice?sslpassword=****",
        "source": "env",
    }
    assert shown["SLUICE_PROMETHEUS_URL"]["value"] == "http://ops:****@prometheus:9090"
    assert shown["SLUICE_PROMETHEUS_TOKEN"] == {"value": "****", "source": "env"}
    assert shown["SLUICE_TOKEN"] == {"value": "****", "source": "env"}
    assert shown["SLUICE_PORT"] == {"value": 8080, "source": "default"}
    assert shown["SLUICE_HOME"] == {"value": str(tmp_path), "source": "env"}
    assert shown["SLUICE_AUDIT_KEY_FILE"] == {
        "value": str(tmp_path / "audit-ed25519.pem"),
        "source": "default",
    }
    assert shown["SLUICE_URL"] == {"value": "http://127.0.0.1:8080", "source": "default"}

    monkeypatch.delenv("SLUICE_DATABASE_URL")
    table = CliRunner().invoke(app, ["config", "show"])
    assert table.exit_code == 0, table.output
    assert "SLUICE_DATABASE_URL" in table.stdout
    assert "hunter2" not in table.stdout
    assert "default" in table.stdout
    shown = json.loads(CliRunner().invoke(app, ["config", "show", "--json"]).stdout)
    assert shown["SLUICE_DATABASE_URL"] == {
        "value": f"sqlite:///{tmp_path / 'sluicegate.db'}",
        "source": "default",
    }
