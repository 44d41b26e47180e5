"""GitHub webhook payloads read into delivery events (recorded-style fixtures)."""

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
    DeploymentKind,
    DeploymentStatus,
    Revision,
    Step,
    check_deployment,
    deployment_step,
)
from sluicegate.domain.delivery.sources import (
    Parsed,
    PayloadError,
    SourceKind,
    SourceRules,
    github,
    parse,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "github"
RULES = SourceRules(
    name="github",
    kind=SourceKind.GITHUB,
    services={"acme-shop/checkout": "checkout-api"},
    environments={"prod": "production"},
    deploy_workflows=frozenset({"Deploy"}),
)
REPO = "acme-shop/checkout"
DEP_SHA = "f203ce8e954475e205afbdec1a08495dd195c295"


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
        github.parse(event, payload, RULES)
    (err,) = caught.value.errors
    return err.field, err.reason


# ping and unknown events


def test_ping_is_ignored() -> None:
    assert parse("ping", load("ping.json"), RULES) == Parsed(ignored="ping")


@pytest.mark.parametrize("event", ["issues", "check_suite", "deployment", ""])
def test_events_not_read_are_ignored_with_their_name(event: str) -> None:
    assert parse(event, {"action": "opened"}, RULES).ignored == f"event {event!r} is not read"


# deployment_status


def test_deployment_status_success_is_a_finished_deployment() -> None:
    d = only_deployment("deployment_status", load("deployment_status_success.json"))
    assert d == Deployment(
        source="github",
        id=f"{REPO}/deployments/2103387712",
        service="checkout-api",
        environment="production",
        status=DeploymentStatus.SUCCESS,
        started_at=t("2026-03-02T10:00:04Z"),
        finished_at=t("2026-03-02T10:06:31Z"),
        revisions=(Revision(REPO, DEP_SHA),),
    )


def test_status_sequence_keeps_id_and_started_at_so_the_store_sees_progress() -> None:
    queued, running, done = (
        only_deployment("deployment_status", load(f"deployment_status_{s}.json"))
        for s in ("queued", "in_progress", "success")
    )
    assert queued.id == running.id == done.id
    assert queued.started_at == running.started_at == done.started_at
    assert queued.status is running.status is DeploymentStatus.IN_PROGRESS
    assert queued.finished_at is None
    assert running.finished_at is None
    assert deployment_step([queued], running) is Step.SAME
    assert deployment_step([queued], done) is Step.PROGRESS
    # a redelivery of the final status is the same report
    again = only_deployment("deployment_status", load("deployment_status_success.json"))
    assert deployment_step([queued, done], again) is Step.SAME


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("pending", DeploymentStatus.IN_PROGRESS),
        ("failure", DeploymentStatus.FAILURE),
        ("error", DeploymentStatus.FAILURE),
    ],
)
def test_deployment_states_map_onto_statuses(state: str, status: DeploymentStatus) -> None:
    payload = load("deployment_status_success.json")
    payload["deployment_status"]["state"] = state
    d = only_deployment("deployment_status", payload)
    assert d.status is status
    final = status is not DeploymentStatus.IN_PROGRESS
    assert (d.finished_at is not None) is final


def test_inactive_status_is_ignored() -> None:
    payload = load("deployment_status_success.json")
    payload["deployment_status"]["state"] = "inactive"
    parsed = parse("deployment_status", payload, RULES)
    assert parsed.deployments == ()
    assert parsed.ignored is not None
    assert "superseded" in parsed.ignored


def test_environment_falls_back_to_the_status_environment() -> None:
    payload = load("deployment_status_success.json")
    del payload["deployment"]["environment"]
    payload["deployment_status"]["environment"] = "staging"
    assert only_deployment("deployment_status", payload).environment == "staging"


def test_deployment_payload_may_mark_a_rollback() -> None:
    payload = load("deployment_status_success.json")
    payload["deployment"]["payload"] = {"kind": "rollback", "rollback_of": 2103300001}
    d = only_deployment("deployment_status", payload)
    assert d.kind is DeploymentKind.ROLLBACK
    assert d.rollback_of == f"{REPO}/deployments/2103300001"
    payload["deployment"]["payload"] = {"kind": "flag", "experiment": "exp-checkout-cta"}
    d = only_deployment("deployment_status", payload)
    assert (d.kind, d.experiment) == (DeploymentKind.FLAG, "exp-checkout-cta")


