"""GitHub webhook deliveries (``event`` is the ``X-GitHub-Event`` header).

=====================  ==========================================================================
event                  becomes
=====================  ==========================================================================
``ping``               ignored ("ping")
``deployment_status``  a deployment ``{repo}/deployments/{deployment.id}``: state ``queued``,
                       ``pending``, ``in_progress`` -> in_progress, ``success`` -> success,
                       ``failure``/``error`` -> failure; ``inactive`` (superseded by a newer
                       deployment) is ignored. started_at is ``deployment.created_at`` (the same
                       in every status of one deployment), finished_at the final status's
                       ``created_at``. ``deployment.payload`` may carry ``kind``,
                       ``rollback_of`` (a deployment id; a bare number is a deployment of the
                       same repository) and ``experiment``.
``workflow_run``       a deployment ``{repo}/runs/{id}/{run_attempt}`` of a completed run of a
                       workflow in ``rules.deploy_workflows``, to ``rules.deploy_environment``:
                       conclusion ``success`` -> success, ``failure``/``timed_out``/
                       ``startup_failure`` -> failure, ``cancelled`` -> cancelled; ``skipped``,
                       ``neutral``, ``action_required``, ``stale`` and other workflows or actions
                       are ignored.
``pull_request``       ``closed`` with ``merged``: a pull request change ``{repo}#{number}``
                       (merge_method is not in the payload: None); other actions are ignored.
``pull_request_review``  ``submitted``: the pull request with that one review (not merged:
                       merged_at and sha None; the store merges the partial reports).
``push``               to the default branch: one commit change per ``commits[]`` entry, merged at
                       the push time (``repository.pushed_at``, epoch seconds; a commit dated
                       later than that is merged at its own time); other branches and branch
                       deletions are ignored.
anything else          ignored
=====================  ==========================================================================

A revert is read from GitHub's revert pull request body ("Reverts owner/repo#123", the same in
the pull_request and pull_request_review events so the partial reports agree) and from git's
revert commit message ("This reverts commit <sha>.").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sluicegate.domain.delivery.changes import Change, ChangeKind, Review, ReviewState
from sluicegate.domain.delivery.records import (
    Deployment,
    DeploymentKind,
    DeploymentStatus,
    Revision,
)
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

_STATES: Mapping[str, DeploymentStatus | None] = {
    "queued": DeploymentStatus.IN_PROGRESS,
    "pending": DeploymentStatus.IN_PROGRESS,
    "in_progress": DeploymentStatus.IN_PROGRESS,
    "success": DeploymentStatus.SUCCESS,
    "failure": DeploymentStatus.FAILURE,
    "error": DeploymentStatus.FAILURE,
    "inactive": None,
}
_CONCLUSIONS: Mapping[str, DeploymentStatus | None] = {
    "success": DeploymentStatus.SUCCESS,
    "failure": DeploymentStatus.FAILURE,
    "timed_out": DeploymentStatus.FAILURE,
    "startup_failure": DeploymentStatus.FAILURE,
    "cancelled": DeploymentStatus.CANCELLED,
    "skipped": None,
    "neutral": None,
    "action_required": None,
    "stale": None,
}
_REVIEW_STATES: Mapping[str, ReviewState | None] = {
    "approved": ReviewState.APPROVED,
    "changes_requested": ReviewState.CHANGES_REQUESTED,
    "commented": ReviewState.COMMENTED,
    "dismissed": None,
}
_KINDS: Mapping[str, DeploymentKind] = {k.value: k for k in DeploymentKind}
_REVERTS_PR = re.compile(
    r"^\s*Reverts ([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(\d{1,18})\b", re.MULTILINE | re.ASCII
)


def parse(event: str, payload: Mapping[str, Any], rules: SourceRules) -> Parsed:
    """The events in one GitHub delivery."""
    if event == "ping":
        return Parsed(ignored="ping")
    handler = _HANDLERS.get(event)
    if handler is None:
        return Parsed(ignored=f"event {event!r} is not read")
    return handler(Node.root(payload), rules)


def _repo(body: Node) -> str:
    return body.obj("repository").text("full_name")


def _deployment_payload(
    deployment: Node, repo: str
) -> tuple[DeploymentKind, str | None, str | None]:
    """kind, rollback_of and experiment from ``deployment.payload`` (an object or a string)."""
    raw = deployment.data.get("payload")
    if not isinstance(raw, Mapping):
        return DeploymentKind.NORMAL, None, None  # GitHub allows a string payload: not ours
    extra = Node(raw, deployment.at("payload"))
    kind = extra.choice("kind", _KINDS) if extra.data.get("kind") is not None else None
    rollback_of: str | None = None
    if extra.data.get("rollback_of") is not None:
        rollback_of = extra.ident("rollback_of")
        if rollback_of.isdigit():
            rollback_of = f"{repo}/deployments/{rollback_of}"
    return kind or DeploymentKind.NORMAL, rollback_of, extra.opt_text("experiment")


def _deployment_status(body: Node, rules: SourceRules) -> Parsed:
    status_node = body.obj("deployment_status")
    status = status_node.choice("state", _STATES)
    if status is None:
        return Parsed(ignored="deployment_status inactive: a newer deployment superseded it")
    deployment = body.obj("deployment")
    repo = _repo(body)
    environment = deployment.opt_text("environment") or status_node.opt_text("environment")
    if environment is None:
        raise PayloadError.at("deployment.environment", "missing")
    kind, rollback_of, experiment = _deployment_payload(deployment, repo)
    final = status is not DeploymentStatus.IN_PROGRESS
    event = Deployment(
        source=rules.name,
        id=f"{repo}/deployments/{deployment.ident('id')}",
        service=rules.service(repo),
        environment=rules.environment(environment),
        status=status,
        started_at=deployment.time("created_at"),
        finished_at=status_node.time("created_at") if final else None,
        revisions=(Revision(repo, deployment.sha("sha")),),
        kind=kind,
        rollback_of=rollback_of,
        experiment=experiment,
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": "deployment.id",
            "service": "repository.full_name",
            "environment": "deployment.environment",
            "started_at": "deployment.created_at",
            "finished_at": "deployment_status.created_at",
            "revisions": "repository.full_name",
            "kind": "deployment.payload.kind",
            "rollback_of": "deployment.payload.rollback_of",
            "experiment": "deployment.payload.experiment",
        },
    )


def _workflow_run(body: Node, rules: SourceRules) -> Parsed:
    action = body.text("action")
    if action != "completed":
        return Parsed(ignored=f"workflow_run {action}: only completed runs are read")
    run = body.obj("workflow_run")
    name = run.text("name")
    if name not in rules.deploy_workflows:
        return Parsed(ignored=f"workflow {name!r} is not a deployment workflow")
    status = run.choice("conclusion", _CONCLUSIONS)
    if status is None:
        return Parsed(ignored=f"workflow run concluded {run.text('conclusion')}: not a deployment")
    repo = _repo(body)
    attempt = run.opt_integer("run_attempt", low=1) or 1
    started = run.opt_time("run_started_at") or run.time("created_at")
    event = Deployment(
        source=rules.name,
        id=f"{repo}/runs/{run.ident('id')}/{attempt}",
        service=rules.service(repo),
        environment=rules.deploy_environment,
        status=status,
        started_at=started,
        finished_at=run.time("updated_at"),
        revisions=(Revision(repo, run.sha("head_sha")),),
    )
    return checked(
        Parsed(deployments=(event,)),
        {
            "id": "workflow_run.id",
            "service": "repository.full_name",
            "started_at": "workflow_run.run_started_at",
            "finished_at": "workflow_run.updated_at",
            "revisions": "repository.full_name",
        },
    )


def _pr_reverts(pr: Node) -> str | None:
    """``owner/repo#123`` from a GitHub revert pull request's body ("Reverts owner/repo#123")."""
    text = pr.opt_text("body")
    m = _REVERTS_PR.search(text) if text else None
    return f"{m.group(1)}#{int(m.group(2))}" if m else None


