"""``sluice slo validate|rules``: exit codes, the file and field of each error, --json, -o."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.support.slo import EXAMPLES, openslo_slo, sloth_spec
from typer.testing import CliRunner

from sluicegate.cli.main import COMMANDS, app, load

runner = CliRunner()
FILES = [str(EXAMPLES / "checkout-openslo.yaml"), str(EXAMPLES / "search-sloth.yaml")]


def _write(tmp_path: Path, name: str, *docs: object) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


def test_the_listed_help_is_the_groups_own() -> None:
    command = load("slo")
    assert COMMANDS["slo"][2] == (command.help or "").split("\n\n")[0].replace("\n", " ")


def test_validate_accepts_the_examples() -> None:
    done = runner.invoke(app, ["slo", "validate", *FILES])
    assert done.exit_code == 0, done.output
    assert "checkout-openslo.yaml: 2 SLOs valid (checkout/availability, checkout/latency)" in (
        done.stdout
    )
    done = runner.invoke(app, ["slo", "validate", "--json", *FILES])
    body = json.loads(done.stdout)
    assert body["valid"] is True
    assert [s["name"] for s in body["files"][1]["slos"]] == [
        "requests-availability",
        "requests-latency",
    ]
    assert body["files"][0]["slos"][1]["sli"] == "threshold"


def test_validate_names_file_and_field_of_each_error(tmp_path: Path) -> None:
    bad = openslo_slo()
    del bad["spec"]["service"]
    bad["spec"]["budgetingMethod"] = "Timeslices"
    path = _write(tmp_path, "bad.yaml", bad)
    done = runner.invoke(app, ["slo", "validate", path])
    assert done.exit_code == 2
    assert f"{path}: spec.service: required" in done.stderr
    assert f"{path}: spec.budgetingMethod: Timeslices is not supported" in done.stderr
    done = runner.invoke(app, ["slo", "validate", "--json", path])
    assert done.exit_code == 2
    body = json.loads(done.stdout)
    assert body["code"] == "invalid-slo"
    assert {"file": path, "field": "spec.service", "reason": "required"} in body["errors"]


def test_the_same_slo_in_two_files_and_bad_yaml(tmp_path: Path) -> None:
    one = _write(tmp_path, "one.yaml", sloth_spec())
    two = _write(tmp_path, "two.yaml", sloth_spec())
    done = runner.invoke(app, ["slo", "validate", one, two])
    assert done.exit_code == 2
    assert f"also defined in {one}" in done.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1,\n")
    done = runner.invoke(app, ["slo", "validate", str(broken)])
    assert done.exit_code == 2
    assert "not valid YAML" in done.stderr
    done = runner.invoke(app, ["slo", "validate", str(tmp_path / "missing.yaml")])
    assert done.exit_code == 2
    assert "cannot read" in done.stderr


def test_rules_prints_yaml_writes_a_file_and_json(tmp_path: Path) -> None:
    done = runner.invoke(app, ["slo", "rules", *FILES])
    assert done.exit_code == 0, done.output
    document = yaml.safe_load(done.stdout)
    assert len(document["groups"]) == 12
    assert "expr: |-" in done.stdout  # multi-line expressions as literal blocks
    out = tmp_path / "rules.yaml"
    done = runner.invoke(app, ["slo", "rules", FILES[1], "-o", str(out)])
    assert done.exit_code == 0
    assert "wrote 31 rules for 2 SLOs" in done.stderr
    assert yaml.safe_load(out.read_text())["groups"][0]["name"] == (
        "sluicegate-slo/search/requests-availability/sli"
    )
    done = runner.invoke(app, ["slo", "rules", "--json", FILES[1]])
    assert json.loads(done.stdout) == yaml.safe_load(out.read_text())


def test_rules_refuses_invalid_files(tmp_path: Path) -> None:
    spec = sloth_spec()
    spec["slos"][0]["objective"] = 120
    done = runner.invoke(app, ["slo", "rules", _write(tmp_path, "s.yaml", spec)])
    assert done.exit_code == 2
    assert "slos[0].objective: a percentage between 0 and 100" in done.stderr
    assert done.stdout == ""
