"""GitLab webhook payloads read into delivery events (recorded-style fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.json_mutations import mutate_some

from sluicegate.domain.delivery.changes import (
    Change,
    ChangeKind,
    Review,
    ReviewState,
    change_step,
    check_change,
)
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentStatus,
    Revision,
    Step,
    check_deployment,
)
from sluicegate.domain.delivery.sources import (
    Parsed,
    PayloadError,
    SourceKind,
    SourceRules,
    gitlab,
    parse,
)
from sluicegate.domain.delivery.sources._fields import parse_time

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "gitlab"
RULES = SourceRules(
    name="gitlab",
    kind=SourceKind.GITLAB,
    environments={"production": "prod"},
    deploy_workflows=frozenset({"deploy-production"}),
    deploy_environment="prod",
)
PATH = "platform/billing-api"
DEPLOY_SHA = "d720144a963a7e45fa50efd424d952894b1f03f8"
MERGE_SHA = "e84359ecdc661738b0cf27b1c6edda6010ffccec"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def valid(parsed: Parsed) -> Parsed:
    for d in parsed.deployments:
        assert check_deployment(d) == [], d
    for c in parsed.changes:
        assert check_change(c) == [], c
    return parsed


def only_deployment(event: str, payload: dict[str, Any]) -> Deployment:
    parsed = valid(parse(event, payload, RULES))
    assert parsed.ignored is None
    assert not parsed.changes
    (d,) = parsed.deployments
    return d


def only_change(event: str, payload: dict[str, Any]) -> Change:
    parsed = valid(parse(event, payload, RULES))
    assert parsed.ignored is None
    assert not parsed.deployments
    (c,) = parsed.changes
    return c


def error_at(event: str, payload: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(PayloadError) as caught:
        gitlab.parse(event, payload, RULES)
    (err,) = caught.value.errors
    return err.field, err.reason


# timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-28 21:50:00 +0200", "2021-04-28T19:50:00Z"),
        ("2016-08-12 15:23:28 UTC", "2016-08-12T15:23:28Z"),
        ("2013-12-03T17:23:34Z", "2013-12-03T17:23:34Z"),
        ("2011-12-12T14:27:31+02:00", "2011-12-12T12:27:31Z"),
        ("2014-06-30T18:59:12.3660573Z", "2014-06-30T18:59:12.366057Z"),
    ],
)
def test_gitlab_time_formats(text: str, expected: str) -> None:
    assert parse_time(text) == t(expected)


@pytest.mark.parametrize(
    "text", ["2021-04-28 21:50:00", "2021-04-28", "", "soon", "2021-02-30 10:00:00 UTC"]
)
def test_times_without_a_zone_or_date_are_refused(text: str) -> None:
    assert parse_time(text) is None


# deployment


def test_deployment_running_then_success_keeps_the_id() -> None:
    running = only_deployment("Deployment Hook", load("deployment_running.json"))
    done = only_deployment("Deployment Hook", load("deployment_success.json"))
    assert running == Deployment(
        source="gitlab",
        id=f"{PATH}/deployments/8812",
        service="billing-api",
        environment="prod",
        status=DeploymentStatus.IN_PROGRESS,
        started_at=t("2026-03-03T13:02:11Z"),
        finished_at=None,
        revisions=(Revision(PATH, DEPLOY_SHA),),
    )
    assert done.id == running.id
    assert done.status is DeploymentStatus.SUCCESS
    # The payload has only status_changed_at: a final report carries it as both times; the
    # service layer keeps the first report's started_at (see the module docstring).
    assert done.started_at == done.finished_at == t("2026-03-03T13:09:47Z")
    assert only_deployment("Deployment Hook", load("deployment_success.json")) == done


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("created", DeploymentStatus.IN_PROGRESS),
        ("failed", DeploymentStatus.FAILURE),
        ("canceled", DeploymentStatus.CANCELLED),
    ],
)
def test_deployment_states(state: str, status: DeploymentStatus) -> None:
    payload = load("deployment_running.json")
    payload["status"] = state
    assert only_deployment("Deployment Hook", payload).status is status


def test_blocked_deployments_are_ignored() -> None:
    payload = load("deployment_running.json")
    payload["status"] = "blocked"
    assert parse("Deployment Hook", payload, RULES).ignored


def test_deployment_sha_falls_back_to_short_sha() -> None:
    payload = load("deployment_running.json")
    del payload["commit_url"]
    assert only_deployment("Deployment Hook", payload).revisions == (
        Revision(PATH, DEPLOY_SHA[:8]),
    )


def test_header_and_object_kind_must_agree() -> None:
    payload = load("deployment_running.json")
    assert error_at("Push Hook", payload)[0] == "object_kind"


def test_system_hooks_and_missing_headers_are_read_by_object_kind() -> None:
    payload = load("deployment_running.json")
    assert only_deployment("System Hook", payload).id == f"{PATH}/deployments/8812"
    assert only_deployment("", payload).id == f"{PATH}/deployments/8812"


def test_other_events_are_ignored() -> None:
    assert parse("Issue Hook", {"object_kind": "issue"}, RULES).ignored
    assert parse("Wiki Page Hook", {}, RULES).ignored == "event 'Wiki Page Hook' is not read"
    assert parse("Tag Push Hook", {"object_kind": "tag_push"}, RULES).ignored


# merge_request


def test_merged_merge_request_is_a_change() -> None:
    c = only_change("Merge Request Hook", load("merge_request_merge.json"))
    assert c == Change(
        source="gitlab",
        id=f"{PATH}!57",
        kind=ChangeKind.PULL_REQUEST,
        repo=PATH,
        authored_at=t("2026-03-01T16:40:05Z"),
        sha=MERGE_SHA,
        merged_at=t("2026-03-03T12:55:20Z"),  # updated_at: the hook has no merge time
        labels=("bugfix", "tax"),
        title="Round VAT per line, not per invoice",
    )


def test_merged_at_is_read_when_gitlab_sends_it() -> None:
    payload = load("merge_request_merge.json")
    payload["object_attributes"]["merged_at"] = "2026-03-03T12:55:18Z"
    assert only_change("Merge Request Hook", payload).merged_at == t("2026-03-03T12:55:18Z")


def test_fast_forward_merge_lands_the_last_commit() -> None:
    payload = load("merge_request_merge.json")
    payload["object_attributes"]["merge_commit_sha"] = None
    last = payload["object_attributes"]["last_commit"]["id"]
    assert only_change("Merge Request Hook", payload).sha == last


def test_approval_is_a_review() -> None:
    c = only_change("Merge Request Hook", load("merge_request_approved.json"))
    assert c.reviews == (Review("jberg", ReviewState.APPROVED, t("2026-03-02T10:15:00Z")),)
    assert c.merged_at is None
    assert c.sha is None
    merged = only_change("Merge Request Hook", load("merge_request_merge.json"))
    step, stored = change_step([c], merged)
    assert step is Step.PROGRESS
    assert stored.reviews == c.reviews
    assert stored.sha == MERGE_SHA


@pytest.mark.parametrize("action", ["open", "update", "close", "reopen", "unapproved"])
def test_other_merge_request_actions_are_ignored(action: str) -> None:
    payload = load("merge_request_approved.json")
    payload["object_attributes"]["action"] = action
    assert action in (parse("Merge Request Hook", payload, RULES).ignored or "")


def test_revert_merge_request_names_the_reverted_one() -> None:
    payload = load("merge_request_merge.json")
    payload["object_attributes"]["description"] = "This reverts merge request !41"
    assert only_change("Merge Request Hook", payload).reverts == f"{PATH}!41"


# pipeline


def test_finished_deploy_pipeline_is_a_deployment() -> None:
    d = only_deployment("Pipeline Hook", load("pipeline_success.json"))
    assert d == Deployment(
        source="gitlab",
        id=f"{PATH}/pipelines/99130",
        service="billing-api",
        environment="prod",
        status=DeploymentStatus.SUCCESS,
        started_at=t("2026-03-03T13:01:40Z"),
        finished_at=t("2026-03-03T13:19:02Z"),
        revisions=(Revision(PATH, "db1ae3796e7c72fac09fb53de311dece8bc760c6"),),
    )


def test_pipelines_not_deploying_or_not_finished_are_ignored() -> None:
    payload = load("pipeline_success.json")
    payload["object_attributes"]["status"] = "running"
    assert "only finished" in (parse("Pipeline Hook", payload, RULES).ignored or "")
    payload = load("pipeline_success.json")
    payload["object_attributes"]["name"] = "nightly"
    assert parse("Pipeline Hook", payload, RULES).ignored == (
        "pipeline 'nightly' is not a deployment pipeline"
    )


def test_pipeline_without_a_name_is_matched_by_ref() -> None:
    payload = load("pipeline_success.json")
    payload["object_attributes"]["name"] = None
    assert parse("Pipeline Hook", payload, RULES).ignored == (
        "pipeline 'main' is not a deployment pipeline"
    )
    rules = SourceRules(name="gitlab", kind=SourceKind.GITLAB, deploy_workflows=frozenset({"main"}))
    payload["object_attributes"]["status"] = "failed"
    (d,) = valid(parse("Pipeline Hook", payload, rules)).deployments
    assert d.status is DeploymentStatus.FAILURE
    assert d.environment == "production"


# push


def test_push_to_the_default_branch_lands_each_commit_at_the_latest_commit_time() -> None:
    parsed = valid(parse("Push Hook", load("push_main.json"), RULES))
    latest = t("2026-03-03T13:48:30+01:00")
    assert parsed.changes == (
        Change(
            source="gitlab",
            id="8c78d3da469402f2e7d455ebb50fdeea8f898f63",
            kind=ChangeKind.COMMIT,
            repo=PATH,
            authored_at=t("2026-03-03T12:41:09+01:00"),
            sha="8c78d3da469402f2e7d455ebb50fdeea8f898f63",
            merged_at=latest,
            title="Round VAT per line",
        ),
        Change(
            source="gitlab",
            id="8605a7381eb5eaa876c303c1e57ff43df2807a5c",
            kind=ChangeKind.COMMIT,
            repo=PATH,
            authored_at=latest,
            sha="8605a7381eb5eaa876c303c1e57ff43df2807a5c",
            merged_at=latest,
            reverts=f"{PATH}!57",
            title='Revert "Round VAT per line, not per invoice"',
        ),
    )


def test_pushes_elsewhere_are_ignored() -> None:
    payload = load("push_main.json")
    payload["ref"] = "refs/heads/fix/vat-per-line"
    assert "not to the default branch main" in (parse("Push Hook", payload, RULES).ignored or "")
    payload = load("push_main.json")
    payload["after"] = "0" * 40
    assert parse("Push Hook", payload, RULES).ignored == "push deleted refs/heads/main"


# wrong shapes


def test_payload_errors_name_the_json_path() -> None:
    payload = load("deployment_running.json")
    del payload["status_changed_at"]
    assert error_at("Deployment Hook", payload) == ("status_changed_at", "missing")
    payload = load("deployment_running.json")
    payload["project"] = "platform/billing-api"
    assert error_at("Deployment Hook", payload) == ("project", "must be an object, not a string")
    payload = load("deployment_running.json")
    payload["deployment_id"] = 2**70
    assert error_at("Deployment Hook", payload)[0] == "deployment_id"
    payload = load("merge_request_merge.json")
    payload["object_attributes"]["created_at"] = "2026-03-01 16:40:05"
    assert error_at("Merge Request Hook", payload)[0] == "object_attributes.created_at"
    payload = load("merge_request_merge.json")
    payload["labels"][1]["title"] = ["tax"]
    assert error_at("Merge Request Hook", payload)[0] == "labels.1.title"
    payload = load("pipeline_success.json")
    payload["object_attributes"]["finished_at"] = "2026-03-03 12:00:00 UTC"
    field, reason = error_at("Pipeline Hook", payload)
    assert field == "object_attributes.finished_at"
    assert "before" in reason


# mutations never produce anything but valid events or a PayloadError

EVENTS = [
    ("Deployment Hook", "deployment_running.json"),
    ("Deployment Hook", "deployment_success.json"),
    ("Merge Request Hook", "merge_request_merge.json"),
    ("Merge Request Hook", "merge_request_approved.json"),
    ("Pipeline Hook", "pipeline_success.json"),
    ("Push Hook", "push_main.json"),
]
REPLACEMENTS: list[object] = [
    None,
    0,
    -1,
    2**64,
    10**400,
    1.5,
    False,
    "",
    "x",
    "merge",
    "2026-03-03 25:61:00 +0100",
    "0001-01-01 00:00:00 +1400",
    [],
    ["a"],
    {},
    {"title": "x"},
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    event, name = draw(st.sampled_from(EVENTS))
    doc = load(name)
    mutate_some(draw, doc, REPLACEMENTS)
    return event, doc


def attempt(event: str, doc: Any) -> Parsed | PayloadError:
    try:
        return gitlab.parse(event, doc, RULES)
    except PayloadError as e:
        return e


@settings(max_examples=400)
@given(mutated())
def test_mutated_payloads_parse_or_raise_payload_error(case: tuple[str, Any]) -> None:
    event, doc = case
    result = attempt(event, doc)
    if isinstance(result, PayloadError):
        assert result.errors
        assert result.errors[0].field
    else:
        valid(result)