_PR_PATHS = {
    "id": "pull_request.number",
    "repo": "repository.full_name",
    "authored_at": "pull_request.created_at",
    "merged_at": "pull_request.merged_at",
    "sha": "pull_request.merge_commit_sha",
    "labels": "pull_request.labels",
    "reverts": "pull_request.body",
    "reviews": "review.submitted_at",
}


def _pull_request(body: Node, rules: SourceRules) -> Parsed:
    action = body.text("action")
    if action != "closed":
        return Parsed(ignored=f"pull_request {action}: only merged pull requests are read")
    pr = body.obj("pull_request")
    if not pr.flag("merged"):
        return Parsed(ignored="pull request closed without merge")
    repo = _repo(body)
    change = Change(
        source=rules.name,
        id=f"{repo}#{pr.integer('number')}",
        kind=ChangeKind.PULL_REQUEST,
        repo=repo,
        authored_at=pr.time("created_at"),
        sha=pr.sha("merge_commit_sha"),
        merged_at=pr.time("merged_at"),
        labels=labels(pr.objects("labels"), "name"),
        reverts=_pr_reverts(pr),
        title=clean_title(pr.opt_text("title")),
    )
    return checked(Parsed(changes=(change,)), _PR_PATHS)


def _pull_request_review(body: Node, rules: SourceRules) -> Parsed:
    action = body.text("action")
    if action != "submitted":
        return Parsed(ignored=f"pull_request_review {action}: only submitted reviews are read")
    review = body.obj("review")
    # The webhook sends lower case states; the REST API's upper case ones are accepted too.
    state = Node({"state": review.text("state").lower()}, review.path).choice(
        "state", _REVIEW_STATES
    )
    if state is None:
        return Parsed(ignored="review dismissed")
    pr = body.obj("pull_request")
    repo = _repo(body)
    change = Change(
        source=rules.name,
        id=f"{repo}#{pr.integer('number')}",
        kind=ChangeKind.PULL_REQUEST,
        repo=repo,
        authored_at=pr.time("created_at"),
        reviews=(Review(review.obj("user").text("login"), state, review.time("submitted_at")),),
        labels=labels(pr.objects("labels"), "name"),
        reverts=_pr_reverts(pr),
        title=clean_title(pr.opt_text("title")),
    )
    return checked(Parsed(changes=(change,)), _PR_PATHS)


