"""GitLab webhook deliveries (``event`` is the ``X-Gitlab-Event`` header).

The body's ``object_kind`` says what it is too; when both are known they must agree, and a body
from a system hook (header "System Hook") is read by its ``object_kind``.

=====================  ==========================================================================
event (object_kind)    becomes
=====================  ==========================================================================
Deployment Hook        a deployment ``{project.path_with_namespace}/deployments/{deployment_id}``:
(``deployment``)       status ``created``/``running`` -> in_progress, ``success`` -> success,
                       ``failed`` -> failure, ``canceled`` -> cancelled (others, e.g.
                       ``blocked``, ignored). The payload has one time, ``status_changed_at``:
                       it is started_at, and finished_at too when the status is final. So the
                       final report of a deployment first seen running carries a later
                       started_at; the service layer keeps the first report's started_at.
                       The sha is the last segment of ``commit_url`` (the payload has no full
                       sha field), else ``short_sha``.
Merge Request Hook     ``action`` ``merge``: a pull request change ``{path}!{iid}``, merged at
(``merge_request``)    ``object_attributes.merged_at`` if GitLab ever sends it, else
                       ``updated_at`` (the hook attributes have no merge time; a merge event's
                       ``updated_at`` is when the merge request changed to merged), sha
                       ``merge_commit_sha``, else ``last_commit.id`` (fast-forward merges have no
                       merge commit). ``approval``/``approved``: the merge request with an
                       approval by ``user.username`` at ``updated_at``. Other actions ignored.
Pipeline Hook          a finished pipeline (``success`` -> success, ``failed`` -> failure,
(``pipeline``)         ``canceled`` -> cancelled) whose ``name`` (else ``ref``) is in
                       ``rules.deploy_workflows``: a deployment ``{path}/pipelines/{id}`` to
                       ``rules.deploy_environment``, from ``created_at`` to ``finished_at``.
                       Other pipelines and statuses are ignored.
Push Hook (``push``)   to ``project.default_branch``: one commit change per ``commits[]`` entry.
                       The payload carries no push time, so a commit is merged at the latest
                       ``timestamp`` among the push's commits (a lower bound of the push time).
                       Other branches and branch deletions are ignored.
anything else          ignored
=====================  ==========================================================================

A revert is read from GitLab's revert messages and descriptions: "This reverts commit <sha>"
and "This reverts merge request !<iid>" (or ``group/project!<iid>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sluicegate.domain.delivery.changes import Change, ChangeKind, Review, ReviewState
from sluicegate.domain.delivery.records import Deployment, DeploymentStatus, Revision
from sluicegate.domain.delivery.sources import Parsed, PayloadError, SourceRules
from sluicegate.domain.delivery.sources._fields import (
    Node,
    checked,
    clean_title,
    first_line,
    labels,
    pushed_commits,
    revert_of_commit,
)

__all__ = ["parse"]

_HEADERS: Mapping[str, str] = {
    "Deployment Hook": "deployment",
    "Merge Request Hook": "merge_request",
    "Pipeline Hook": "pipeline",
    "Push Hook": "push",
    "Tag Push Hook": "tag_push",
    "Job Hook": "build",
    "Issue Hook": "issue",
    "Note Hook": "note",
    "Release Hook": "release",
}
_DEPLOYMENT_STATES: Mapping[str, DeploymentStatus | None] = {
    "created": DeploymentStatus.IN_PROGRESS,
    "running": DeploymentStatus.IN_PROGRESS,
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
    "blocked": None,
    "skipped": None,
}
_PIPELINE_STATES: Mapping[str, DeploymentStatus] = {
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
}
_NO_COMMIT = "0" * 40
_SHA_SEGMENT = re.compile(r"[0-9a-fA-F]{7,64}")
_REVERTS_MR = re.compile(
    r"^\s*This reverts merge request ([A-Za-z0-9_./-]*)!(\d{1,18})\b", re.MULTILINE | re.ASCII
)


def parse(event: str, payload: Mapping[str, Any], rules: SourceRules) -> Parsed:
    """The events in one GitLab delivery."""
    body = Node.root(payload)
    said = _HEADERS.get(event)
    kind = body.opt_text("object_kind") or said
    if kind is None:
        return Parsed(ignored=f"event {event!r} is not read")
    if said is not None and kind != said:
        raise PayloadError.at("object_kind", f"is {kind!r}, but the event is {event!r}")
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Parsed(ignored=f"event {event or kind!r} is not read")
    return handler(body, rules)


def _path(body: Node) -> str:
    return body.obj("project").text("path_with_namespace")


def _reverts(text: str | None, path: str) -> str | None:
    """The change a GitLab revert message or description names."""
    if not text:
        return None
    m = _REVERTS_MR.search(text)
    if m:
        return f"{m.group(1) or path}!{int(m.group(2))}"
    return revert_of_commit(text)


def _deployment_sha(body: Node) -> str:
    url = body.opt_text("commit_url")
    if url is not None:
        last = url.rstrip("/").rsplit("/", 1)[-1]
        if _SHA_SEGMENT.fullmatch(last):
            return last.lower()
    return body.sha("short_sha")


def _deployment(body: Node, rules: SourceRules) -> Parsed:
    status = body.choice("status", _DEPLOYMENT_STATES)
    if status is None:
        return Parsed(ignored=f"deployment {body.text('status')}: not a deployment state read")
    path = _path(body)
    at = body.time("status_changed_at")
    event = Deployment(
        source=rules.name,
        id=f"{path}/deployments/{body.ident('deployment_id')}",
        service=rules.service(path),
        environment=rules.environment(body.text("environment")),
        status=status,
        started_at=at,
        finished_at=None if status is DeploymentStatus.IN_PROGRESS else at,
        revisions=(Revision(path, _deployment_sha(body)),),
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": "deployment_id",
            "service": "project.path_with_namespace",
            "environment": "environment",
            "revisions": "project.path_with_namespace",
        },
    )


def _mr_labels(body: Node, attrs: Node) -> tuple[str, ...]:
    """``labels[].title``; older payloads list them only in ``object_attributes.labels``."""
    holder = body if body.data.get("labels") is not None else attrs
    return labels(holder.objects("labels"), "title")


def _mr_paths(attrs: Node) -> dict[str, str]:
    return {
        "id": attrs.at("iid"),
        "repo": "project.path_with_namespace",
        "authored_at": attrs.at("created_at"),
        "merged_at": attrs.at("updated_at"),
        "sha": attrs.at("merge_commit_sha"),
        "reverts": attrs.at("description"),
        "reviews": attrs.at("updated_at"),
        "labels": "labels",
    }


def _merge_request(body: Node, rules: SourceRules) -> Parsed:
    attrs = body.obj("object_attributes")
    action = attrs.opt_text("action")
    merged = action == "merge" or (action is None and attrs.opt_text("state") == "merged")
    if not merged and action not in ("approval", "approved"):
        return Parsed(ignored=f"merge request {action}: only merges and approvals are read")
    path = _path(body)
    sha: str | None = None
    merged_at: datetime | None = None
    reviews: tuple[Review, ...] = ()
    if merged:
        merged_at = attrs.opt_time("merged_at") or attrs.time("updated_at")
        sha = attrs.opt_sha("merge_commit_sha") or attrs.obj("last_commit").sha("id")
    else:
        user = body.obj("user").text("username")
        reviews = (Review(user, ReviewState.APPROVED, attrs.time("updated_at")),)
    change = Change(
        source=rules.name,
        id=f"{path}!{attrs.integer('iid')}",
        kind=ChangeKind.PULL_REQUEST,
        repo=path,
        authored_at=attrs.time("created_at"),
        sha=sha,
        merged_at=merged_at,
        reviews=reviews,
        labels=_mr_labels(body, attrs),
        reverts=_reverts(attrs.opt_text("description"), path),
        title=clean_title(attrs.opt_text("title")),
    )
    return checked(Parsed(changes=(change,)), _mr_paths(attrs))


def _pipeline(body: Node, rules: SourceRules) -> Parsed:
    attrs = body.obj("object_attributes")
    name = attrs.opt_text("name") or attrs.text("ref")
    if name not in rules.deploy_workflows:
        return Parsed(ignored=f"pipeline {name!r} is not a deployment pipeline")
    state = attrs.text("status")
    status = _PIPELINE_STATES.get(state)
    if status is None:
        return Parsed(ignored=f"pipeline {state}: only finished pipelines are read")
    path = _path(body)
    event = Deployment(
        source=rules.name,
        id=f"{path}/pipelines/{attrs.ident('id')}",
        service=rules.service(path),
        environment=rules.deploy_environment,
        status=status,
        started_at=attrs.time("created_at"),
        finished_at=attrs.time("finished_at"),
        revisions=(Revision(path, attrs.sha("sha")),),
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": attrs.at("id"),
            "service": "project.path_with_namespace",
            "started_at": attrs.at("created_at"),
            "finished_at": attrs.at("finished_at"),
            "revisions": "project.path_with_namespace",
        },
    )


def _push(body: Node, rules: SourceRules) -> Parsed:
    ref = body.text("ref")
    project = body.obj("project")
    default = project.opt_text("default_branch") or rules.default_branch
    if body.opt_text("after") == _NO_COMMIT:
        return Parsed(ignored=f"push deleted {ref}")
    if ref != f"refs/heads/{default}":
        return Parsed(ignored=f"push to {ref}, not to the default branch {default}")
    path = project.text("path_with_namespace")
    commits = [(c, c.sha("id"), c.time("timestamp")) for c in body.objects("commits")]
    if not commits:
        return Parsed(ignored=f"push to {ref} lists no commits")
    pushed_at = max(authored for _, _, authored in commits)
    pushed = []
    for commit, sha, authored in commits:
        message = commit.opt_text("message") or ""
        title = clean_title(commit.opt_text("title")) or first_line(message)
        pushed.append((commit, sha, authored, pushed_at, _reverts(message, path), title))
    paths = {"repo": "project.path_with_namespace", "reverts": "message"}
    return pushed_commits(rules.name, path, pushed, paths)


_HANDLERS: Mapping[str, Callable[[Node, SourceRules], Parsed]] = {
    "deployment": _deployment,
    "merge_request": _merge_request,
    "pipeline": _pipeline,
    "push": _push,
}
