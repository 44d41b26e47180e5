"""``sluice audit verify`` and ``sluice audit rotate-key`` on the database, on SQLite and on
PostgreSQL, as an operator runs them: the trust anchor comes from the configuration, never from
the database, and every kind of tampering is a non-zero exit that names the gap."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.support.app import Harness, make_harness
from tests.support.ledger import attack, sql
from typer.testing import CliRunner, Result

from sluicegate.adapters.signing import Ed25519Signer, read_public_keys
from sluicegate.cli.main import app
from sluicegate.service import audit as svc

# 17 seeded events; a checkpoint at 18 (the request's own event); three teams 100 s apart, each
# followed by a timed checkpoint (19, 20, 21); the head at 21 published to the head file.
SIZE = 21


@pytest.fixture
def ledger(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    h = make_harness(tmp_path / "home", database_url)
    for name in [n for n in os.environ if n.startswith("SLUICE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLUICE_HOME", str(h.container.settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", database_url)
    assert h.call("admin", "POST", "/api/v1/audit/checkpoints").status_code == 201
    for i in range(3):
        h.clock.advance(seconds=100)
        team = {"key": f"audited-{i}", "name": f"Audited {i}"}
        assert h.call("admin", "POST", "/api/v1/teams", json=team).status_code == 201
        assert svc.checkpoint_due(h.container.deps, 60) is not None
    h.container.heads.run(h.container.deps)
    try:
        yield h
    finally:
        h.close()


def _head(h: Harness) -> Path:
    return h.container.settings.head_file


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args])


def _pinned(h: Harness) -> list[str]:
    return read_public_keys(h.container.settings.trusted_keys_file)


def test_an_intact_ledger_verifies_with_the_configured_anchor(ledger: Harness) -> None:
    result = _cli("verify", "--against", str(_head(ledger)))
    assert result.exit_code == 0, result.output
    assert f"audit ledger OK: {SIZE} events, 4 checkpoint(s) verified" in result.stdout
    assert f"trusted keys pinned in {ledger.container.settings.trusted_keys_file}" in (
        result.stdout
    )
    assert "RFC 6962 consistency proof verified" in result.stdout

    report = json.loads(_cli("verify", "--json", "--against", str(_head(ledger))).stdout)
    assert report["ok"] is True
    assert report["count"] == SIZE
    assert report["against"]["consistent"] is True
    assert report["trust"]["source"] == str(ledger.container.settings.trusted_keys_file)
    signer = ledger.container.signer
    assert signer is not None
    assert report["trust"]["pinned"] == [signer.key_id]


def test_deleted_checkpoints_fail_and_name_the_gap(ledger: Harness) -> None:
    attack(ledger.container.engine, sql("DELETE FROM audit_checkpoints"))
    result = _cli("verify")
    assert result.exit_code == 3, result.output
    assert "FAILED at sequence 1: checkpoints are missing: events 1..21 span 300 s" in (
        result.stderr
    )
    assert "--checkpoint-every" in result.stderr  # the hint for a log written otherwise
    assert "Traceback" not in result.output

    report = json.loads(_cli("verify", "--json").stdout)
    assert report["ok"] is False
    assert report["first_bad_seq"] == 1
    assert report["checkpoints_verified"] == 0


def test_a_truncated_tail_passes_alone_and_fails_against_the_published_head(
    ledger: Harness,
) -> None:
    attack(
        ledger.container.engine,
        sql("DELETE FROM audit_events WHERE seq > 19"),
        sql("DELETE FROM audit_checkpoints WHERE tree_size > 19"),
    )
    assert _cli("verify").exit_code == 0  # a shorter log is consistent by itself
    result = _cli("verify", "--against", str(_head(ledger)))
    assert result.exit_code == 3, result.output
    assert "FAILED at sequence 20" in result.stderr
    assert f"events 20..{SIZE} were removed" in result.stderr

    report = json.loads(_cli("verify", "--json", "--against", str(_head(ledger))).stdout)
    assert report["first_bad_seq"] == 20
    assert report["against"] == {
        "tree_size": SIZE,
        "root": json.loads(_head(ledger).read_text())["root"],
        "ts": json.loads(_head(ledger).read_text())["ts"],
        "consistent": False,
    }


def test_a_key_inserted_into_the_database_fails_naming_the_key(ledger: Harness) -> None:
    mallory = Ed25519Signer.new()
    attack(
        ledger.container.engine,
        sql(
            "INSERT INTO audit_keys (key_id, public_key, created_at) VALUES (:k, :p, :t)",
            k=mallory.key_id,
            p=mallory.public_key_pem(),
            t=datetime(2026, 11, 21, 12, 0),
        ),
    )
    result = _cli("verify", "--against", str(_head(ledger)))
    assert result.exit_code == 3, result.output
    assert f"FAILED: audit key {mallory.key_id} is registered in the database" in result.stderr
    assert "not pinned" in result.stderr
    assert "rotate-key" in result.stderr  # the hint

    report = json.loads(_cli("verify", "--json").stdout)
    assert report["ok"] is False
    assert report["first_bad_seq"] is None
    assert mallory.key_id in report["problem"]
    assert mallory.key_id not in report["trust"]["pinned"]


def test_the_anchor_is_never_the_database(ledger: Harness, tmp_path: Path) -> None:
    """Without the pinned file, verification refuses to run instead of trusting audit_keys; a
    pinned key that is not the ledger's fails it."""
    other = tmp_path / "other.pem"
    other.write_text(Ed25519Signer.new().public_key_pem())
    result = _cli("verify", "--public-key", str(other))
    assert result.exit_code == 3
    assert "is not pinned" in result.stderr

    ledger.container.settings.trusted_keys_file.unlink()
    result = _cli("verify", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["code"] == "audit-trust-anchor-missing"
    assert "SLUICE_AUDIT_TRUSTED_KEYS" in result.stderr


def test_an_export_verifies_with_the_configured_anchor_without_public_key(
    ledger: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "audit.jsonl"
    export.write_text(ledger.call("admin", "GET", "/api/v1/audit/export").text)
    result = _cli("verify", "--file", str(export), "--against", str(_head(ledger)))
    assert result.exit_code == 0, result.output

    # An auditor's machine: only the pinned file, named by the setting.
    pinned = tmp_path / "auditor" / "trusted.pem"
    pinned.parent.mkdir()
    pinned.write_text(ledger.container.settings.trusted_keys_file.read_text())
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "nowhere"))
    monkeypatch.setenv("SLUICE_AUDIT_TRUSTED_KEYS", str(pinned))
    result = _cli("verify", "--file", str(export), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trust"]["source"] == str(pinned)
    assert not (tmp_path / "nowhere").exists()  # verifying a file touches no database

    monkeypatch.delenv("SLUICE_AUDIT_TRUSTED_KEYS")
    result = _cli("verify", "--file", str(export))
    assert result.exit_code == 2
    assert "no trust anchor" in result.stderr


def test_rotate_key_hands_over_by_a_signed_statement_and_the_pinned_key_still_verifies(
    ledger: Harness,
) -> None:
    settings = ledger.container.settings
    old = Ed25519Signer.load(settings.key_file)
    pinned_before = _pinned(ledger)

    result = _cli("rotate-key", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["endorsed_by"] == old.key_id
    new = Ed25519Signer.load(settings.key_file)
    assert record["key_id"] == new.key_id != old.key_id
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    statement = json.loads(record["statement"])
    assert statement["type"] == "sluicegate.audit.key-rotation/v1"
    assert statement["previous_key_id"] == old.key_id
    assert statement["tree_size"] == SIZE + 1  # the hand-over checkpoint covers the rotation
    assert _pinned(ledger) == pinned_before  # the anchor is not touched

    # The server signs with the new key from its next checkpoint on.
    assert ledger.call("admin", "POST", "/api/v1/audit/checkpoints").status_code == 201
    report = json.loads(_cli("verify", "--json", "--against", str(_head(ledger))).stdout)
    assert report["ok"] is True, report["problem"]
    assert report["last_checkpoint"]["key_id"] == new.key_id
    assert report["trust"]["pinned"] == [old.key_id]

    result = _cli("rotate-key")  # and again: trust follows the chain of statements
    assert result.exit_code == 0, result.output
    assert f"rotated the audit checkpoint key: {new.key_id} -> " in result.stdout
    assert _cli("verify").exit_code == 0


def test_rotate_key_without_a_key_is_a_usage_error_that_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("SLUICE_")]:
        monkeypatch.delenv(name)
    home = tmp_path / "empty"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    result = _cli("rotate-key")
    assert result.exit_code == 2
    assert f"no audit signing key at {home / 'audit-ed25519.pem'}" in result.stderr
    assert "sluice init" in result.stderr
    assert not home.exists()