def _push(body: Node, rules: SourceRules) -> Parsed:
    ref = body.text("ref")
    repository = body.obj("repository")
    default = repository.opt_text("default_branch") or rules.default_branch
    if body.opt_flag("deleted"):
        return Parsed(ignored=f"push deleted {ref}")
    if ref != f"refs/heads/{default}":
        return Parsed(ignored=f"push to {ref}, not to the default branch {default}")
    repo = repository.text("full_name")
    pushed_at = repository.epoch_or_time("pushed_at")
    commits = []
    for commit in body.objects("commits"):
        sha = commit.sha("id")
        authored = commit.time("timestamp")
        message = commit.opt_text("message") or ""
        reverts, title = revert_of_commit(message), first_line(message)
        commits.append((commit, sha, authored, max(pushed_at, authored), reverts, title))
    if not commits:
        return Parsed(ignored=f"push to {ref} lists no commits")
    paths = {"repo": "repository.full_name", "reverts": "message"}
    return pushed_commits(rules.name, repo, commits, paths)


_HANDLERS: Mapping[str, Callable[[Node, SourceRules], Parsed]] = {
    "deployment_status": _deployment_status,
    "workflow_run": _workflow_run,
    "pull_request": _pull_request,
    "pull_request_review": _pull_request_review,
    "push": _push,
}