def test_a_string_deployment_payload_is_a_normal_deployment() -> None:
    payload = load("deployment_status_success.json")
    payload["deployment"]["payload"] = '{"kind": "rollback"}'
    assert only_deployment("deployment_status", payload).kind is DeploymentKind.NORMAL


def test_bad_deployment_payload_kind_is_a_payload_error() -> None:
    payload = load("deployment_status_success.json")
    payload["deployment"]["payload"] = {"kind": "yolo"}
    field, reason = error_at("deployment_status", payload)
    assert field == "deployment.payload.kind"
    assert "rollback" in reason
    payload["deployment"]["payload"] = {"kind": "rollback"}
    field, _ = error_at("deployment_status", payload)
    assert field == "deployment.payload.rollback_of"


# workflow_run


def test_completed_deploy_workflow_run_is_a_deployment() -> None:
    d = only_deployment("workflow_run", load("workflow_run_completed.json"))
    assert d == Deployment(
        source="github",
        id=f"{REPO}/runs/13601183224/2",
        service="checkout-api",
        environment="production",
        status=DeploymentStatus.SUCCESS,
        started_at=t("2026-03-02T09:47:03Z"),
        finished_at=t("2026-03-02T09:52:40Z"),
        revisions=(Revision(REPO, "b5280637f4735d3ecff4bcd9263f1d614674a2a5"),),
    )
    assert d == only_deployment("workflow_run", load("workflow_run_completed.json"))


@pytest.mark.parametrize(
    ("conclusion", "status"),
    [
        ("failure", DeploymentStatus.FAILURE),
        ("timed_out", DeploymentStatus.FAILURE),
        ("startup_failure", DeploymentStatus.FAILURE),
        ("cancelled", DeploymentStatus.CANCELLED),
    ],
)
def test_workflow_conclusions_map_onto_statuses(conclusion: str, status: DeploymentStatus) -> None:
    payload = load("workflow_run_completed.json")
    payload["workflow_run"]["conclusion"] = conclusion
    assert only_deployment("workflow_run", payload).status is status


@pytest.mark.parametrize("conclusion", ["skipped", "neutral", "action_required", "stale"])
def test_workflow_runs_that_deployed_nothing_are_ignored(conclusion: str) -> None:
    payload = load("workflow_run_completed.json")
    payload["workflow_run"]["conclusion"] = conclusion
    parsed = parse("workflow_run", payload, RULES)
    assert parsed.deployments == ()
    assert conclusion in (parsed.ignored or "")


def test_other_workflows_and_unfinished_runs_are_ignored() -> None:
    payload = load("workflow_run_completed.json")
    payload["workflow_run"]["name"] = "CI"
    assert (
        parse("workflow_run", payload, RULES).ignored
        == "workflow 'CI' is not a deployment workflow"
    )
    payload = load("workflow_run_completed.json")
    payload["action"] = "in_progress"
    assert "only completed" in (parse("workflow_run", payload, RULES).ignored or "")
    no_workflows = SourceRules(name="github", kind=SourceKind.GITHUB)
    assert parse("workflow_run", load("workflow_run_completed.json"), no_workflows).ignored


def test_run_start_falls_back_to_created_at() -> None:
    payload = load("workflow_run_completed.json")
    del payload["workflow_run"]["run_started_at"]
    del payload["workflow_run"]["run_attempt"]
    d = only_deployment("workflow_run", payload)
    assert d.started_at == t("2026-03-02T09:41:12Z")
    assert d.id == f"{REPO}/runs/13601183224/1"


# pull_request and pull_request_review


def test_merged_pull_request_is_a_change() -> None:
    c = only_change("pull_request", load("pull_request_closed_merged.json"))
    assert c == Change(
        source="github",
        id=f"{REPO}#412",
        kind=ChangeKind.PULL_REQUEST,
        repo=REPO,
        authored_at=t("2026-02-27T14:12:09Z"),
        sha="4ea01d34fc71f6b7d4304a942b4f6d9ebd78de56",
        merged_at=t("2026-03-02T09:41:05Z"),
        labels=("bug", "payments"),
        title="Retry payment intents on 409",
    )
    assert c.merge_method is None


