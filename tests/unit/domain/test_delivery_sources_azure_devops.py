"""Azure DevOps service hook payloads read into delivery events (recorded-style fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.json_mutations import mutate_some

from sluicegate.domain.delivery.changes import Change, ChangeKind, check_change
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentStatus,
    Revision,
    check_deployment,
)
from sluicegate.domain.delivery.sources import (
    Parsed,
    PayloadError,
    SourceKind,
    SourceRules,
    azure_devops,
    parse,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "azure-devops"
RULES = SourceRules(
    name="ado",
    kind=SourceKind.AZURE_DEVOPS,
    services={"Storefront/catalog-service-CD": "catalog"},
    environments={"Production": "production"},
    deploy_workflows=frozenset({"catalog-service-deploy"}),
)
REPO = "Storefront/catalog-service"


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


def only_deployment(payload: dict[str, Any]) -> Deployment:
    parsed = valid(parse("", payload, RULES))
    assert parsed.ignored is None
    assert not parsed.changes
    (d,) = parsed.deployments
    return d


def only_change(payload: dict[str, Any]) -> Change:
    parsed = valid(parse("", payload, RULES))
    assert parsed.ignored is None
    assert not parsed.deployments
    (c,) = parsed.changes
    return c


def error_at(payload: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(PayloadError) as caught:
        azure_devops.parse("", payload, RULES)
    (err,) = caught.value.errors
    return err.field, err.reason


# the event type


def test_the_body_names_the_event() -> None:
    assert parse("", {"eventType": "workitem.created"}, RULES).ignored == (
        "event 'workitem.created' is not read"
    )
    assert error_at({"resource": {}}) == ("eventType", "missing")
    payload = load("git_push_main.json")
    del payload["eventType"]
    assert valid(parse("git.push", payload, RULES)).changes


# release deployment completed


def test_completed_release_deployment_is_a_deployment() -> None:
    d = only_deployment(load("release_deployment_completed.json"))
    assert d == Deployment(
        source="ado",
        id="Storefront/deployments/5521",
        service="catalog",
        environment="production",
        status=DeploymentStatus.SUCCESS,
        started_at=t("2026-03-04T15:21:39.5Z"),
        finished_at=t("2026-03-04T15:27:53.847Z"),
        # the Build artifact's source commit in its repository; the TFVC-built artifact
        # ("C2210") names no commit and is left out
        revisions=(Revision(REPO, "6420d12016f59bba8fd8090bf00b641ee4ec31dd"),),
    )
    assert only_deployment(load("release_deployment_completed.json")) == d


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("failed", DeploymentStatus.FAILURE),
        ("partiallySucceeded", DeploymentStatus.FAILURE),
        ("canceled", DeploymentStatus.CANCELLED),
    ],
)
def test_release_deployment_statuses(state: str, status: DeploymentStatus) -> None:
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["deploymentStatus"] = state
    assert only_deployment(payload).status is status


def test_a_deployment_that_never_started_starts_when_queued() -> None:
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["deploymentStatus"] = "canceled"
    payload["resource"]["deployment"]["startedOn"] = "0001-01-01T00:00:00"
    d = only_deployment(payload)
    assert d.started_at == t("2026-03-04T15:21:02.5Z")
    assert d.status is DeploymentStatus.CANCELLED


def test_releases_not_deployed_or_without_commits_are_ignored() -> None:
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["deploymentStatus"] = "notDeployed"
    assert parse("", payload, RULES).ignored
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["release"]["artifacts"] = []
    assert "no artifact" in (parse("", payload, RULES).ignored or "")


def test_git_and_github_artifacts_name_their_commit() -> None:
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["release"]["artifacts"] = [
        {
            "type": "GitHub",
            "alias": "_contoso_web",
            "definitionReference": {
                "definition": {"id": "contoso/web", "name": "contoso/web"},
                "version": {"id": "ABCDEF1234567", "name": "abcdef1"},
            },
        },
        {
            "type": "Git",
            "alias": "_config",
            "definitionReference": {"version": {"id": "1234567abcdef"}},
        },
    ]
    assert only_deployment(payload).revisions == (
        Revision("contoso/web", "abcdef1234567"),
        Revision("Storefront/_config", "1234567abcdef"),
    )


# build.complete


def test_completed_deploy_build_is_a_deployment() -> None:
    d = only_deployment(load("build_complete.json"))
    assert d == Deployment(
        source="ado",
        id="Storefront/builds/90340",
        service="catalog-service",
        environment="production",
        status=DeploymentStatus.SUCCESS,
        started_at=t("2026-03-05T09:02:14.231052Z"),
        finished_at=t("2026-03-05T09:11:47.044281Z"),
        revisions=(Revision(REPO, "f74113d32703a646df06f41cf466bc40d50a28b8"),),
    )


@pytest.mark.parametrize(
    ("result", "status"),
    [
        ("failed", DeploymentStatus.FAILURE),
        ("partiallySucceeded", DeploymentStatus.FAILURE),
        ("canceled", DeploymentStatus.CANCELLED),
    ],
)
def test_build_results(result: str, status: DeploymentStatus) -> None:
    payload = load("build_complete.json")
    payload["resource"]["result"] = result
    assert only_deployment(payload).status is status


def test_other_builds_are_ignored() -> None:
    payload = load("build_complete.json")
    payload["resource"]["definition"]["name"] = "catalog-service-CI"
    assert parse("", payload, RULES).ignored == (
        "build definition 'catalog-service-CI' is not a deployment"
    )
    payload = load("build_complete.json")
    payload["resource"]["result"] = "none"
    assert parse("", payload, RULES).ignored


def test_a_github_repository_keeps_its_name() -> None:
    payload = load("build_complete.json")
    payload["resource"]["repository"] = {"id": "contoso/web", "type": "GitHub", "name": None}
    assert only_deployment(payload).revisions[0].repo == "contoso/web"


# pull requests


def test_completed_pull_request_is_a_change() -> None:
    c = only_change(load("git_pullrequest_merged.json"))
    assert c == Change(
        source="ado",
        id=f"{REPO}!1207",
        kind=ChangeKind.PULL_REQUEST,
        repo=REPO,
        authored_at=t("2026-03-03T16:20:31.417283Z"),
        sha="b74bcb3281b78932a83b2c16b73c6723d6e72cc4",
        merged_at=t("2026-03-04T10:02:19.661320Z"),
        labels=("search", "bug"),  # the inactive label is left out
        title="Index facets per locale",
    )
    assert c.reviews == ()  # votes carry no time: not read as reviews
    assert only_change(load("git_pullrequest_updated_completed.json")) == c


def test_pull_requests_not_completed_are_ignored() -> None:
    parsed = parse("", load("git_pullrequest_merged_active.json"), RULES)
    assert parsed.ignored == "pull request active: only completed pull requests are read"
    payload = load("git_pullrequest_updated_completed.json")
    payload["resource"]["status"] = "abandoned"
    assert parse("", payload, RULES).ignored


# git.push


def test_push_to_the_default_branch_lands_each_commit() -> None:
    parsed = valid(parse("", load("git_push_main.json"), RULES))
    pushed = t("2026-03-05T09:01:55.204610Z")
    assert parsed.changes == (
        Change(
            source="ado",
            id="9309e88256e8139ff329c254327bc937a7ba32cf",
            kind=ChangeKind.COMMIT,
            repo=REPO,
            authored_at=t("2026-03-05T08:57:40Z"),
            sha="9309e88256e8139ff329c254327bc937a7ba32cf",
            merged_at=pushed,
            reverts="e21611412e0e63d088b4325189087a4d3b25587d",
            title='Revert "Cache facet counts"',
        ),
        Change(
            source="ado",
            id="1d7b075902a72f8252d9e23bcd29b41946cf5b3a",
            kind=ChangeKind.COMMIT,
            repo=REPO,
            authored_at=t("2026-03-05T09:44:12+01:00"),
            sha="1d7b075902a72f8252d9e23bcd29b41946cf5b3a",
            merged_at=pushed,
            title="Log slow facet queries",
        ),
    )


def test_pushes_elsewhere_are_ignored() -> None:
    payload = load("git_push_main.json")
    payload["resource"]["refUpdates"][0]["name"] = "refs/heads/feature/facets"
    assert parse("", payload, RULES).ignored
    payload = load("git_push_main.json")
    payload["resource"]["refUpdates"][0]["newObjectId"] = "0" * 40
    assert parse("", payload, RULES).ignored


# wrong shapes


def test_payload_errors_name_the_json_path() -> None:
    payload = load("build_complete.json")
    del payload["resource"]["sourceVersion"]
    assert error_at(payload) == ("resource.sourceVersion", "missing")
    payload = load("build_complete.json")
    payload["resource"]["startTime"] = 1772701334
    assert error_at(payload)[0] == "resource.startTime"
    payload = load("build_complete.json")
    payload["resource"]["finishTime"] = "2026-03-05T08:00:00Z"
    field, reason = error_at(payload)
    assert field == "resource.finishTime"
    assert "before" in reason
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["release"]["artifacts"] = {"a": 1}
    assert error_at(payload)[0] == "resource.deployment.release.artifacts"
    payload = load("release_deployment_completed.json")
    payload["resource"]["deployment"]["deploymentStatus"] = "exploded"
    assert error_at(payload)[0] == "resource.deployment.deploymentStatus"
    payload = load("git_pullrequest_merged.json")
    payload["resource"]["pullRequestId"] = "1207"
    assert error_at(payload) == (
        "resource.pullRequestId",
        "must be an integer, not a string",
    )
    payload = load("git_push_main.json")
    payload["resource"]["commits"][0]["author"] = None
    assert error_at(payload)[0] == "resource.commits.0.author"


# mutations never produce anything but valid events or a PayloadError

FILES = [
    "release_deployment_completed.json",
    "build_complete.json",
    "git_pullrequest_merged.json",
    "git_pullrequest_updated_completed.json",
    "git_push_main.json",
]
REPLACEMENTS: list[object] = [
    None,
    0,
    -1,
    2**64,
    10**400,
    2.5,
    True,
    "",
    "x",
    "completed",
    "refs/heads/main",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    [],
    [{}],
    {},
    {"id": "abcdef1234567"},
]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = load(draw(st.sampled_from(FILES)))
    mutate_some(draw, doc, REPLACEMENTS)
    return doc


def attempt(doc: Any) -> Parsed | PayloadError:
    try:
        return azure_devops.parse("", doc, RULES)
    except PayloadError as e:
        return e


@settings(max_examples=400)
@given(mutated())
def test_mutated_payloads_parse_or_raise_payload_error(doc: Any) -> None:
    result = attempt(doc)
    if isinstance(result, PayloadError):
        assert result.errors
        assert result.errors[0].field
    else:
        valid(result)
