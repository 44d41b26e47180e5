"""Bad process definitions: every error names its line and column, and nothing is built."""

from __future__ import annotations

import textwrap

import pytest

from sluicegate.domain.gates import (
    ProcessDefinitionError,
    load_process,
    load_template,
    process_from_dict,
)


def _errors(text: str, **kwargs: object) -> ProcessDefinitionError:
    with pytest.raises(ProcessDefinitionError) as info:
        load_process(textwrap.dedent(text), "p.yaml", **kwargs)  # type: ignore[arg-type]
    assert info.value.code == "invalid-process"
    return info.value


def _at(error: ProcessDefinitionError, needle: str) -> tuple[int | None, int | None]:
    matches = [i for i in error.issues if needle in i.reason]
    assert matches, [str(i) for i in error.issues]
    return matches[0].line, matches[0].column


HEAD = """\
apiVersion: sluicegate.dev/v1
kind: Process
metadata: {name: demo}
"""


def test_yaml_syntax_error_has_line_and_column() -> None:
    err = _errors(HEAD + "stages:\n  - name: a\n    gates: [unclosed\n")
    issue = err.issues[0]
    assert "YAML syntax error" in issue.reason
    assert issue.line is not None
    assert issue.line >= 6
    assert issue.location is not None
    assert issue.location.source == "p.yaml"


def test_empty_document_is_rejected() -> None:
    assert "empty" in _errors("# nothing\n").issues[0].reason


def test_unknown_property_points_at_the_key() -> None:
    err = _errors(HEAD + "stages:\n  - name: a\n    gatez: []\n")
    assert _at(err, "unknown property 'gatez'") == (6, 5)


def test_wrong_type_and_pattern_point_at_the_value() -> None:
    err = _errors(HEAD + "stages:\n  - name: Bad_Name\n    needs: nope\n")
    assert _at(err, "does not match") == (5, 11)
    assert _at(err, "expected array, got string") == (6, 12)


def test_missing_required_property_points_at_the_mapping() -> None:
    err = _errors("apiVersion: sluicegate.dev/v1\nkind: Process\nmetadata:\n  owner: x\n")
    assert _at(err, "missing required property 'name'") == (4, 3)


def test_unknown_check_type_is_rejected_with_location() -> None:
    text = HEAD + "stages:\n  - name: a\n    gates:\n      - id: g\n        type: telepathy\n"
    err = _errors(text)
    line, column = _at(err, "unknown check type 'telepathy'")
    assert (line, column) == (8, 15)
    assert "approval" in err.issues[0].reason  # names the known types


def test_check_config_errors_point_inside_the_config() -> None:
    text = HEAD + textwrap.dedent(
        """\
        stages:
          - name: a
            gates:
              - id: g
                type: approval
                config:
                  rules:
                    - {domain: astrology, min: 1}
                  expires_after: soon
        """
    )
    err = _errors(text)
    assert _at(err, "unknown domain") == (11, 24)
    assert _at(err, "not a duration") == (12, 26)


def test_schedule_config_errors_are_located() -> None:
    text = HEAD + textwrap.dedent(
        """\
        stages:
          - name: a
            gates:
              - id: freeze
                type: schedule
                config:
                  environments:
                    production:
                      freeze_windows:
                        - {name: x, weekly: {start: "Fri 16:00", end: "Funday"}}
        """
    )
    err = _errors(text)
    issue = next(i for i in err.issues if "weekly" in i.path)
    assert issue.line == 13
    assert issue.path.endswith("freeze_windows[0].weekly.end")


def test_cycle_unknown_need_and_unreachable_stage() -> None:
    text = HEAD + textwrap.dedent(
        """\
        stages:
          - name: start
          - name: b
            needs: [c]
          - name: c
            needs: [b]
        """
    )
    err = _errors(text)
    assert [i.reason for i in err.issues] == ["stages form a cycle (-> means needs): b -> c -> b"]
    assert _at(err, "cycle") == (7, 12)

    err = _errors(HEAD + "stages:\n  - name: a\n  - name: b\n    needs: [ghost]\n")
    assert _at(err, "unknown stage 'ghost'") == (7, 13)

    err = _errors(HEAD + "stages:\n  - name: a\n  - name: island\n")
    assert _at(err, "unreachable") == (6, 11)