def test_revert_pull_request_names_the_reverted_one() -> None:
    c = only_change("pull_request", load("pull_request_closed_revert.json"))
    assert c.reverts == f"{REPO}#412"
    assert c.id == f"{REPO}#415"


def test_pull_requests_not_merged_are_ignored() -> None:
    payload = load("pull_request_closed_merged.json")
    payload["pull_request"]["merged"] = False
    assert parse("pull_request", payload, RULES).ignored == "pull request closed without merge"
    payload["action"] = "opened"
    assert "only merged" in (parse("pull_request", payload, RULES).ignored or "")


def test_review_is_the_pull_request_with_that_review_only() -> None:
    c = only_change("pull_request_review", load("pull_request_review_submitted.json"))
    assert c == Change(
        source="github",
        id=f"{REPO}#412",
        kind=ChangeKind.PULL_REQUEST,
        repo=REPO,
        authored_at=t("2026-02-27T14:12:09Z"),
        reviews=(Review("bo-lind", ReviewState.APPROVED, t("2026-02-28T08:55:30Z")),),
        labels=("bug", "payments"),
        title="Retry payment intents on 409",
    )


def test_review_and_merge_reports_merge_in_the_store() -> None:
    review = only_change("pull_request_review", load("pull_request_review_submitted.json"))
    merged = only_change("pull_request", load("pull_request_closed_merged.json"))
    step, stored = change_step([review], merged)
    assert step is Step.PROGRESS
    assert stored.reviews == review.reviews
    assert stored.merged_at == merged.merged_at
    assert change_step([merged], review)[0] is Step.PROGRESS


@pytest.mark.parametrize(
    ("state", "mapped"),
    [
        ("changes_requested", ReviewState.CHANGES_REQUESTED),
        ("commented", ReviewState.COMMENTED),
        ("APPROVED", ReviewState.APPROVED),
    ],
)
def test_review_states(state: str, mapped: ReviewState) -> None:
    payload = load("pull_request_review_submitted.json")
    payload["review"]["state"] = state
    assert only_change("pull_request_review", payload).reviews[0].state is mapped


def test_dismissed_and_edited_reviews_are_ignored() -> None:
    payload = load("pull_request_review_submitted.json")
    payload["review"]["state"] = "dismissed"
    assert parse("pull_request_review", payload, RULES).ignored == "review dismissed"
    payload = load("pull_request_review_submitted.json")
    payload["action"] = "edited"
    assert parse("pull_request_review", payload, RULES).ignored


# push


def test_push_to_the_default_branch_lands_each_commit() -> None:
    parsed = valid(parse("push", load("push_main.json"), RULES))
    pushed = t("2026-03-02T09:41:07Z")
    assert parsed.changes == (
        Change(
            source="github",
            id="2f52d45339caad28822b7bb586214404f11b32ff",
            kind=ChangeKind.COMMIT,
            repo=REPO,
            authored_at=t("2026-03-02T10:31:18+01:00"),
            sha="2f52d45339caad28822b7bb586214404f11b32ff",
            merged_at=pushed,
            title="Add retry budget metric",
        ),
        Change(
            source="github",
            id="81d074a2a86774a97745c307ef88f6741c890cbd",
            kind=ChangeKind.COMMIT,
            repo=REPO,
            authored_at=t("2026-03-02T09:40:02Z"),
            sha="81d074a2a86774a97745c307ef88f6741c890cbd",
            merged_at=pushed,
            reverts="2c0fd6336debf02ad645998dc5b73d1faa6c967e",
            title='Revert "Cache tax tables per region"',
        ),
    )


def test_a_commit_dated_after_the_push_lands_at_its_own_time() -> None:
    payload = load("push_main.json")
    payload["commits"][0]["timestamp"] = "2026-03-02T09:45:00Z"
    c = valid(parse("push", payload, RULES)).changes[0]
    assert c.merged_at == c.authored_at == t("2026-03-02T09:45:00Z")


def test_pushed_at_may_be_an_iso_time() -> None:
    payload = load("push_main.json")
    payload["repository"]["pushed_at"] = "2026-03-02T09:41:07Z"
    assert valid(parse("push", payload, RULES)).changes[0].merged_at == t("2026-03-02T09:41:07Z")


