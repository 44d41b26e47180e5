"""``sluice audit verify`` as a user runs it: on an export (``--file``), on the database, and
against a published tree head (``--against``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.app import Harness
from typer.testing import CliRunner, Result

from sluicegate.cli.main import app


@pytest.fixture
def exported(sqlite_harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An export with a checkpoint, the pinned key in ``pem``, and the head published."""
    h = sqlite_harness
    settings = h.container.settings
    for name in [n for n in __import__("os").environ if n.startswith("SLUICE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLUICE_HOME", str(settings.home))
    monkeypatch.setenv("SLUICE_DATABASE_URL", settings.url)
    assert h.call("admin", "POST", "/api/v1/audit/checkpoints").status_code == 201
    h.container.heads.run(h.container.deps)
    r = h.call("admin", "GET", "/api/v1/audit/export")
    assert r.status_code == 200
    path = tmp_path / "audit.jsonl"
    path.write_text(r.text)
    (tmp_path / "audit.pem").write_text(settings.trusted_keys_file.read_text())
    return path


def _verify(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", "verify", *args])


def _file(path: Path, *args: str) -> Result:
    return _verify("--file", str(path), "--public-key", str(path.with_name("audit.pem")), *args)


def _events(path: Path) -> list[dict[str, object]]:
    return [d for d in map(json.loads, path.read_text().splitlines()) if "seq" in d]


def _rewrite(path: Path, seq: int, change: dict[str, object], drop: str | None = None) -> None:
    lines = []
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        if doc.get("seq") == seq:
            if drop:
                doc.pop(drop)
            doc.update(change)
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")


def test_an_intact_export_verifies_against_the_published_head(
    exported: Path, sqlite_harness: Harness
) -> None:
    head = sqlite_harness.container.settings.head_file
    result = _file(exported, "--against", str(head))
    assert result.exit_code == 0, result.output
    assert "audit ledger OK" in result.stdout
    assert "RFC 6962 consistency proof verified" in result.stdout
    assert any('"key"' in line for line in exported.read_text().splitlines()[:1])


def test_a_renamed_field_is_a_verification_failure_naming_sequence_and_field(
    exported: Path,
) -> None:
    """Issue 12, 1.3: this printed ``KeyError: 'actor'`` with exit 1."""
    seq = int(_events(exported)[4]["seq"])  # type: ignore[call-overload]
    actor = _events(exported)[4]["actor"]
    _rewrite(exported, seq, {"actor_name": actor}, drop="actor")
    result = _file(exported)
    assert result.exit_code == 3, result.output
    assert f"FAILED at sequence {seq}" in result.stderr
    assert "field 'actor' is missing" in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)

    report = json.loads(_file(exported, "--json").stdout)
    assert report["ok"] is False
    assert report["first_bad_seq"] == seq
    assert "field 'actor' is missing" in report["problem"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"seq": "5"}, "'seq' must be int"), ({"before": None, "reason": 7}, "'reason' must be str")],
)
def test_mistyped_fields_fail_verification(
    exported: Path, change: dict[str, object], field: str
) -> None:
    _rewrite(exported, 5, change)
    result = _file(exported)
    assert result.exit_code == 3, result.output
    assert field in result.stderr
    assert "Traceback" not in result.output


def test_a_truncated_export_fails_against_the_published_head(
    exported: Path, sqlite_harness: Harness
) -> None:
    lines = exported.read_text().splitlines()
    exported.write_text("\n".join(lines[:-3]) + "\n")  # the checkpoint and the last two events
    head = sqlite_harness.container.settings.head_file
    assert _file(exported).exit_code == 0  # a shorter log is a consistent log by itself
    result = _file(exported, "--against", str(head), "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert "were removed" in report["problem"]
    assert report["against"]["consistent"] is False


def test_a_bad_head_file_is_a_usage_error_naming_the_field(
    exported: Path, tmp_path: Path, sqlite_harness: Harness
) -> None:
    head = json.loads(sqlite_harness.container.settings.head_file.read_text())
    del head["root"]
    bad = tmp_path / "head.json"
    bad.write_text(json.dumps(head))
    result = _file(exported, "--against", str(bad))
    assert result.exit_code == 2
    assert "field 'root' is missing" in result.stderr


def test_database_verification_reads_the_pinned_keys_and_refuses_without_them(
    exported: Path, sqlite_harness: Harness
) -> None:
    head = sqlite_harness.container.settings.head_file
    result = _verify("--json", "--against", str(head))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["against"]["consistent"] is True
    assert report["root"] == json.loads(head.read_text())["root"]

    sqlite_harness.container.settings.trusted_keys_file.unlink()
    result = _verify()
    assert result.exit_code == 2
    assert "no trust anchor" in result.stderr
    result = _verify("--public-key", str(exported.with_name("audit.pem")))
    assert result.exit_code == 0, result.output


def test_a_key_added_to_an_export_fails_naming_the_key(exported: Path) -> None:
    from sluicegate.adapters.signing import Ed25519Signer

    mallory = Ed25519Signer.new()
    forged = {
        "key": {
            "key_id": mallory.key_id,
            "public_key": mallory.public_key_pem(),
            "endorsed_by": None,
            "statement": None,
            "signature": None,
        }
    }
    exported.write_text(json.dumps(forged) + "\n" + exported.read_text())
    result = _file(exported, "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["first_bad_seq"] is None
    assert f"audit key {mallory.key_id} is registered" in report["problem"]
    assert "not pinned" in result.stderr


def test_an_export_without_its_checkpoints_fails_naming_the_gap(exported: Path) -> None:
    lines = [line for line in exported.read_text().splitlines() if '"checkpoint"' not in line]
    exported.write_text("\n".join(lines) + "\n")
    count = len(_events(exported))
    assert _file(exported).exit_code == 0  # 18 events fit the default rule of 1000
    result = _file(exported, "--checkpoint-every", "10")
    assert result.exit_code == 3, result.output
    assert f"FAILED at sequence 1: checkpoints are missing: events 1..{count}" in result.stderr


def test_a_head_signed_by_another_key_fails_with_its_own_hint(
    exported: Path, tmp_path: Path, sqlite_harness: Harness
) -> None:
    from sluicegate.adapters.signing import Ed25519Signer
    from sluicegate.domain.audit.chain import checkpoint_payload

    head = json.loads(sqlite_harness.container.settings.head_file.read_text())
    other = Ed25519Signer.new()
    payload = checkpoint_payload(
        head["tree_size"], head["root"], head["last_hash"], head["ts"], other.key_id
    )
    head.update(key_id=other.key_id, signature=other.sign(payload))
    forged = tmp_path / "forged-head.json"
    forged.write_text(json.dumps(head))
    result = _file(exported, "--against", str(forged))
    assert result.exit_code == 3, result.output
    assert f"is not signed by a trusted key (key {other.key_id})" in result.stderr
    assert "take it from where this server publishes its heads" in result.stderr