def test_duplicate_keys_stages_and_gates() -> None:
    err = _errors(HEAD + "metadata: {name: again}\nstages:\n  - name: a\n")
    assert _at(err, "duplicate key") == (4, 1)
    err = _errors(HEAD + "stages:\n  - name: a\n  - name: a\n")
    assert _at(err, "duplicate stage") == (6, 11)


def test_all_problems_are_reported_together() -> None:
    text = HEAD + textwrap.dedent(
        """\
        stages:
          - name: a
            gates:
              - {id: one, type: nope}
              - {id: two, type: evidence, config: {require: [horoscope]}}
          - name: b
            needs: [zzz]
        """
    )
    err = _errors(text)
    assert len(err.issues) == 3
    assert all(i.line is not None for i in err.issues)
    assert str(err).startswith("invalid process definition: p.yaml:")


TEMPLATE = """\
apiVersion: sluicegate.dev/v1
kind: Template
metadata: {name: base}
parameters:
  min: {type: number, required: true}
  ttl: {type: duration, default: 7d}
stages:
  - name: a
    gates:
      - id: cov
        type: evidence
        config: {thresholds: {coverage.line_rate: {min: "${min}"}}}
"""


def test_missing_template_parameter_points_at_with() -> None:
    template = load_template(TEMPLATE, "base.yaml")
    err = _errors(HEAD + "extends:\n  template: base\n  with: {ttl: 3d}\n", templates=[template])
    assert _at(err, "needs parameter 'min'") == (6, 9)


def test_wrong_parameter_type_and_unknown_parameter() -> None:
    template = load_template(TEMPLATE, "base.yaml")
    text = HEAD + "extends:\n  template: base\n  with:\n    min: high\n    ttl: 3 days\n    x: 1\n"
    err = _errors(text, templates=[template])
    assert _at(err, "expected number, got str") == (7, 10)
    assert _at(err, "is not a duration") == (8, 10)
    assert _at(err, "no parameter 'x'") == (9, 5)


def test_unknown_template_and_unknown_placeholder() -> None:
    err = _errors(HEAD + "extends: {template: nowhere}\n")
    assert _at(err, "unknown template 'nowhere'") == (4, 21)
    bad = TEMPLATE.replace('"${min}"', '"${mni}"')
    template = load_template(bad, "base.yaml")
    err = _errors(HEAD + "extends: {template: base, with: {min: 0.5}}\n", templates=[template])
    issue = next(i for i in err.issues if "${mni}" in i.reason)
    assert issue.location is not None
    assert (issue.location.source, issue.line) == ("base.yaml", 12)


def test_template_defaults_are_type_checked() -> None:
    with pytest.raises(ProcessDefinitionError) as info:
        load_template(TEMPLATE.replace("default: 7d", "default: 7"), "base.yaml")
    assert info.value.issues[0].line == 6
    with pytest.raises(ProcessDefinitionError) as info:
        load_template(TEMPLATE.replace("kind: Template", "kind: Process"), "base.yaml")
    assert "expected kind Template" in info.value.issues[0].reason


def test_process_from_dict_validates_without_locations() -> None:
    with pytest.raises(ProcessDefinitionError) as info:
        process_from_dict({"apiVersion": "sluicegate.dev/v1", "kind": "Process"})
    assert info.value.issues[0].reason == "missing required property 'metadata'"
    assert info.value.issues[0].line is None


def test_the_lifecycle_gate_id_is_reserved() -> None:
    text = (
        "apiVersion: sluicegate.dev/v1\nkind: Process\nmetadata: {name: p}\nstages:\n"
        "  - name: sandbox\n    gates:\n      - id: lifecycle\n        type: evidence\n"
    )
    with pytest.raises(ProcessDefinitionError) as info:
        load_process(text, "p.yaml")
    assert [(i.line, i.reason) for i in info.value.issues] == [
        (7, "gate id 'lifecycle' is reserved for the built-in lifecycle check")
    ]