def test_pushes_elsewhere_are_ignored() -> None:
    payload = load("push_main.json")
    payload["ref"] = "refs/heads/feature/retry-409"
    assert "not to the default branch main" in (parse("push", payload, RULES).ignored or "")
    payload = load("push_main.json")
    payload["deleted"] = True
    assert parse("push", payload, RULES).ignored == "push deleted refs/heads/main"
    payload = load("push_main.json")
    payload["commits"] = []
    assert parse("push", payload, RULES).ignored


def test_default_branch_falls_back_to_the_rules() -> None:
    payload = load("push_main.json")
    del payload["repository"]["default_branch"]
    payload["ref"] = "refs/heads/trunk"
    rules = SourceRules(name="github", kind=SourceKind.GITHUB, default_branch="trunk")
    assert len(valid(parse("push", payload, rules)).changes) == 2


# wrong shapes


def test_payload_errors_name_the_json_path() -> None:
    payload = load("deployment_status_success.json")
    del payload["deployment"]["sha"]
    assert error_at("deployment_status", payload) == ("deployment.sha", "missing")
    payload = load("deployment_status_success.json")
    payload["deployment"]["sha"] = 12345678
    assert error_at("deployment_status", payload)[0] == "deployment.sha"
    payload = load("deployment_status_success.json")
    payload["deployment"]["sha"] = "not-a-sha"
    assert "hex" in error_at("deployment_status", payload)[1]
    payload = load("deployment_status_success.json")
    payload["deployment"] = [payload["deployment"]]
    assert error_at("deployment_status", payload) == ("deployment", "must be an object, not a list")
    payload = load("deployment_status_success.json")
    payload["deployment"]["id"] = 2**80
    assert error_at("deployment_status", payload)[0] == "deployment.id"
    payload = load("deployment_status_success.json")
    payload["deployment_status"]["created_at"] = "yesterday"
    assert error_at("deployment_status", payload)[0] == "deployment_status.created_at"
    payload = load("deployment_status_success.json")
    payload["deployment_status"]["created_at"] = "2026-03-02T10:06:31"  # no zone
    assert error_at("deployment_status", payload)[0] == "deployment_status.created_at"


def test_a_status_before_its_deployment_is_a_payload_error() -> None:
    payload = load("deployment_status_success.json")
    payload["deployment_status"]["created_at"] = "2026-03-02T09:00:00Z"
    field, reason = error_at("deployment_status", payload)
    assert field == "deployment_status.created_at"
    assert "before" in reason


def test_push_errors_name_the_commit() -> None:
    payload = load("push_main.json")
    payload["commits"][1]["timestamp"] = None
    assert error_at("push", payload)[0] == "commits.1.timestamp"
    payload = load("push_main.json")
    payload["repository"]["pushed_at"] = 10**30
    assert error_at("push", payload)[0] == "repository.pushed_at"
    payload = load("push_main.json")
    payload["commits"] = {"0": payload["commits"][0]}
    assert error_at("push", payload) == ("commits", "must be a list, not an object")


def test_a_body_that_is_not_an_object_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        github.parse("push", [], RULES)  # type: ignore[arg-type]


# mutations never produce anything but valid events or a PayloadError

EVENTS = [
    ("deployment_status", "deployment_status_queued.json"),
    ("deployment_status", "deployment_status_success.json"),
    ("workflow_run", "workflow_run_completed.json"),
    ("pull_request", "pull_request_closed_merged.json"),
    ("pull_request", "pull_request_closed_revert.json"),
    ("pull_request_review", "pull_request_review_submitted.json"),
    ("push", "push_main.json"),
]
REPLACEMENTS: list[object] = [
    None,
    0,
    -1,
    2**64,
    10**400,
    1.5,
    True,
    "",
    "x",
    "2026-13-45T99:99:99Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    [],
    [1, "a"],
    {},
    {"id": 1},
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    event, name = draw(st.sampled_from(EVENTS))
    doc = load(name)
    mutate_some(draw, doc, REPLACEMENTS)
    return event, doc


def attempt(event: str, doc: Any) -> Parsed | PayloadError:
    try:
        return github.parse(event, doc, RULES)
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
